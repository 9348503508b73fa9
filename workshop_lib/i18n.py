"""The workshop's languages: which one is in use, and its message catalogue (gettext, read with Babel).

The language is, in order: the one set with ``set_language`` (the notebooks' ``lang`` parameter), else
``$WORKSHOP_LANG``, else English. English is the source: every message is written in English in the code and
looked up in ``workshop_lib/locale/<lang>/LC_MESSAGES/workshop.po``; a message the catalogue lacks (or marks
fuzzy) stays English. The .po file is the only file committed: Babel reads it and compiles it in memory into
a standard ``gettext.GNUTranslations`` (no .mo file to keep in step).

Two kinds of entries, both in workshop.po (docs/translating.md says how to add one):

- workshop_lib's own messages, written ``_("... {name} ...").format(name=...)`` in the code;
- the messages of the notebooks' code cells (``wl.check(condition, f"...")``, ``wl.say(f"...")``), under
  the context ``notebook``: their msgid is the f-string as the cell writes it, placeholders and all, so the
  code cells stay the same in every language. ``translate_notebook_message`` finds the entry whose literal
  parts match the formatted text and puts the values it read into the translation's placeholders.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Babel is imported when a catalogue is first read: English never needs it
    from babel.messages.catalog import Catalog

LANGUAGES = ("en", "vi")  # English is the source; the others have a catalogue in locale/
DEFAULT_LANGUAGE = "en"
ENV_LANG = "WORKSHOP_LANG"  # the same variable as workshop_lib.config.ENV_LANG
DOMAIN = "workshop"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
NOTEBOOK_CONTEXT = "notebook"  # msgctxt of the notebooks' code-cell messages
PLACEHOLDER = re.compile(r"\{[^{}]*\}")  # an f-string's or str.format's {field}

_chosen: str | None = None  # set_language's choice for this process (a notebook's kernel)


def catalogue_path(lang: str) -> Path:
    """The .po file of ``lang`` (English has none: it is the source)."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _code(lang: str | None) -> str:
    """The language code of "vi", "VI", "vi_VN", "vi-VN.UTF-8" ("" for empty): what comes before _ - . @"""
    return re.split(r"[_.\-@]", (lang or "").strip(), maxsplit=1)[0].lower()


def normalize(lang: str | None) -> str:
    """A known language code from ``lang`` ("vi", "VI", "vi_VN", "vi-VN.UTF-8"); "" for empty; InvalidInput else."""
    text = (lang or "").strip()
    code = _code(text)
    if code and code not in LANGUAGES:
        from .errors import InvalidInput

        raise InvalidInput(
            _("the workshop is not written in {lang!r}").format(lang=text),
            resource="lang",
            fix=_("use one of: {languages}").format(languages=", ".join(LANGUAGES)),
        )
    return code


def language() -> str:
    """The language in use: set_language's, else $WORKSHOP_LANG's, else English."""
    if _chosen:
        return _chosen
    code = _code(os.environ.get(ENV_LANG))
    return code if code in LANGUAGES else DEFAULT_LANGUAGE  # a bad $WORKSHOP_LANG: set_language names it


def set_language(lang: str | None = "") -> str:
    """Use ``lang`` for every message from now on ("": $WORKSHOP_LANG, else English); returns the one in use.

    The notebooks call it with their ``lang`` parameter, in the cell that connects.
    """
    global _chosen
    code = normalize(lang) or normalize(os.environ.get(ENV_LANG)) or DEFAULT_LANGUAGE
    _chosen = code
    return code


def reset_language() -> None:
    """Forget set_language's choice: $WORKSHOP_LANG, else English, decides again."""
    global _chosen
    _chosen = None


@functools.cache
def catalogue(lang: str) -> Catalog | None:
    """The catalogue of ``lang`` as Babel reads it (None for English, or a language with no .po file)."""
    path = catalogue_path(lang)
    if lang == DEFAULT_LANGUAGE or not path.exists():
        return None
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        return read_po(po, locale=lang, domain=DOMAIN)


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (NullTranslations for English: the messages are their own text)."""
    catalog = catalogue(lang)
    if catalog is None:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo

    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


def _(message: str) -> str:
    """``message`` in the language in use (the English text when the catalogue lacks it)."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the language in use."""
    return translations(language()).ngettext(singular, plural, n)


# --- The notebooks' code-cell messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A notebook message with placeholders: its msgid as a pattern, and its translation."""

    msgid: str
    msgstr: str
    pattern: re.Pattern[str]
    fields: tuple[str, ...]  # the placeholders in order, as the msgid writes them
    literal: int  # characters outside the placeholders: the most specific match wins


def _template(msgid: str, msgstr: str) -> Template:
    fields = tuple(PLACEHOLDER.findall(msgid))
    literals = PLACEHOLDER.split(msgid)
    pattern = "(.*?)".join(re.escape(part) for part in literals)
    return Template(msgid, msgstr, re.compile(f"^{pattern}$", re.S), fields, sum(map(len, literals)))


@functools.cache
def notebook_templates(lang: str) -> tuple[tuple[str, str], ...]:
    """(msgid, msgstr) of every translated notebook message of ``lang``; empty for English."""
    catalog = catalogue(lang)
    if catalog is None:
        return ()
    return tuple(
        (m.id, m.string)
        for m in catalog
        if m.id and m.context == NOTEBOOK_CONTEXT and m.string and not m.fuzzy and isinstance(m.id, str)
    )


@functools.cache
def _compiled(lang: str) -> tuple[Template, ...]:
    found = [_template(i, s) for i, s in notebook_templates(lang) if PLACEHOLDER.search(i)]
    return tuple(sorted(found, key=lambda t: -t.literal))


def translate_notebook_message(text: str, lang: str | None = None) -> str:
    """A notebook's formatted message (``f"table {name} is ACTIVE"`` once run) in ``lang`` (default: in use).

    An entry without placeholders must equal the text; one with placeholders must match its literal parts,
    and the values found in their places go into the translation's placeholders of the same text. The text is
    returned as it is when no entry matches (English, or a message not translated yet).
    """
    lang = lang or language()
    if lang == DEFAULT_LANGUAGE or not text:
        return text
    exact = translations(lang).pgettext(NOTEBOOK_CONTEXT, text)
    if exact != text:
        return exact
    for template in _compiled(lang):
        match = template.pattern.match(text)
        if match:
            return _fill(template.msgstr, dict(zip(template.fields, match.groups(), strict=True)))
    return text


def _fill(msgstr: str, values: dict[str, str]) -> str:
    """The translation with each placeholder replaced by the value found in its place in the English text."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(0), m.group(0)), msgstr)
