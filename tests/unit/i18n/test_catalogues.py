"""The catalogues are complete: every English text of workshop_lib and of the notebooks has its translation.

A failure names each text without one; `python tools/translations.py --update` adds the new texts to the .po files
and marks the changed ones, then translate them (docs/translating.md).
"""

from __future__ import annotations

import pytest

from tools import translations
from workshop_lib import i18n, notebook_translation
from workshop_lib.i18n import PLACEHOLDER

OTHER_LANGUAGES = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE]
FIX = "run `python tools/translations.py --update`, translate these in the .po file (docs/translating.md)"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_catalogue__every_message_of_workshop_lib_and_of_the_notebooks_code_cells_is_translated(lang):
    catalog = i18n.catalogue(lang)
    assert catalog is not None, f"no {i18n.catalogue_path(lang)}: {FIX}"
    missing = translations.untranslated(catalog, translations.runtime_template())
    assert not missing, f"{len(missing)} messages have no {lang} translation; {FIX}:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_catalogue__every_markdown_cell_of_the_notebooks_is_translated(lang):
    catalog = notebook_translation.read_catalogue(lang)
    missing = translations.untranslated(catalog, translations.markdown_template())
    assert not missing, f"{len(missing)} markdown cells have no {lang} translation; {FIX}:\n" + "\n".join(missing)


def test_untranslated__names_a_new_text_and_a_fuzzy_one():
    from babel.messages.catalog import Catalog

    template = Catalog()
    template.add("table {name} is ready")
    template.add("the row is there", context="notebook")
    catalog = Catalog(locale="vi")
    catalog.add("the row is there", "dòng đó đã có", context="notebook", flags=["fuzzy"])
    assert translations.untranslated(catalog, template) == [
        "[workshop_lib] table {name} is ready",
        "[notebook] the row is there",
    ]


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_catalogue__each_translation_keeps_the_placeholders_of_its_english_text(lang):
    """A placeholder lost or misspelt would fail at .format() (KeyError) or drop a value the learner needs."""
    wrong = [
        f"{m.id!r} -> {m.string!r}"
        for m in i18n.catalogue(lang)
        if m.id
        and m.string
        and not m.fuzzy
        and isinstance(m.id, str)
        and sorted(set(PLACEHOLDER.findall(m.id))) != sorted(set(PLACEHOLDER.findall(m.string)))
    ]
    assert not wrong, "these translations change the placeholders:\n" + "\n".join(wrong)


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_catalogue__compiles_with_gettext_and_translates_through_it(lang):
    assert i18n.translations(lang).gettext("local cloud: stopped") != "local cloud: stopped"
