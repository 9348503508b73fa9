"""workshop_lib.endpoint against moto in-process: bucket, artifact upload, role, model, config, endpoint, delete.

These are the control-plane calls only. Serving (InvokeEndpoint) and UpdateEndpoint, which moto lacks,
are tested against the local cloud in tests/local_cloud/sagemaker/test_sagemaker_runtime.py.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from moto.sagemaker.models import sagemaker_backends

from workshop_lib import endpoint
from workshop_lib.config import LOCAL_ACCOUNT_ID, TAG_KIT, TAG_KIT_VALUE, TAG_PARTICIPANT
from workshop_lib.connect import Connection
from workshop_lib.errors import DeploymentError, InvalidInput, ResourceConflict, ResourceNotFound
from workshop_lib.model.artifact import sha256_of


def _artifact(path: Path, script: str = "def model_fn(model_dir):\n    return None\n") -> Path:
    """A model.tar.gz in the container's layout (the control plane never looks inside beyond that)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("model.json", b"{}"), ("code/inference.py", script.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    return _artifact(tmp_path / "model.tar.gz")


def _tags(conn: Connection, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in conn.client("sagemaker").list_tags(ResourceArn=arn)["Tags"]}


# --- Image ----------------------------------------------------------------------------------------
def test_sklearn_image_uri__is_aws_scikit_learn_inference_image_of_the_region():
    assert (
        endpoint.sklearn_image_uri("us-east-1")
        == "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )
    assert endpoint.sklearn_image_uri("eu-west-1", "1.0-1").startswith("141502667606.dkr.ecr.eu-west-1.amazonaws.com/")


def test_sklearn_image_uri__unknown_region_gives_invalid_input():
    with pytest.raises(InvalidInput, match="no SageMaker scikit-learn image is known for region 'mars-north-1'"):
        endpoint.sklearn_image_uri("mars-north-1")


# --- Bucket and artifact --------------------------------------------------------------------------
def test_ensure_bucket__creates_a_private_tagged_bucket_once_and_keeps_other_tags(moto_conn: Connection):
    s3 = moto_conn.client("s3")
    assert endpoint.ensure_bucket() == moto_conn.bucket == f"workshop-artifacts-{LOCAL_ACCOUNT_ID}-us-east-1"
    s3.put_bucket_tagging(
        Bucket=moto_conn.bucket, Tagging={"TagSet": [{"Key": "owner", "Value": "me"}, {"Key": TAG_KIT, "Value": "x"}]}
    )
    endpoint.ensure_bucket(moto_conn)
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=moto_conn.bucket)["TagSet"]}
    assert tags == {"owner": "me", TAG_KIT: TAG_KIT_VALUE}
    block = s3.get_public_access_block(Bucket=moto_conn.bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_upload_artifact__stores_it_once_under_its_content_hash(moto_conn: Connection, artifact: Path):
    url = endpoint.upload_artifact(artifact)
    digest = sha256_of(artifact)
    assert url == f"s3://{moto_conn.bucket}/models/ml-sentiment-model/{digest[:16]}/model.tar.gz"
    s3 = moto_conn.client("s3")
    key = url.split("/", 3)[3]
    first = s3.head_object(Bucket=moto_conn.bucket, Key=key)
    assert endpoint.upload_artifact(artifact) == url
    again = s3.head_object(Bucket=moto_conn.bucket, Key=key)
    assert again["LastModified"] == first["LastModified"] and again["Metadata"] == {"sha256": digest}


def test_upload_artifact__a_missing_file_or_a_tarball_without_the_script_is_refused(moto_conn: Connection, tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        endpoint.upload_artifact(tmp_path / "nope.tar.gz")
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("model.joblib"), io.BytesIO(b""))
    with pytest.raises(InvalidInput, match=r"no code/inference\.py"):
        endpoint.upload_artifact(bad)
    (tmp_path / "plain.txt").write_text("not a tarball")
    with pytest.raises(InvalidInput, match=r"not a readable tar\.gz"):
        endpoint.upload_artifact(tmp_path / "plain.txt")


# --- Role -----------------------------------------------------------------------------------------
def test_ensure_sagemaker_role__trusts_sagemaker_and_grants_only_artifact_read_image_pull_and_logs(
    moto_conn: Connection,
):
    arn = endpoint.ensure_sagemaker_role()
    assert arn == f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/ml-sagemaker-execution-role-us-east-1"
    iam = moto_conn.client("iam")
    role = iam.get_role(RoleName="ml-sagemaker-execution-role-us-east-1")["Role"]
    principals = [st["Principal"]["Service"] for st in role["AssumeRolePolicyDocument"]["Statement"]]
    assert principals == ["sagemaker.amazonaws.com"]
    assert {t["Key"]: t["Value"] for t in role["Tags"]} == {TAG_KIT: TAG_KIT_VALUE}
    policy = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=endpoint.ROLE_POLICY_NAME)["PolicyDocument"]
    grants = {st["Sid"]: (st["Action"], st["Resource"]) for st in policy["Statement"]}
    assert grants["ReadModelArtifacts"] == ("s3:GetObject", f"arn:aws:s3:::{moto_conn.bucket}/models/*")
    assert grants["PullScikitLearnImage"][1] == "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-scikit-learn"
    assert grants["EndpointLogs"][1].endswith(":log-group:/aws/sagemaker/Endpoints/*")
    # the only "*" resource is the registry login, which has no resource-level permissions
    assert [sid for sid, (_, resource) in grants.items() if resource == "*"] == ["RegistryLogin"]
    assert endpoint.ensure_sagemaker_role(moto_conn) == arn


