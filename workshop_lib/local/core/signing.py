"""Who signed a request, as far as the local cloud reads it: access key, session token, region, signing service.

Signatures are not verified (issue #14 adds that as a guard of the router); this module only reads the
credential scope a client put into the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.wrappers import Request

_SIGV4_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_SIGV2_HEADER = re.compile(r"^AWS ([^:\s]+):")


@dataclass(frozen=True)
class Credential:
    """The access key, session token, region and signing service a request was signed with."""

    access_key: str
    session_token: str | None
    region: str | None
    service: str | None


def credential_of(request: Request) -> Credential | None:
    """The credential a request was signed with (SigV4 header or query string, SigV2), None when unsigned."""
    token = request.headers.get("X-Amz-Security-Token") or request.args.get("X-Amz-Security-Token")
    auth = request.headers.get("Authorization", "")
    match = _SIGV4_CREDENTIAL.search(auth) or _SIGV4_CREDENTIAL.search(
        "Credential=" + request.args.get("X-Amz-Credential", "")
    )
    if match:
        return Credential(match.group(1), token, match.group(2), match.group(3))
    v2 = _SIGV2_HEADER.match(auth)
    key = v2.group(1) if v2 else request.args.get("AWSAccessKeyId")
    if key:
        return Credential(key, token, None, "s3")  # SigV2 survives only on S3
    return None


def signed_service(request: Request) -> str | None:
    """The signing service of a request (``lambda``, ``sagemaker``, ``iam``, ...), None when unsigned."""
    credential = credential_of(request)
    return credential.service if credential is not None else None


def region_of(request: Request, default: str) -> str:
    """The region a request was signed for, else ``default`` (the cloud's region)."""
    credential = credential_of(request)
    return (credential.region if credential is not None else None) or default
