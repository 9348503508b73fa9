"""What notebooks use to show evidence: visible checks, and values recorded for the tests to read.

``check`` prints a visible line when a step worked and raises StepFailed (the cell turns red, the
papermill run stops) when it did not. ``record`` leaves a value in the cell's output under a
mimetype of the kit's own, so tests and the main job can read it from the executed notebook; it is
plumbing, not evidence, so its text/plain is empty: JupyterLab, nbconvert and VS Code show nothing for it
(an output with no text/plain at all would make nbconvert warn that it "is not able to be represented").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import InvalidInput, StepFailed
from .i18n import _

RECORD_MIMETYPE = "application/vnd.workshop.record+json"


def check(condition: object, success: str, failure: str | None = None, *, fix: str | None = None) -> None:
    """Print ``success`` with a check mark when ``condition`` is true, else raise StepFailed."""
    if not condition:
        raise StepFailed(_("CHECK FAILED: {message}").format(message=failure or success), fix=fix)
    print(f"\N{HEAVY CHECK MARK} {success}")  # noqa: T201 - the visible evidence in the notebook


def record(name: str, value: Any) -> None:
    """Record ``value`` (JSON-serialisable) in the executed notebook under ``name``, silently.

    The output holds the value under the kit's mimetype and an empty text/plain, so a reader sees nothing.
    """
    from IPython.display import display

    if not isinstance(name, str) or not name:
        raise InvalidInput(
            _("a record's name must be a non-empty string, not {name!r}").format(name=name),
            fix=_('e.g. record("request_id", rid)'),
        )
    payload = {name: value}
    try:
        json.dumps(payload)  # fail here, in the cell, if the value cannot be recorded
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            _("{name} cannot be recorded: {exc}").format(name=name, exc=exc),
            fix=_("record a JSON value (str, number, bool, None, list, dict)"),
        ) from exc
    display({RECORD_MIMETYPE: payload, "text/plain": ""}, raw=True)


def recorded(notebook: str | Path) -> dict[str, Any]:
    """Every value an executed notebook recorded with ``record``."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    values: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORD_MIMETYPE in data:
                values.update(data[RECORD_MIMETYPE])
    return values
