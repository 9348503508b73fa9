"""The moto internals of workshop_lib/local/core/moto_seam/apigateway.py (API Gateway), one test each."""

from __future__ import annotations

from tests.unit.local.moto_seam.seam import REGION, changed


def test_moto_seam__a_rest_api_is_read_with_resources_methods_integrations_stages(moto_conn, backends):
    apigw = moto_conn.client("apigateway")
    api_id = apigw.create_rest_api(name="seam")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    child = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=child, httpMethod="ANY", authorizationType="NONE")
    function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:f"
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    apigw.put_integration(
        restApiId=api_id, resourceId=child, httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"v": "1"})
    definition = backends.rest_api(api_id, REGION)
    assert definition is not None, changed("the apigateway backend's apis", "apigateway")
    methods = {r.path_part: r.methods for r in definition.resources}
    integration = methods["{proxy+}"][0].integration
    assert integration is not None and (integration.type, integration.uri) == ("AWS_PROXY", uri), changed(
        "Resource.resource_methods / Method.method_integration", "apigateway"
    )
    stage = backends.stage(api_id, "prod", REGION)
    assert stage is not None and stage.deployed and stage.variables == {"v": "1"}, changed(
        "RestAPI.stages", "apigateway"
    )
    assert backends.set_binary_media_types(api_id, REGION, ["image/png"]) == ["image/png"]
    assert backends.binary_media_types(api_id, REGION) == ["image/png"], changed(
        "RestAPI.binaryMediaTypes", "apigateway"
    )


def test_moto_seam__an_api_key_in_a_usage_plan_of_the_stage_is_allowed(moto_conn, backends):
    apigw = moto_conn.client("apigateway")
    api_id = apigw.create_rest_api(name="seam-keys")["id"]
    key = apigw.create_api_key(name="k", enabled=True, value="seam-key-value-0123456789")
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert backends.api_key_allows("seam-key-value-0123456789", api_id, "prod", REGION), changed(
        "the apigateway backend's keys / usage_plans / usage_plan_keys", "apigateway"
    )
    assert not backends.api_key_allows("seam-key-value-0123456789", api_id, "dev", REGION)
    assert not backends.api_key_allows("another-value-0123456789", api_id, "prod", REGION)
