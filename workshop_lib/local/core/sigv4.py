"""Request signatures as an AWS service checks them: Signature Version 4 (Authorization header and presigned query
string) for every service, and S3's Signature Version 2 (header and presigned URL, what boto3's
``generate_presigned_url`` makes for S3 by default).

A server does not re-sign the request as a client would: it rebuilds the canonical request from what arrived on the
wire, with the headers the client says it signed (``SignedHeaders``), so headers an HTTP client adds after signing
(``Accept-Encoding``, ``Connection``) do not matter. What arrived on the wire is ``WireRequest``: the request
target as received (``RAW_URI``: the WSGI ``PATH_INFO`` is percent-decoded, which would lose ``%2F`` and double
encodings), the header lines as received (the HTTP server keeps them in the environ: WSGI joins repeated headers
and drops names with an underscore), and the body.

The canonical request and the signature a key gives it are in ``canonical_request.py``; this module reads the
signature elements (``signature_of``) and checks the request time (``check_time``).

Who owns an access key, and whether its session token is valid, is the guard's business
(``iam/authentication.py``). Failures are ``AuthFailure`` with a ``Failure`` kind and AWS's
wording; the guard answers them in the called service's own error shape.
"""

from __future__ import annotations

import calendar
import enum
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request

from .router import RAW_HEADERS_ENVIRON_KEY

SIGV4 = "AWS4-HMAC-SHA256"
MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600  # SigV4 presigned URLs live at most a week
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_SIGV2_HEADER = re.compile(r"^AWS ([^:\s]+):(\S+)$")


class Failure(enum.Enum):
    """Why a request is not authentic, in the order the guard checks."""

    MISSING = "no signature"  # unsigned: no Authorization header and no presigned query string
    INCOMPLETE = "incomplete signature"  # a signature element is missing or malformed
    SCOPE = "credential scope"  # the date, region or terminator of the credential scope is wrong
    SKEWED = "request time out of range"  # more than the service's window away from the server's clock
    PRESIGN_EXPIRED = "presigned URL expired"
    UNKNOWN_KEY = "unknown access key"  # also a temporary key sent without its session token
    BAD_TOKEN = "invalid session token"
    EXPIRED_TOKEN = "expired session token"
    SIGNATURE = "signature mismatch"
    PAYLOAD_HASH = "payload hash mismatch"  # S3: x-amz-content-sha256 is not the body's hash


class AuthFailure(Exception):
    """A request refused before anything else looks at it: the kind, AWS's message, and S3's own where it differs."""

    def __init__(self, kind: Failure, message: str = "", *, s3_message: str | None = None) -> None:
        super().__init__(message or kind.value)
        self.kind = kind
        self.message = message
        self.s3_message = s3_message


@dataclass(frozen=True)
class WireRequest:
    """A request as it arrived: method, raw path and query, header lines in their order, body."""

    method: str
    raw_path: str
    raw_query: str
    header_lines: tuple[tuple[str, str], ...]
    body: bytes

    def headers(self, name: str) -> list[str]:
        """Every value of a header (case-insensitive), in the order received."""
        lname = name.lower()
        return [value for key, value in self.header_lines if key.lower() == lname]

    def header(self, name: str) -> str | None:
        values = self.headers(name)
        return values[0] if values else None

    @functools.cached_property
    def query_pairs(self) -> tuple[tuple[str, str], ...]:
        """The query string's parameters, percent-decoded (``+`` stays a plus, as AWS reads it)."""
        pairs = []
        for part in self.raw_query.split("&"):
            if part:
                key, _, value = part.partition("=")
                pairs.append((unquote(key), unquote(value)))
        return tuple(pairs)

    def query(self, name: str) -> str | None:
        return next((v for k, v in self.query_pairs if k == name), None)


def wire_request(request: Request) -> WireRequest:
    """The wire view of a werkzeug request (its raw target and header lines when the server kept them)."""
    environ = request.environ
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        raw = raw_uri.encode("latin1").decode("utf-8", "replace")
        if "://" in raw.split("?", 1)[0]:  # absolute-form target: keep the path and query
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        path, _, query = raw.partition("?")
    else:  # a request built in-process (werkzeug's test client): PATH_INFO is decoded, encode it back
        path = quote(request.path, safe="/~!$&'()*+,;=:@")
        query = environ.get("QUERY_STRING", "")
    lines = environ.get(RAW_HEADERS_ENVIRON_KEY)
    if lines is None:
        lines = list(request.headers.items())
    return WireRequest(request.method.upper(), path or "/", query, tuple(lines), request.get_data(cache=True))


