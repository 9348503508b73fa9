"""The moto internals of workshop_lib/local/core/moto_seam/server.py (moto's server app and backends), one test each."""

from __future__ import annotations

import moto
from packaging.specifiers import SpecifierSet
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.unit.local.moto_seam.seam import REGION, changed
from workshop_lib.local.core import moto_seam
from workshop_lib.local.core.moto_seam import MotoDispatcher


def test_moto_seam__installed_moto_is_in_the_range_the_seam_is_written_for():
    assert moto.__version__ in SpecifierSet(moto_seam.MOTO_VERSIONS), changed(
        f"its version (the seam is written for {moto_seam.MOTO_VERSIONS})", "server"
    )


def test_moto_seam__get_backend_gives_every_workshop_service_by_account_and_region(moto_conn):
    for service in moto_seam.WORKSHOP_SERVICES:
        backends = moto.backends.get_backend(service)
        scope = "global" if service in (*moto_seam.GLOBAL_SERVICES, "s3") else REGION  # s3: one per partition
        assert backends[moto_conn.account_id][scope] is not None, changed(f"get_backend({service!r})", "server")
    assert moto_seam.start_warmup().join(timeout=120) is None


def test_moto_seam__the_dispatcher_maps_a_signed_request_to_its_backend_app_and_answers_it(moto_conn):
    dispatcher = MotoDispatcher()
    for name in ("lock", "app_instances", "create_app", "get_backend_for_host", "infer_service_region_host"):
        assert hasattr(dispatcher, name), changed(f"DomainDispatcherApplication.{name}", "server")
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIA/20250101/{REGION}/sts/aws4_request, Signature=0",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    request = Request(EnvironBuilder(path="/", method="POST", headers=headers, data=body).get_environ())
    resp = dispatcher.answer(request)
    assert resp.status_code == 200 and b"GetCallerIdentityResult" in resp.get_data(), changed(
        "the server app", "server"
    )
    host = dispatcher.infer_service_region_host(request.environ, "/")
    assert dispatcher._apps_by_host[host] is dispatcher.app_instances[dispatcher.get_backend_for_host(host)]


def test_moto_seam__underscored_s3_metadata_headers_are_preserved_as_moto_request_reads_them():
    environ: dict = {}
    moto_seam.preserve_underscored_headers(environ, [("x-amz-meta-my_key", "v")])
    key = moto_seam.environ_key_for_header("x-amz-meta-my_key")
    assert environ[key] == "v", changed("moto.core.request.environ_key_for_header", "server")
    assert environ[moto_seam.PRESERVED_HEADER_NAMES_ENVIRON_KEY] == {key: "x-amz-meta-my_key"}, changed(
        "moto.core.request.PRESERVED_HEADER_NAMES_ENVIRON_KEY", "server"
    )