def test_ensure_sagemaker_role__a_role_of_that_name_not_trusting_sagemaker_is_a_conflict(moto_conn: Connection):
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    moto_conn.client("iam").create_role(
        RoleName="ml-sagemaker-execution-role-us-east-1", AssumeRolePolicyDocument=json.dumps(trust)
    )
    with pytest.raises(ResourceConflict, match=r"does not trust sagemaker\.amazonaws\.com"):
        endpoint.ensure_sagemaker_role(moto_conn)


# --- Model, config, endpoint ----------------------------------------------------------------------
def test_create_model__uses_the_regions_sklearn_image_and_points_the_container_at_the_script(
    moto_conn: Connection, artifact: Path
):
    url = endpoint.upload_artifact(artifact)
    name = endpoint.create_model(url)
    assert name.startswith("ml-sentiment-model-")
    desc = moto_conn.client("sagemaker").describe_model(ModelName=name)
    assert desc["PrimaryContainer"] == {
        "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "ModelDataUrl": url,
        "Environment": {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_REGION": "us-east-1",
        },
    }
    assert desc["ExecutionRoleArn"].endswith(":role/ml-sagemaker-execution-role-us-east-1")
    assert _tags(moto_conn, desc["ModelArn"]) == {TAG_KIT: TAG_KIT_VALUE}
    assert endpoint.create_model(url) == name  # idempotent


def test_create_model__a_model_of_that_name_with_another_artifact_is_a_conflict(moto_conn: Connection, artifact):
    url = endpoint.upload_artifact(artifact)
    endpoint.create_model(url, name="my-model")
    with pytest.raises(ResourceConflict, match="exists with another artifact"):
        endpoint.create_model(url.replace("models/", "other/"), name="my-model")
    with pytest.raises(InvalidInput, match="not an s3:// URL"):
        endpoint.create_model("https://example.com/model.tar.gz")


def test_create_endpoint_config__one_variant_on_one_instance_and_idempotent(moto_conn: Connection, artifact: Path):
    model = endpoint.create_model(endpoint.upload_artifact(artifact))
    name = endpoint.create_endpoint_config(model)
    variants = moto_conn.client("sagemaker").describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"]
    assert variants == [
        {
            "VariantName": "AllTraffic",
            "ModelName": model,
            "InitialInstanceCount": 1,
            "InstanceType": "ml.t2.medium",
            "InitialVariantWeight": 1.0,
        }
    ]
    assert endpoint.create_endpoint_config(model) == name
    assert endpoint.create_endpoint_config(model, instance_type="ml.m5.large") != name
    with pytest.raises(ResourceConflict, match="exists with other variants"):
        endpoint.create_endpoint_config(model, name=name, instance_type="ml.m5.large")