# --- What a request says about its signature ---------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """A request's signature elements (SigV4, or S3's SigV2 when ``version`` is 2)."""

    version: int
    presigned: bool
    access_key: str
    signature: str
    request_time: datetime  # X-Amz-Date or Date (SigV2 presigned: the expiry instead)
    date: str = ""  # SigV4 credential scope: YYYYMMDD, region, service, terminator
    region: str = ""
    service: str = ""
    terminator: str = ""
    signed_headers: tuple[str, ...] = ()
    expires_s: int | None = None  # SigV4 presigned: X-Amz-Expires
    session_token: str | None = None

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"


def _amz_time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _http_time(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _header_elements(auth: str) -> dict[str, str]:
    """``Credential=..., SignedHeaders=..., Signature=...`` as a dict; raises AuthFailure for a pair without ``=``."""
    elements: dict[str, str] = {}
    for part in auth[len(SIGV4) :].split(","):
        part = part.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise AuthFailure(
                Failure.INCOMPLETE,
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'.",
                s3_message="The authorization header is malformed; the authorization header requires three "
                "components: Credential, SignedHeaders, and Signature.",
            )
        elements[key.strip()] = value.strip()
    return elements


def _incomplete_header(auth: str, missing: Iterable[str]) -> AuthFailure:
    parts = [
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        if name == "date"
        else f"Authorization header requires '{name}' parameter."
        for name in missing
    ]
    return AuthFailure(
        Failure.INCOMPLETE,
        " ".join(parts) + f" Authorization={auth}",
        s3_message="The authorization header is malformed; the authorization header requires three components: "
        "Credential, SignedHeaders, and Signature.",
    )


def _sigv4_from_header(req: WireRequest, auth: str) -> Signed:
    elements = _header_elements(auth)
    missing = [name for name in ("Credential", "Signature", "SignedHeaders") if not elements.get(name)]
    raw_time = req.header("x-amz-date")
    request_time = _amz_time(raw_time) if raw_time else None
    if raw_time is None and req.header("date"):
        request_time = _http_time(req.header("date") or "")
    if request_time is None:
        missing.append("date")
    if missing:
        raise _incomplete_header(auth, missing)
    return _scoped(
        elements["Credential"],
        signature=elements["Signature"],
        signed_headers=elements["SignedHeaders"],
        request_time=request_time,  # type: ignore[arg-type] - checked above
        presigned=False,
        session_token=req.header("x-amz-security-token"),
    )


_QUERY_ELEMENTS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders")


def _sigv4_from_query(req: WireRequest) -> Signed:
    values = {name: req.query(name) for name in (*_QUERY_ELEMENTS, "X-Amz-Expires", "X-Amz-Security-Token")}
    request_time = _amz_time(values["X-Amz-Date"] or "")
    expires = values["X-Amz-Expires"]
    if any(not values[name] for name in _QUERY_ELEMENTS) or request_time is None or values["X-Amz-Algorithm"] != SIGV4:
        raise AuthFailure(
            Failure.INCOMPLETE,
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', "
            "'X-Amz-SignedHeaders', 'X-Amz-Date'. Re-examine the query-string parameters.",
            s3_message="Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        )
    expires_s = int(expires) if expires and expires.isdigit() else None
    if expires_s is None or expires_s > MAX_PRESIGN_EXPIRES_S:
        raise AuthFailure(
            Failure.INCOMPLETE,
            f"X-Amz-Expires must be a whole number of seconds up to {MAX_PRESIGN_EXPIRES_S}, not {expires!r}.",
            s3_message=f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES_S}",
        )
    return _scoped(
        values["X-Amz-Credential"] or "",
        signature=values["X-Amz-Signature"] or "",
        signed_headers=values["X-Amz-SignedHeaders"] or "",
        request_time=request_time,
        presigned=True,
        session_token=values["X-Amz-Security-Token"],
        expires_s=expires_s,
    )


def _scoped(credential: str, **fields: Any) -> Signed:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise AuthFailure(
            Failure.INCOMPLETE,
            f"Credential should be of the form <AccessKeyId>/<date>/<region>/<service>/aws4_request, "
            f"not '{credential}'.",
            s3_message="The authorization header is malformed; the Credential is mal-formed; expecting "
            '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        )
    key, date, region, service, terminator = parts
    signed_headers = tuple(h for h in fields.pop("signed_headers").split(";") if h)
    return Signed(4, access_key=key, date=date, region=region, service=service, terminator=terminator,
                  signed_headers=signed_headers, **fields)  # fmt: skip


def _sigv2(req: WireRequest, auth: str | None) -> Signed | None:
    if auth is not None:
        match = _SIGV2_HEADER.match(auth)
        if match is None:
            return None
        raw_time = req.header("x-amz-date") or req.header("date")
        request_time = _http_time(raw_time) if raw_time else None
        if request_time is None:
            raise AuthFailure(
                Failure.INCOMPLETE,
                "AWS authentication requires a valid Date or x-amz-date header",
                s3_message="AWS authentication requires a valid Date or x-amz-date header",
            )
        return Signed(2, False, match.group(1), match.group(2), request_time,
                      session_token=req.header("x-amz-security-token"))  # fmt: skip
    key, signature, expires = req.query("AWSAccessKeyId"), req.query("Signature"), req.query("Expires")
    if not (key and signature and expires and expires.isdigit()):
        raise AuthFailure(
            Failure.INCOMPLETE,
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
            s3_message="Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        )
    expiry = datetime.fromtimestamp(int(expires), UTC)
    return Signed(2, True, key, signature, expiry, session_token=req.query("x-amz-security-token"))


def signature_of(req: WireRequest) -> Signed | None:
    """The signature elements of a request, None when it carries none; raises AuthFailure when they are malformed."""
    auth = req.header("authorization")
    if auth is not None:
        auth = auth.strip()
        if auth.startswith(SIGV4):
            return _sigv4_from_header(req, auth)
        signed = _sigv2(req, auth)
        if signed is not None:
            return signed
        raise _incomplete_header(auth, ("Credential", "Signature", "SignedHeaders", "date"))
    if req.query("X-Amz-Algorithm") is not None or req.query("X-Amz-Credential") is not None:
        return _sigv4_from_query(req)
    if req.query("AWSAccessKeyId") is not None or req.query("Signature") is not None:
        return _sigv2(req, None)
    return None


# --- Time ---------------------------------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.strftime(AMZ_DATE_FORMAT)


def check_time(signed: Signed, now: datetime, window_s: int) -> None:
    """Refuse a request signed more than ``window_s`` away from ``now``, a presigned URL past its expiry, and a
    SigV4 credential scope whose date is not the request's."""
    if signed.version == 4 and signed.date != signed.request_time.strftime("%Y%m%d"):
        raise AuthFailure(
            Failure.SCOPE,
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{signed.date}' != '{signed.request_time:%Y%m%d}', from '{_stamp(signed.request_time)}'.",
            s3_message="The authorization header is malformed; Invalid credential date. Date is not the same as "
            "X-Amz-Date.",
        )
    minutes = window_s // 60
    now_ts = now.timestamp()
    if signed.presigned:
        expiry = signed.request_time.timestamp()  # SigV2: the Expires parameter itself
        if signed.version == 4:
            expiry += signed.expires_s or 0
        if now_ts > expiry:
            raise AuthFailure(Failure.PRESIGN_EXPIRED, "Signature expired", s3_message="Request has expired")
        if signed.version == 4 and signed.request_time.timestamp() - now_ts > window_s:
            raise AuthFailure(
                Failure.PRESIGN_EXPIRED, "Request is not yet valid", s3_message="Request is not valid yet"
            )
        return
    offset = signed.request_time.timestamp() - now_ts
    if offset < -window_s:
        earliest = datetime.fromtimestamp(now_ts - window_s, UTC)
        raise AuthFailure(
            Failure.SKEWED,
            f"Signature expired: {_stamp(signed.request_time)} is now earlier than {_stamp(earliest)} "
            f"({_stamp(now)} - {minutes} min.)",
        )
    if offset > window_s:
        latest = datetime.fromtimestamp(now_ts + window_s, UTC)
        raise AuthFailure(
            Failure.SKEWED,
            f"Signature not yet current: {_stamp(signed.request_time)} is still later than {_stamp(latest)} "
            f"({_stamp(now)} + {minutes} min.)",
        )


def epoch(moment: datetime) -> float:
    """Seconds since the epoch of an aware or naive-UTC datetime."""
    return moment.timestamp() if moment.tzinfo else float(calendar.timegm(moment.utctimetuple()))
