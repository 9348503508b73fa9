"""What a notebook's code cells print, in the learner's language: ``wl.check`` and ``wl.say``.

The code cells are the same in every language: they write their messages in English (often f-strings), and
these functions translate the formatted text at run time with the catalogue's ``notebook`` entries
(i18n.translate_notebook_message), in the language the notebook chose (its ``lang`` parameter, else
$WORKSHOP_LANG, else English). ``check`` then does what notebook.check does.
"""

from __future__ import annotations

from typing import Any

from . import notebook
from .i18n import translate_notebook_message


def check(condition: object, success: str, failure: str | None = None, **options: Any) -> None:
    """notebook.check with ``success``, ``failure`` and ``fix`` in the language in use."""
    if options.get("fix"):
        options["fix"] = translate_notebook_message(options["fix"])
    notebook.check(
        condition,
        translate_notebook_message(success),
        translate_notebook_message(failure) if failure else None,
        **options,
    )


def say(text: str) -> None:
    """Print ``text``, a notebook's explanation, in the language in use."""
    print(translate_notebook_message(text))  # noqa: T201 - what the learner reads in the cell's output
