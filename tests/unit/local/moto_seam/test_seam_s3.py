"""The moto internals of workshop_lib/local/core/moto_seam/s3.py (S3), one test each."""

from __future__ import annotations

import io
import tarfile

from tests.unit.local.moto_seam.seam import changed


def test_moto_seam__an_s3_object_is_read_as_bytes(moto_conn, backends):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz"):
        pass
    s3 = moto_conn.client("s3")
    s3.create_bucket(Bucket="seam-bucket")
    s3.put_object(Bucket="seam-bucket", Key="m.tar.gz", Body=data.getvalue())
    assert backends.s3_object("seam-bucket", "m.tar.gz") == data.getvalue(), changed(
        "the s3 backend's get_object", "s3"
    )
    assert backends.s3_object("seam-bucket", "missing") is None
