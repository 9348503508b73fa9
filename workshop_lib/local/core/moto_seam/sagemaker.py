"""SageMaker's internals: ``endpoints`` (an endpoint's ``endpoint_status``, ``failure_reason``,
``endpoint_config_name``, ``_process_production_variants``), ``endpoint_configs``, ``_models``, ``delete_endpoint``."""

from __future__ import annotations

from moto.core.utils import utcnow

from ..records import EndpointRecord, ModelRecord
from .base import BackendAccess


class SageMakerInternals(BackendAccess):
    def endpoint(self, name: str, region: str) -> EndpointRecord | None:
        try:
            endpoint = self.backend("sagemaker", region).endpoints.get(name)
        except KeyError:  # a region moto does not know has no endpoints
            return None
        if endpoint is None:
            return None
        version = (endpoint.arn, endpoint.creation_time, endpoint.last_modified_time, endpoint.endpoint_config_name)
        return EndpointRecord(endpoint.arn, endpoint.endpoint_status, endpoint.endpoint_config_name, version)

    def endpoint_model(self, endpoint: EndpointRecord, region: str) -> ModelRecord:
        """The model of an endpoint's first production variant; raises LookupError naming what is missing
        (``endpoint config NAME`` or ``model NAME``)."""
        return self.config_model(endpoint.config_name, region)

    def config_model(self, config_name: str, region: str) -> ModelRecord:
        """The model of an endpoint config's first production variant; raises LookupError as endpoint_model."""
        backend = self.backend("sagemaker", region)
        config = backend.endpoint_configs.get(config_name)
        if config is None or not config.production_variants:
            raise LookupError(f"endpoint config {config_name}")
        variant = config.production_variants[0]
        model = backend._models.get(variant["ModelName"])
        if model is None:
            raise LookupError(f"model {variant['ModelName']}")
        container = model.primary_container or (model.containers[0] if model.containers else {})
        return ModelRecord(
            name=model.model_name,
            variant=variant["VariantName"],
            model_data_url=container.get("ModelDataUrl") or "",
            environment=dict(container.get("Environment") or {}),
        )

    def endpoint_config_exists(self, name: str, region: str) -> bool:
        return self.backend("sagemaker", region).endpoint_configs.get(name) is not None

    def update_endpoint(self, name: str, config_name: str, region: str) -> None:
        """UpdateEndpoint as AWS completes it: the endpoint switches to the config (both must exist)."""
        backend = self.backend("sagemaker", region)
        endpoint, config = backend.endpoints[name], backend.endpoint_configs[config_name]
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
        endpoint.last_modified_time = utcnow()

    def set_endpoint_status(self, name: str, region: str, status: str, failure_reason: str | None) -> None:
        """Record an endpoint's status and FailureReason (DescribeEndpoint shows both; None drops the reason)."""
        endpoint = self.backend("sagemaker", region).endpoints[name]
        endpoint.endpoint_status = status
        endpoint.failure_reason = failure_reason
        endpoint.last_modified_time = utcnow()

    def delete_endpoint(self, name: str, region: str) -> bool:
        """Remove an endpoint as DeleteEndpoint completes; False when it was already gone."""
        try:
            self.backend("sagemaker", region).delete_endpoint(name)
        except Exception:  # noqa: BLE001 - moto raises its own ValidationError when it is gone
            return False
        return True
