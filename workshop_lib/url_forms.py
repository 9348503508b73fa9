"""The invoke URL in both forms: the one this target answers, and the one AWS gives the same API.

On AWS a REST API's stage answers ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/{path}``:
a DNS name per API. The local cloud is one process on one port of 127.0.0.1 and has no DNS name per
API, so it answers the path form that moto and LocalStack use,
``http://127.0.0.1:{port}/restapis/{api-id}/{stage}/_user_request_/{path}``. The request, the event the
Lambda gets and the answer are the same; only the address differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .api import invoke_url
from .connect import Connection, current
from .errors import InvalidInput
from .i18n import _
from .tables import ShownAsTable, Table

_LOCAL = re.compile(r"^https?://[^/]+/restapis/(?P<api>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)$")
_AWS = re.compile(
    r"^https://(?P<api>[^./]+)\.execute-api\.(?P<region>[^.]+)\.amazonaws\.com/(?P<stage>[^/]+)(?P<path>/.*)$"
)


def why() -> str:
    """Why the two forms differ, in the language in use."""
    return _(
        "the local cloud is one process on one port of 127.0.0.1, with no DNS name per API, so it answers the "
        "path form that local AWS emulators (moto, LocalStack) use; on AWS each API has its own execute-api host "
        "name. The request, the Lambda's event and the answer are the same on both."
    )


@dataclass(frozen=True)
class InvokeUrls(ShownAsTable):
    """The URL this target answers (``url``), and the same API's address in AWS's form (``aws``)."""

    url: str
    aws: str
    local: str | None  # the local cloud's path form; None on the aws target

    def table(self) -> Table:
        use_it = _("this target: use it")
        rows = [("AWS (execute-api)", self.aws, "" if self.local else use_it)]
        if self.local:
            rows.insert(0, (_("this local cloud (path form)"), self.local, use_it))
        notes = (_("Why they differ: {why}").format(why=why()),) if self.local else ()
        return Table.of((_("where"), _("invoke URL"), ""), rows, notes=notes)


def invoke_urls(url: str | None = None, *, conn: Connection | None = None) -> InvokeUrls:
    """Both forms of the workshop API's invoke URL (``url`` defaults to ``invoke_url()`` on this target)."""
    conn = conn or current()
    url = url or invoke_url(conn)
    if m := _LOCAL.match(url):
        aws = f"https://{m['api']}.execute-api.{conn.region}.amazonaws.com/{m['stage']}{m['path']}"
        return InvokeUrls(url, aws, url)
    if _AWS.match(url):
        return InvokeUrls(url, url, None)
    raise InvalidInput(
        _("{url!r} is neither an execute-api URL nor the local cloud's /restapis/ form").format(url=url),
        resource="invoke URL",
        fix=_("pass the URL invoke_url() returns"),
    )
