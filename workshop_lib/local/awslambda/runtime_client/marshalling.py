"""Event and result marshalling of the kit's Lambda runtime client, with the semantics of awslambdaric's
(``simplejson``: ``Decimal`` numbers, ``bytes`` and named tuples included), and its runtime faults.

Standard library only; loaded by ``bootstrap.py`` from its own folder (it must not import ``workshop_lib``).
"""

from __future__ import annotations

import decimal
import json
import math
import os
from typing import Any

_NON_ASCII_RUNTIMES = {
    "AWS_Lambda_python3.12",
    "AWS_Lambda_python3.13",
    "AWS_Lambda_python3.14",
    "AWS_Lambda_python3.15",
}


class FaultException(Exception):
    """A runtime fault with one of AWS's ``Runtime.*`` error types."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type: str, msg: str, trace: list[str] | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


# --- JSON marshalling with simplejson's semantics (as awslambdaric configures it) ---------------


def _non_ascii() -> bool:
    return os.environ.get("AWS_EXECUTION_ENV") in _NON_ASCII_RUNTIMES


def _is_plain(obj: Any, path: set[int]) -> bool:
    """True when the stdlib's C encoder gives exactly what simplejson gives for ``obj``."""
    if obj is None or isinstance(obj, str | bool | int | float):
        return True
    if isinstance(obj, list | tuple | dict):
        if hasattr(obj, "_asdict") or id(obj) in path:
            return False  # named tuples become objects; cycles get simplejson's own error
        path.add(id(obj))
        try:
            if isinstance(obj, dict):
                return all(
                    (k is None or isinstance(k, str | bool | int | float)) and _is_plain(v, path)
                    for k, v in obj.items()
                )
            return all(_is_plain(v, path) for v in obj)
        finally:
            path.discard(id(obj))
    return False


def _default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        return math.nan if obj.is_nan() else _Raw(str(obj))
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _FullEncoder:
    """simplejson's encoding rules for the options awslambdaric uses, in pure Python."""

    def __init__(self, ensure_ascii: bool) -> None:
        self._str = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
        self._markers: dict[int, Any] = {}

    def _float(self, o: float) -> str:
        if o != o:
            return "NaN"
        if o == math.inf:
            return "Infinity"
        if o == -math.inf:
            return "-Infinity"
        return float.__repr__(float(o))

    def _key(self, key: Any) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, bytes):
            return str(key, "utf-8")
        if isinstance(key, float):
            return self._float(key)
        if key is True:
            return "true"
        if key is False:
            return "false"
        if key is None:
            return "null"
        if isinstance(key, int):
            return str(int(key))
        raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")

    def _mark(self, obj: Any) -> int:
        marker = id(obj)
        if marker in self._markers:
            raise ValueError("Circular reference detected")
        self._markers[marker] = obj
        return marker

    def encode(self, o: Any, out: list[str]) -> None:
        if isinstance(o, str):
            out.append(self._str(o))
        elif isinstance(o, bytes):
            out.append(self._str(str(o, "utf-8")))
        elif isinstance(o, _Raw):
            out.append(o.text)
        elif o is None:
            out.append("null")
        elif o is True:
            out.append("true")
        elif o is False:
            out.append("false")
        elif isinstance(o, int):
            out.append(str(int(o)))
        elif isinstance(o, float):
            out.append(self._float(o))
        else:
            self._encode_object(o, out)

    def _encode_object(self, o: Any, out: list[str]) -> None:
        as_dict = _call_method(o, "_asdict")
        if as_dict is not None:
            if not isinstance(as_dict[0], dict):
                raise TypeError(f"_asdict() must return a dict, not {type(as_dict[0]).__name__}")
            marker = self._mark(o)
            self._dict(as_dict[0], out)
            del self._markers[marker]
        elif isinstance(o, list | tuple):
            self._list(o, out)
        elif isinstance(o, dict):
            self._dict(o, out)
        else:
            marker = self._mark(o)
            self.encode(_default(o), out)
            del self._markers[marker]

    def _list(self, lst: list[Any] | tuple[Any, ...], out: list[str]) -> None:
        if not lst:
            out.append("[]")
            return
        marker = self._mark(lst)
        out.append("[")
        for i, value in enumerate(lst):
            if i:
                out.append(", ")
            self.encode(value, out)
        out.append("]")
        del self._markers[marker]

    def _dict(self, dct: dict[Any, Any], out: list[str]) -> None:
        if not dct:
            out.append("{}")
            return
        marker = self._mark(dct)
        out.append("{")
        for i, (key, value) in enumerate(dct.items()):
            if i:
                out.append(", ")
            out.append(self._str(self._key(key)))
            out.append(": ")
            self.encode(value, out)
        out.append("}")
        del self._markers[marker]


def _call_method(obj: Any, name: str) -> tuple[Any] | None:
    """simplejson's ``call_method``: the method's result in a 1-tuple, None when absent or a TypeError."""
    method = getattr(obj, name, None)
    if callable(method):
        try:
            return (method(),)
        except TypeError:
            pass
    return None


def to_json(obj: Any) -> str:
    """Encode ``obj`` exactly as awslambdaric's marshaller does (simplejson, use_decimal=False)."""
    ensure_ascii = not _non_ascii()
    if _is_plain(obj, set()):
        return json.dumps(obj, ensure_ascii=ensure_ascii, allow_nan=True)
    out: list[str] = []
    _FullEncoder(ensure_ascii).encode(obj, out)
    return "".join(out)


def unmarshal_request(request: bytes, content_type: str | None = "application/json") -> Any:
    if content_type != "application/json":
        return request
    try:
        return json.loads(request)
    except Exception as e:
        raise FaultException(FaultException.UNMARSHAL_ERROR, f"Unable to unmarshal input: {e}", None) from e


def marshal_response(response: Any) -> tuple[bytes | str, str]:
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return to_json(response), "application/json"
    except Exception as e:
        raise FaultException(FaultException.MARSHAL_ERROR, f"Unable to marshal response: {e}", None) from e

