"""The moto internals of workshop_lib/local/core/moto_seam/sagemaker.py (SageMaker), one test each."""

from __future__ import annotations

from tests.unit.local.moto_seam.seam import REGION, changed, role


def _endpoint(moto_conn, name: str = "seam-ep") -> None:
    sm = moto_conn.client("sagemaker")
    container = {"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz", "Environment": {"SAGEMAKER_PROGRAM": "i.py"}}
    sm.create_model(ModelName="seam-model", ExecutionRoleArn=role(moto_conn, "seam-sm"), PrimaryContainer=container)
    for config in ("seam-config", "seam-config-2"):
        variant = {"VariantName": "AllTraffic", "ModelName": "seam-model", "InitialInstanceCount": 1,
                   "InstanceType": "ml.t2.medium"}  # fmt: skip
        sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=name, EndpointConfigName="seam-config")


def test_moto_seam__an_endpoint_its_config_and_model_are_read(moto_conn, backends):
    _endpoint(moto_conn)
    endpoint = backends.endpoint("seam-ep", REGION)
    assert endpoint is not None and (endpoint.status, endpoint.config_name) == ("InService", "seam-config"), changed(
        "the sagemaker backend's endpoints", "sagemaker"
    )
    model = backends.endpoint_model(endpoint, REGION)
    assert (model.name, model.variant, model.model_data_url) == ("seam-model", "AllTraffic", "s3://b/model.tar.gz"), (
        changed("the sagemaker backend's endpoint_configs / _models", "sagemaker")
    )
    assert model.environment == {"SAGEMAKER_PROGRAM": "i.py"}
    assert backends.endpoint("no-such-endpoint", REGION) is None


def test_moto_seam__update_endpoint_switches_the_config_through_process_production_variants(moto_conn, backends):
    _endpoint(moto_conn)
    before = backends.endpoint("seam-ep", REGION)
    backends.update_endpoint("seam-ep", "seam-config-2", REGION)
    after = backends.endpoint("seam-ep", REGION)
    assert after is not None and before is not None and after.config_name == "seam-config-2", changed(
        "FakeEndpoint._process_production_variants", "sagemaker"
    )
    assert after.version != before.version
    described = moto_conn.client("sagemaker").describe_endpoint(EndpointName="seam-ep")
    assert described["ProductionVariants"][0]["VariantName"] == "AllTraffic"


def test_moto_seam__an_endpoints_status_and_failure_reason_are_set_through_its_attributes(moto_conn, backends):
    _endpoint(moto_conn)
    assert backends.config_model("seam-config-2", REGION).name == "seam-model"
    backends.set_endpoint_status("seam-ep", REGION, "Failed", "the reason")
    described = moto_conn.client("sagemaker").describe_endpoint(EndpointName="seam-ep")
    assert (described["EndpointStatus"], described.get("FailureReason")) == ("Failed", "the reason"), changed(
        "FakeEndpoint.endpoint_status / failure_reason", "sagemaker"
    )
    backends.set_endpoint_status("seam-ep", REGION, "InService", None)
    described = moto_conn.client("sagemaker").describe_endpoint(EndpointName="seam-ep")
    assert described["EndpointStatus"] == "InService" and "FailureReason" not in described


def test_moto_seam__delete_endpoint_removes_it_from_the_backend(moto_conn, backends):
    sm = moto_conn.client("sagemaker")
    sm.create_model(
        ModelName="m",
        ExecutionRoleArn=f"arn:aws:iam::{moto_conn.account_id}:role/r",
        PrimaryContainer={"Image": "i", "ModelDataUrl": "s3://b/model.tar.gz"},
    )
    variant = {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="c")
    assert backends.delete_endpoint("ep", REGION), changed("the sagemaker backend's delete_endpoint", "sagemaker")
    assert backends.endpoint("ep", REGION) is None
    assert not backends.delete_endpoint("ep", REGION)
