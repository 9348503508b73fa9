"""What a REST API deployment froze, and how a stage request finds its resource and method.

A stage serves what was *deployed*: the API's resources, methods, integrations and binaryMediaTypes as they
were when CreateDeployment was called (``freeze``). Routing follows each API's own resources: literal parts,
``{param}`` and ``{proxy+}``, and methods (``ANY`` included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.records import ApiDefinition

DEFAULT_TIMEOUT_MS = 29_000  # the integration timeout unless the integration sets timeoutInMillis


@dataclass(frozen=True)
class FrozenIntegration:
    type: str
    uri: str
    http_method: str | None
    timeout_ms: int
    credentials: str | None


@dataclass(frozen=True)
class FrozenMethod:
    http_method: str
    authorization_type: str
    api_key_required: bool
    integration: FrozenIntegration | None


@dataclass
class ResourceNode:
    """One resource of a deployed API, with its children by kind (literal, ``{param}``, ``{param+}``)."""

    resource_id: str
    path: str
    path_part: str
    methods: dict[str, FrozenMethod] = field(default_factory=dict)
    literal: dict[str, ResourceNode] = field(default_factory=dict)
    params: list[tuple[str, ResourceNode]] = field(default_factory=list)
    greedy: list[tuple[str, ResourceNode]] = field(default_factory=list)

    def method(self, http_method: str) -> FrozenMethod | None:
        return self.methods.get(http_method) or self.methods.get("ANY")


@dataclass(frozen=True)
class FrozenDeployment:
    api_id: str
    deployment_id: str
    root: ResourceNode
    binary_media_types: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    node: ResourceNode
    method: FrozenMethod
    path_parameters: dict[str, str]


def freeze(api: ApiDefinition, deployment_id: str) -> FrozenDeployment:
    """The tree a deployment serves, from what the API defines now."""
    nodes = {r.resource_id: ResourceNode(r.resource_id, "", r.path_part) for r in api.resources}
    root: ResourceNode | None = None
    for r in api.resources:
        node = nodes[r.resource_id]
        for m in r.methods:
            integ = m.integration
            frozen = None
            if integ is not None:
                timeout = integ.timeout_ms if integ.timeout_ms is not None else DEFAULT_TIMEOUT_MS
                frozen = FrozenIntegration(integ.type, integ.uri, integ.http_method, timeout, integ.credentials)
            node.methods[m.http_method] = FrozenMethod(m.http_method, m.authorization_type, m.api_key_required, frozen)
        parent = nodes.get(r.parent_id) if r.parent_id else None
        if parent is None:
            root = node
            continue
        part = r.path_part
        if part.startswith("{") and part.endswith("+}"):
            parent.greedy.append((part[1:-2], node))
        elif part.startswith("{") and part.endswith("}"):
            parent.params.append((part[1:-1], node))
        else:
            parent.literal[part] = node
    if root is None:
        root = ResourceNode("", "/", "/")
    _set_paths(root, "")
    media_types = tuple(t.replace("~1", "/").lower() for t in api.binary_media_types)
    return FrozenDeployment(api.api_id, deployment_id, root, media_types)


def _set_paths(node: ResourceNode, parent_path: str) -> None:
    node.path = "/" if node.path_part == "/" else f"{parent_path.rstrip('/')}/{node.path_part}"
    children = [*node.literal.values(), *(n for _, n in node.params), *(n for _, n in node.greedy)]
    for child in children:
        _set_paths(child, node.path)


def find_route(root: ResourceNode, segments: list[str], http_method: str) -> Route | None:
    """The most specific resource matching ``segments`` that has ``http_method`` (or ANY).

    Literal path parts win over ``{param}``, which wins over ``{param+}``; a branch without the method
    falls back to the next candidate, so ``GET /users/me`` reaches ``/users/{id}`` when ``/users/me``
    only has PATCH.
    """
    return _match(root, segments, 0, http_method, {})


def _match(node: ResourceNode, segs: list[str], i: int, verb: str, params: dict[str, str]) -> Route | None:
    if i == len(segs):
        method = node.method(verb)
        return Route(node, method, params) if method else None
    child = node.literal.get(segs[i])
    if child is not None and (found := _match(child, segs, i + 1, verb, params)):
        return found
    for name, child in node.params:
        if found := _match(child, segs, i + 1, verb, {**params, name: segs[i]}):
            return found
    for name, child in node.greedy:
        method = child.method(verb)
        if method is not None:
            return Route(child, method, {**params, name: "/".join(segs[i:])})
    return None

