"""Keep the translation catalogues in step with the English sources (docs/translating.md).

    python tools/translations.py --update [--lang vi]   add the new English texts to the .po files, mark changed ones
    python tools/translations.py --check [--lang vi]    list every text without a translation; exit status 1 if any

Two catalogues per language:

- workshop_lib/locale/<lang>/LC_MESSAGES/workshop.po: what workshop_lib says (every ``_("...")`` in its code)
  and what the notebooks' code cells print (``wl.check`` / ``wl.say`` messages, context ``notebook``);
- notebooks/i18n/<lang>.po: every markdown cell of the notebooks, keyed by notebook and cell id.

``--update`` merges with Babel (Catalog.update): a translated entry is kept; an entry whose English text changed
is marked fuzzy with its old text beside it (a fuzzy entry is not used: the English text shows until a translator
updates it and removes the mark); an entry whose English text is gone is dropped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from workshop_lib import i18n, notebook_translation
from workshop_lib.main_job import notebooks

KIT_ROOT = Path(__file__).resolve().parent.parent
LIBRARY = KIT_ROOT / "workshop_lib"
KEYWORDS = {"_": None, "ngettext": (1, 2)}
PROJECT = "inference-metadata workshop kit"
HEADER = """\
# The {language} translation of the workshop kit: {file}.
# The English texts are the source; `python tools/translations.py --update` merges their changes here,
# `--check` lists what has no translation yet. How to translate: docs/translating.md."""


def library_messages(library: Path = LIBRARY) -> Catalog:
    """Every message workshop_lib's code passes to ``_()`` / ``ngettext()`` (Babel's Python extractor)."""
    template = Catalog(project=PROJECT)
    for filename, lineno, message, comments, context in extract_from_dir(
        library, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        template.add(message, locations=[(f"workshop_lib/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def runtime_template(source: Path = KIT_ROOT / "notebooks") -> Catalog:
    """workshop.po's English side: workshop_lib's messages and the notebooks' code-cell messages."""
    template = library_messages()
    for notebook in notebooks(source):
        for cell_id, text in notebook_translation.notebook_messages(notebook):
            template.add(text, locations=[(f"notebooks/{notebook.name}", 0)], context=i18n.NOTEBOOK_CONTEXT,
                         auto_comments=[f"cell {cell_id}"])
    return template


def markdown_template(source: Path = KIT_ROOT / "notebooks") -> Catalog:
    """notebooks/i18n/<lang>.po's English side: every markdown cell, keyed by notebook and cell id."""
    template = Catalog(project=PROJECT)
    for notebook in notebooks(source):
        for context, text in notebook_translation.markdown_cells(notebook):
            template.add(text, context=context, locations=[(f"notebooks/{notebook.name}", 0)])
    return template


def _read(path: Path, lang: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=lang, project=PROJECT)
    with path.open("rb") as po:
        return read_po(po, locale=lang)


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    """Each entry of ``template`` that ``catalog`` lacks, leaves empty or marks fuzzy, named by context and text."""
    missing = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None or not entry.string or entry.fuzzy or (
            isinstance(entry.string, tuple) and not all(entry.string)
        ):
            first = (message.id if isinstance(message.id, str) else message.id[0]).splitlines()[0]
            missing.append(f"[{message.context or 'workshop_lib'}] {first[:100]}")
    return missing


def pairs(lang: str) -> list[tuple[Path, Catalog]]:
    """(catalogue file, English template) of each catalogue of ``lang``."""
    return [
        (i18n.catalogue_path(lang), runtime_template()),
        (notebook_translation.catalogue_path(lang), markdown_template()),
    ]


def update(lang: str) -> None:
    for path, template in pairs(lang):
        catalog = _read(path, lang)
        created = catalog.creation_date  # kept, so that an update without new texts changes nothing in the file
        catalog.update(template, update_header_comment=False)
        catalog.creation_date = catalog.revision_date = created
        catalog.obsolete.clear()
        catalog.fuzzy = False  # the header is complete: a fuzzy header would hide nothing, but tools complain
        catalog.header_comment = HEADER.format(language=lang, file=path.relative_to(KIT_ROOT).as_posix())
        catalog.last_translator = catalog.language_team = "the kit's maintainers (docs/translating.md)"
        catalog.msgid_bugs_address = ""
        catalog.version = "1"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po:
            write_po(po, catalog, width=120, omit_header=False, sort_output=False, include_previous=True)
        print(f"updated {path.relative_to(KIT_ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/translations.py", description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--update", action="store_true", help="merge the English texts into the catalogues")
    action.add_argument("--check", action="store_true", help="list the texts without a translation")
    parser.add_argument("--lang", default="vi", choices=[lang for lang in i18n.LANGUAGES if lang != "en"])
    args = parser.parse_args(argv)
    if args.update:
        update(args.lang)
        return 0
    missing = [f"{path.relative_to(KIT_ROOT)}: {m}" for path, t in pairs(args.lang) for m in untranslated(
        _read(path, args.lang), t)]
    print("\n".join(missing) or f"every text has its {args.lang} translation")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
