"""API Gateway's internals: ``apis`` (resources, methods, integrations, stages, deployments, ``binaryMediaTypes``,
``disableExecuteApiEndpoint``), ``keys``, ``usage_plans``, ``usage_plan_keys``, read into the kit's records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..records import ApiDefinition, IntegrationRecord, MethodRecord, ResourceRecord, StageRecord
from .base import BackendAccess


def api_definition(api: Any) -> ApiDefinition:
    """The records of a moto RestAPI (resources, methods, integrations, binaryMediaTypes)."""
    resources = []
    for r in list(api.resources.values()):
        methods = []
        for verb, m in list(r.resource_methods.items()):
            integ = m.method_integration
            record = None
            if integ is not None:
                timeout = integ.timeout_in_millis
                record = IntegrationRecord(
                    type=str(integ.integration_type or "").upper(),
                    uri=integ.uri or "",
                    http_method=integ.http_method,
                    timeout_ms=int(timeout) if timeout not in (None, "") else None,
                    credentials=integ.credentials,
                )
            auth = (m.authorization_type or "NONE").upper()
            methods.append(MethodRecord(verb.upper(), auth, bool(m.api_key_required), record))
        resources.append(ResourceRecord(r.id, r.parent_id, r.path_part, tuple(methods)))
    return ApiDefinition(api.id, tuple(resources), tuple(str(t) for t in api.binaryMediaTypes or []))


class ApiGatewayInternals(BackendAccess):
    def rest_api(self, api_id: str, region: str) -> ApiDefinition | None:
        api = self.backend("apigateway", region).apis.get(api_id)
        return api_definition(api) if api is not None else None

    def stage(self, api_id: str, stage: str, region: str) -> StageRecord | None:
        api = self.backend("apigateway", region).apis.get(api_id)
        found = api.stages.get(stage) if api is not None else None
        if found is None:
            return None
        return StageRecord(
            deployment_id=found.deployment_id,
            variables=dict(found.variables or {}),
            deployed=found.deployment_id in api.deployments,
            execute_api_disabled=bool(getattr(api, "disableExecuteApiEndpoint", False)),
        )

    def api_key_allows(self, value: str, api_id: str, stage: str, region: str) -> bool:
        """Whether an enabled API key of this value is in a usage plan that holds the API's stage."""
        backend = self.backend("apigateway", region)
        key = next((k for k in list(backend.keys.values()) if k.value == value and k.enabled), None)
        if key is None:
            return False
        for plan_id, plan_keys in list(backend.usage_plan_keys.items()):
            plan = backend.usage_plans.get(plan_id)
            if plan is None or key.id not in plan_keys:
                continue
            if any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages):
                return True
        return False

    def binary_media_types(self, api_id: str, region: str) -> list[str] | None:
        api = self.backend("apigateway", region).apis.get(api_id)
        return None if api is None else [t for t in api.binaryMediaTypes if t]

    def set_binary_media_types(self, api_id: str, region: str, media_types: Iterable[str]) -> list[str] | None:
        """Record an API's binaryMediaTypes (moto drops them); the list recorded, None when there is no API."""
        api = self.backend("apigateway", region).apis.get(api_id)
        if api is None:
            return None
        api.binaryMediaTypes = [str(t) for t in media_types]
        return list(api.binaryMediaTypes)
