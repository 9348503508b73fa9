"""The canonical request and the signature a key gives it: SigV4 (every service, header or presigned) and S3's
SigV2, as a server rebuilds them from what arrived (``sigv4.WireRequest``).

SigV4's canonical request: method, canonical URI (each path segment re-encoded the AWS way, then encoded once more
after removing dot segments for every service but S3), canonical query string (every parameter decoded then
re-encoded with AWS's unreserved set, sorted by name then value; a presigned request leaves out
``X-Amz-Signature``), canonical headers (the signed ones, names lower-cased, values trimmed and inner spaces
squeezed, repeated headers joined with commas), the signed header list and the payload hash
(``x-amz-content-sha256`` when the client sent it, else the SHA-256 of the body; ``UNSIGNED-PAYLOAD`` for S3
presigned URLs). SigV2's string to sign is botocore's ``HmacV1Auth.canonical_string``. The test
tests/local_cloud/core/test_sigv4.py checks both against ``botocore.auth`` on requests botocore prepares.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

from .sigv4 import AMZ_DATE_FORMAT, SIGV4, AuthFailure, Failure, Signed, WireRequest

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_UNRESERVED = "-_.~"
# S3's Signature Version 2 signs these query parameters as part of the resource (botocore's list).
_SIGV2_SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber", "policy",
        "requestPayment", "torrent", "versioning", "versionId", "versions", "website", "uploads", "uploadId",
        "response-content-type", "response-content-language", "response-expires", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "delete", "lifecycle", "tagging", "restore",
        "storageClass", "notification", "replication", "analytics", "metrics", "inventory", "select", "select-type",
        "object-lock",
    }
)  # fmt: skip


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal, empty segments dropped (botocore's ``normalize_url_path``)."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    trailing = "/" if path.endswith("/") and out else ""
    return "/" + "/".join(out) + trailing


def canonical_uri(raw_path: str, *, s3: bool) -> str:
    """The canonical URI: the path as the client encoded it (each segment re-encoded the AWS way), encoded once
    more for every service but S3, which also keeps dot segments and repeated slashes."""
    encoded = "/".join(quote(unquote(segment), safe=_UNRESERVED) for segment in raw_path.split("/"))
    if s3:
        return encoded or "/"
    return quote(_remove_dot_segments(encoded), safe="/~")


def canonical_query(pairs: Iterable[tuple[str, str]], *, drop: str | None = None) -> str:
    encoded = sorted((quote(k, safe=_UNRESERVED), quote(v, safe=_UNRESERVED)) for k, v in pairs if k != drop)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_headers(req: WireRequest, names: Iterable[str]) -> str:
    values: dict[str, list[str]] = {}
    for key, value in req.header_lines:
        values.setdefault(key.lower(), []).append(" ".join(value.split()))
    return "".join(f"{name}:{','.join(values.get(name, ()))}\n" for name in names)


def payload_hash(req: WireRequest, signed: Signed, *, s3: bool) -> str:
    declared = req.header("x-amz-content-sha256")
    if declared is not None:
        return declared.strip()
    if signed.presigned and s3:
        return UNSIGNED_PAYLOAD
    return hashlib.sha256(req.body).hexdigest() if req.body else EMPTY_SHA256


def canonical_request(req: WireRequest, signed: Signed, *, s3: bool) -> str:
    """SigV4's canonical request for what arrived (the headers named in SignedHeaders, in their order)."""
    query = canonical_query(req.query_pairs, drop="X-Amz-Signature" if signed.presigned else None)
    return "\n".join(
        (
            req.method,
            canonical_uri(req.raw_path, s3=s3),
            query,
            canonical_headers(req, signed.signed_headers),
            ";".join(signed.signed_headers),
            payload_hash(req, signed, s3=s3),
        )
    )


@functools.lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """SigV4's derived key for one day, region and service (cached: derived once, used for every request)."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def string_to_sign(signed: Signed, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    scope = f"{signed.date}/{signed.region}/{signed.service}/aws4_request"
    return f"{SIGV4}\n{signed.request_time.strftime(AMZ_DATE_FORMAT)}\n{scope}\n{digest}"


def sigv4_signature(req: WireRequest, signed: Signed, secret: str, *, s3: bool) -> str:
    """The signature a client holding ``secret`` computes for this request."""
    key = signing_key(secret, signed.date, signed.region, signed.service)
    text = string_to_sign(signed, canonical_request(req, signed, s3=s3))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def sigv2_string_to_sign(req: WireRequest, signed: Signed) -> str:
    """S3's Signature Version 2 string to sign (botocore's ``HmacV1Auth.canonical_string``)."""
    query = dict(req.query_pairs)
    amz: dict[str, list[str]] = {}
    standard: dict[str, str] = {}
    for key, value in req.header_lines:
        lkey = key.lower()
        if lkey.startswith("x-amz-"):
            amz.setdefault(lkey, []).append(value.strip())
        elif lkey in ("content-md5", "content-type", "date") and lkey not in standard:
            standard[lkey] = value.strip()
    if signed.presigned:
        for lkey, value in query.items():
            if lkey.lower().startswith("x-amz-"):
                amz.setdefault(lkey.lower(), []).append(value)
            elif lkey.lower() in ("content-md5", "content-type"):
                standard[lkey.lower()] = value
        standard["date"] = query.get("Expires", "")
    lines = [req.method, standard.get("content-md5", ""), standard.get("content-type", ""), standard.get("date", "")]
    lines += [f"{key}:{','.join(values)}" for key, values in sorted(amz.items())]
    resource = req.raw_path
    subresources = sorted(
        (k, v) for k, v in (p.split("=", 1) if "=" in p else (p, None) for p in req.raw_query.split("&") if p)
        if k in _SIGV2_SUBRESOURCES
    )  # fmt: skip
    if subresources:
        resource += "?" + "&".join(k if v is None else f"{k}={unquote(v)}" for k, v in subresources)
    return "\n".join([*lines, resource])


def sigv2_signature(req: WireRequest, signed: Signed, secret: str) -> str:
    digest = hmac.new(secret.encode(), sigv2_string_to_sign(req, signed).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_matches(req: WireRequest, signed: Signed, secret: str, *, s3: bool) -> bool:
    """Whether the request carries the signature ``secret`` gives it (compared in constant time)."""
    if signed.version == 2:
        expected = sigv2_signature(req, signed, secret)
    else:
        expected = sigv4_signature(req, signed, secret, s3=s3)
    return hmac.compare_digest(expected, signed.signature)


def check_payload(req: WireRequest, *, s3: bool) -> None:
    """S3 checks that a declared payload hash is the body's (a signed header cannot vouch for a changed body)."""
    declared = req.header("x-amz-content-sha256")
    if s3 and declared is not None and _HEX64.match(declared.strip()):
        actual = hashlib.sha256(req.body).hexdigest()
        if actual != declared.strip():
            raise AuthFailure(
                Failure.PAYLOAD_HASH,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                s3_message="The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