def test_deploy__creates_the_whole_chain_waits_for_in_service_and_is_idempotent(moto_conn: Connection, artifact):
    info = endpoint.deploy(artifact)
    assert info.in_service and info.name == "ml-endpoint"
    assert info.variant == "AllTraffic"
    assert info.model_data_url == endpoint.upload_artifact(artifact)
    assert info.image == endpoint.sklearn_image_uri("us-east-1")
    assert _tags(moto_conn, info.arn) == {TAG_KIT: TAG_KIT_VALUE}
    assert endpoint.deploy(artifact) == info


def test_create_endpoint__an_endpoint_serving_another_config_is_a_conflict_that_points_to_update(
    moto_conn: Connection, artifact: Path
):
    info = endpoint.deploy(artifact)
    other = endpoint.create_endpoint_config(info.model_name, instance_type="ml.m5.large")
    with pytest.raises(ResourceConflict, match=r"call update_endpoint\('ml-endpoint-config-"):
        endpoint.create_endpoint(other)


def test_use_existing_endpoint__adopts_an_in_service_endpoint(moto_conn: Connection, artifact: Path):
    endpoint.deploy(artifact, name="section-6-endpoint")
    info = endpoint.use_existing_endpoint("section-6-endpoint")
    assert info.in_service and info.model_name.startswith("ml-sentiment-model-")


def test_use_existing_endpoint__an_unknown_name_is_not_found_with_a_fix(moto_conn: Connection):
    with pytest.raises(ResourceNotFound, match="endpoint nope: the endpoint does not exist in us-east-1") as err:
        endpoint.use_existing_endpoint("nope")
    assert "SageMaker console" in str(err.value.fix)


def test_use_existing_endpoint__an_endpoint_not_in_service_is_refused(moto_conn: Connection, artifact: Path):
    endpoint.deploy(artifact, name="broken")
    # moto makes every endpoint InService at once; put it in the Failed state AWS can report.
    backend = sagemaker_backends[LOCAL_ACCOUNT_ID]["us-east-1"]
    backend.endpoints["broken"].endpoint_status = "Failed"
    with pytest.raises(DeploymentError, match="the endpoint is Failed, not InService"):
        endpoint.use_existing_endpoint("broken")


# --- Delete ---------------------------------------------------------------------------------------
def test_delete_endpoint__removes_the_endpoint_and_only_the_kits_own_configs_and_models(
    moto_conn: Connection, artifact: Path
):
    info = endpoint.deploy(artifact)
    sm = moto_conn.client("sagemaker")
    # someone else's model with a similar name, and another participant's model: both must survive
    sm.create_model(ModelName="ml-sentiment-model-theirs", ExecutionRoleArn="arn:aws:iam::123456789012:role/x")
    alice = moto_conn.with_prefix("alice")
    alice_model = endpoint.create_model(endpoint.upload_artifact(artifact, alice), conn=alice)
    assert _tags(alice, sm.describe_model(ModelName=alice_model)["ModelArn"]) == {
        TAG_KIT: TAG_KIT_VALUE,
        TAG_PARTICIPANT: "alice",
    }

    deleted = endpoint.delete_endpoint()
    assert deleted == [f"endpoint {info.name}", f"endpoint config {info.config_name}", f"model {info.model_name}"]
    models = {m["ModelName"] for m in sm.list_models()["Models"]}
    assert models == {"ml-sentiment-model-theirs", alice_model}
    assert endpoint.delete_endpoint() == []


def test_delete_endpoint__refuses_an_endpoint_the_kit_did_not_create_unless_forced(moto_conn: Connection, artifact):
    info = endpoint.deploy(artifact)
    sm = moto_conn.client("sagemaker")
    sm.create_endpoint(EndpointName="learners-own", EndpointConfigName=info.config_name)
    with pytest.raises(ResourceConflict, match="not created by the kit"):
        endpoint.delete_endpoint("learners-own")
    assert "endpoint learners-own" in endpoint.delete_endpoint("learners-own", force=True)
