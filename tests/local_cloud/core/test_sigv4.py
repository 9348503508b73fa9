"""The local cloud's signature check against botocore's own: requests botocore prepares and signs for every service
the local cloud serves are verified with the secret they were signed with, refused with another, and their
canonical request is botocore's (``SigV4Auth.canonical_request``). No server: the requests are caught before they
are sent.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import HmacV1Auth, S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from workshop_lib.local.core.canonical_request import (
    canonical_request,
    check_payload,
    signature_matches,
    sigv2_string_to_sign,
)
from workshop_lib.local.core.sigv4 import AuthFailure, Failure, Signed, WireRequest, check_time, signature_of

REGION = "us-east-1"
KEY, SECRET, TOKEN = "AKIAEXAMPLEKEY000001", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session/token+value=="


class _Caught(Exception):
    def __init__(self, request: AWSRequest) -> None:
        self.request = request


def _catch(request: AWSRequest, **_: Any) -> None:
    raise _Caught(request)


def _prepared(service: str, call: str, token: str | None = None, **params: Any) -> AWSRequest:
    """The request botocore signs and would send for ``service.call(**params)``."""
    session = boto3.Session(KEY, SECRET, token, region_name=REGION)
    client = session.client(service, endpoint_url="http://127.0.0.1:4566")
    client.meta.events.register("before-send", _catch)
    with pytest.raises(_Caught) as caught:
        getattr(client, call)(**params)
    return caught.value.request


def _body(request: AWSRequest) -> bytes:
    body = request.body
    if hasattr(body, "read"):
        position = body.tell()
        data = body.read()
        body.seek(position)
        return data
    return body.encode() if isinstance(body, str) else (body or b"")


def _wire(request: AWSRequest) -> WireRequest:
    """What the server reads from the wire: raw target, header lines (plus the Host the HTTP client adds)."""
    url = urlsplit(request.url)
    lines = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
    lines.append(("Host", url.netloc))
    return WireRequest(request.method, url.path or "/", url.query, tuple(lines), _body(request))


def _unsigned(request: Any, signed: Signed) -> AWSRequest:
    """The request as botocore held it when it signed: its signed headers only (the HTTP layer adds the others)."""
    headers = {
        k: v.decode() if isinstance(v, bytes) else v
        for k, v in request.headers.items()
        if k.lower() in signed.signed_headers
    }
    again = AWSRequest(request.method, request.url, headers=headers, data=_body(request))
    again.context["timestamp"] = headers["X-Amz-Date"]
    return again


CALLS = [
    ("dynamodb", "put_item", {"TableName": "T", "Item": {"k": {"S": "v w"}}}),
    ("dynamodb", "list_tables", {}),
    (
        "logs",
        "put_log_events",
        {"logGroupName": "/aws/lambda/f", "logStreamName": "s", "logEvents": [{"timestamp": 1, "message": "m"}]},
    ),
    ("sagemaker", "describe_endpoint", {"EndpointName": "e"}),
    ("sagemaker-runtime", "invoke_endpoint", {"EndpointName": "e", "Body": b'{"text": "hi"}'}),
    ("lambda", "invoke", {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f", "Payload": b"{}"}),
    ("lambda", "get_function", {"FunctionName": "f", "Qualifier": "$LATEST"}),
    ("lambda", "list_functions", {"MaxItems": 5, "Marker": "a b/c"}),
    ("apigateway", "get_resources", {"restApiId": "abc123", "limit": 10}),
    ("sts", "get_caller_identity", {}),
    ("sts", "assume_role", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "session"}),
    ("iam", "list_roles", {"PathPrefix": "/a b/"}),
    ("cloudwatch", "put_metric_data", {"Namespace": "N", "MetricData": [{"MetricName": "m", "Value": 1.0}]}),
    ("s3", "put_object", {"Bucket": "b", "Key": "dir/a b+c~d!e(f).txt", "Body": b"hello"}),
    ("s3", "get_object", {"Bucket": "b", "Key": "ünïcode/../x y", "Range": "bytes=0-1"}),
    ("s3", "list_objects_v2", {"Bucket": "b", "Prefix": "a/b c", "Delimiter": "/", "StartAfter": "a=b&c"}),
    ("s3", "delete_objects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "k"}]}}),
]


@pytest.mark.parametrize("token", [None, TOKEN], ids=["long-term", "session"])
@pytest.mark.parametrize(("service", "call", "params"), CALLS, ids=[f"{s}.{c}" for s, c, _ in CALLS])
def test_botocore_signed_request__verifies_with_its_secret_and_not_another(service, call, params, token):
    request = _prepared(service, call, token, **params)
    wire = _wire(request)
    signed = signature_of(wire)
    assert signed is not None and signed.access_key == KEY and signed.session_token == token
    s3 = signed.service == "s3"
    assert signature_matches(wire, signed, SECRET, s3=s3)
    assert not signature_matches(wire, signed, SECRET + "x", s3=s3)
    signer = (S3SigV4Auth if s3 else SigV4Auth)(Credentials(KEY, SECRET, token), signed.service, REGION)
    assert canonical_request(wire, signed, s3=s3) == signer.canonical_request(_unsigned(request, signed))


@pytest.mark.parametrize(
    "change",
    ["body", "path", "query", "signed header", "method"],
)
def test_a_changed_request__no_longer_verifies(change):
    request = _prepared("lambda", "invoke", FunctionName="f", Payload=b'{"a": 1}', Qualifier="1")
    wire = _wire(request)
    signed = signature_of(wire)
    assert signed is not None and signature_matches(wire, signed, SECRET, s3=False)
    lines = list(wire.header_lines)
    changed = {
        "body": lambda: WireRequest(wire.method, wire.raw_path, wire.raw_query, wire.header_lines, b'{"a": 2}'),
        "path": lambda: WireRequest(wire.method, wire.raw_path + "x", wire.raw_query, wire.header_lines, wire.body),
        "query": lambda: WireRequest(wire.method, wire.raw_path, "Qualifier=2", wire.header_lines, wire.body),
        "signed header": lambda: WireRequest(
            wire.method, wire.raw_path, wire.raw_query, (*lines[:-1], ("Host", "127.0.0.1:1")), wire.body
        ),
        "method": lambda: WireRequest("PUT", wire.raw_path, wire.raw_query, wire.header_lines, wire.body),
    }[change]()
    assert not signature_matches(changed, signed, SECRET, s3=False)


def test_headers_added_after_signing_and_repeated_headers__as_aws_reads_them():
    request = _prepared("dynamodb", "list_tables")
    wire = _wire(request)
    signed = signature_of(wire)
    assert signed is not None
    extra = (("Accept-Encoding", "identity"), ("Connection", "keep-alive"), ("X-Not-Signed", "a"))
    later = WireRequest(wire.method, wire.raw_path, wire.raw_query, wire.header_lines + extra, wire.body)
    assert signature_matches(later, signed, SECRET, s3=False)  # unsigned headers do not count

    # A signed header sent twice is signed as its values joined with a comma, spaces squeezed.
    aws = AWSRequest("GET", "http://127.0.0.1:4566/", headers={"X-Amz-Date": "20260101T000000Z"})
    aws.headers.add_header("X-Amz-Meta-Tag", "a   b ")
    aws.headers.add_header("X-Amz-Meta-Tag", " c")
    aws.context["timestamp"] = "20260101T000000Z"
    signer = SigV4Auth(Credentials(KEY, SECRET), "execute-api", REGION)
    signature = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
    auth = (
        f"AWS4-HMAC-SHA256 Credential={KEY}/20260101/{REGION}/execute-api/aws4_request, "
        f"SignedHeaders=host;x-amz-date;x-amz-meta-tag, Signature={signature}"
    )
    lines = (
        ("Host", "127.0.0.1:4566"),
        ("X-Amz-Date", "20260101T000000Z"),
        ("x-amz-meta-tag", "a   b "),
        ("X-AMZ-META-TAG", " c"),
        ("Authorization", auth),
    )
    repeated = WireRequest("GET", "/", "", lines, b"")
    signed = signature_of(repeated)
    assert signed is not None and signature_matches(repeated, signed, SECRET, s3=False)


def test_presigned_urls__sigv4_and_s3_sigv2_verify_and_expire():
    session = boto3.Session(KEY, SECRET, TOKEN, region_name=REGION)
    for version in ("s3v4", None):  # None: boto3's default for S3 presigned GET URLs (Signature Version 2)
        config = Config(signature_version=version) if version else None
        s3 = session.client("s3", endpoint_url="http://127.0.0.1:4566", config=config)
        url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "a b"}, ExpiresIn=60))
        wire = WireRequest("GET", url.path, url.query, (("Host", url.netloc),), b"")
        signed = signature_of(wire)
        assert signed is not None and signed.presigned and signed.session_token == TOKEN
        assert signed.version == (4 if version else 2)
        assert signature_matches(wire, signed, SECRET, s3=True)
        assert not signature_matches(wire, signed, "other", s3=True)
        now = datetime.now(UTC)
        check_time(signed, now, 900)
        with pytest.raises(AuthFailure) as late:
            check_time(signed, now + timedelta(seconds=120), 900)
        assert late.value.kind is Failure.PRESIGN_EXPIRED and late.value.s3_message == "Request has expired"


def test_sigv2_string_to_sign__is_botocores():
    request = AWSRequest("PUT", "http://127.0.0.1:4566/b/k%20y?acl&versionId=3&prefix=x", data=b"x")
    request.headers["Content-Type"] = "text/plain"
    request.headers["x-amz-meta-b"] = "2"
    request.headers["X-Amz-Meta-A"] = "1"
    signer = HmacV1Auth(Credentials(KEY, SECRET))
    signer.add_auth(request)
    url = urlsplit(request.url)
    lines = tuple((k, v) for k, v in request.headers.items())
    wire = WireRequest("PUT", url.path, url.query, lines, b"x")
    signed = signature_of(wire)
    assert signed is not None and signed.version == 2
    sent = request.headers["Date"]
    signer._get_date = lambda: sent  # type: ignore[method-assign] - botocore re-dates: use the date that was sent
    assert sigv2_string_to_sign(wire, signed) == signer.canonical_string("PUT", url, request.headers)
    assert signature_matches(wire, signed, SECRET, s3=True)


def _signed_at(moment: datetime) -> Signed:
    return Signed(4, False, KEY, "sig", moment, date=moment.strftime("%Y%m%d"), region=REGION, service="sts",
                  terminator="aws4_request")  # fmt: skip


def test_request_time__refused_beyond_the_window_either_way_with_aws_wording():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    check_time(_signed_at(now - timedelta(minutes=14)), now, 900)
    check_time(_signed_at(now + timedelta(minutes=14)), now, 900)
    with pytest.raises(AuthFailure) as past:
        check_time(_signed_at(now - timedelta(minutes=16)), now, 900)
    assert past.value.kind is Failure.SKEWED
    assert past.value.message == (
        "Signature expired: 20260101T114400Z is now earlier than 20260101T114500Z (20260101T120000Z - 15 min.)"
    )
    with pytest.raises(AuthFailure) as future:
        check_time(_signed_at(now + timedelta(minutes=16)), now, 900)
    assert future.value.message == (
        "Signature not yet current: 20260101T121600Z is still later than 20260101T121500Z (20260101T120000Z + 15 min.)"
    )
    with pytest.raises(AuthFailure) as five:
        check_time(_signed_at(now - timedelta(minutes=6)), now, 300)
    assert five.value.message.endswith("(20260101T120000Z - 5 min.)")


def test_credential_scope_date__must_be_the_request_date():
    now = datetime(2026, 1, 2, 0, 0, 5, tzinfo=UTC)
    wrong = Signed(4, False, KEY, "sig", now, date="20260101", region=REGION, service="sts", terminator="aws4_request")
    with pytest.raises(AuthFailure) as scope:
        check_time(wrong, now, 900)
    assert scope.value.kind is Failure.SCOPE and "'20260101' != '20260102'" in scope.value.message


@pytest.mark.parametrize(
    ("auth", "missing"),
    [
        ("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request", ["Signature", "SignedHeaders"]),
        ("Bearer abc", ["Credential", "Signature", "SignedHeaders"]),
    ],
)
def test_malformed_authorization__is_incomplete_naming_what_is_missing(auth, missing):
    wire = WireRequest("POST", "/", "", (("Authorization", auth), ("X-Amz-Date", "20260101T000000Z")), b"")
    with pytest.raises(AuthFailure) as failure:
        signature_of(wire)
    assert failure.value.kind is Failure.INCOMPLETE
    for name in missing:
        assert f"Authorization header requires '{name}' parameter." in failure.value.message
    assert failure.value.message.endswith(f"Authorization={auth}")


def test_unsigned_request__has_no_signature():
    assert signature_of(WireRequest("GET", "/b/k", "x=1", (("Host", "h"),), b"")) is None


def test_s3_payload_hash__must_be_the_bodys():
    request = _prepared("s3", "put_object", Bucket="b", Key="k", Body=b"hello")
    wire = _wire(request)
    check_payload(wire, s3=True)
    tampered = WireRequest(wire.method, wire.raw_path, wire.raw_query, wire.header_lines, b"HELLO")
    signed = signature_of(tampered)
    assert signed is not None and signature_matches(tampered, signed, SECRET, s3=True)  # the hash is signed...
    with pytest.raises(AuthFailure) as failure:
        check_payload(tampered, s3=True)  # ...but it is not the body's
    assert failure.value.kind is Failure.PAYLOAD_HASH


def test_streamed_body__is_read_as_sent():
    request = _prepared("s3", "put_object", Bucket="b", Key="k", Body=io.BytesIO(b"streamed"))
    wire = _wire(request)
    signed = signature_of(wire)
    assert wire.body == b"streamed" and signed is not None and signature_matches(wire, signed, SECRET, s3=True)
