"""The Vietnamese notebooks, built from the English ones: the same code, every markdown cell in Vietnamese."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import nbformat
import pytest

from workshop_lib.main_job import notebooks
from workshop_lib.notebook_translation import build, code_messages, read_catalogue, translated

ENGLISH = notebooks()
# Letters only Vietnamese writes, among the text's: at least one in every cell (the checker's "diacritics present").
VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯ]|[\u0300\u0301\u0303\u0309\u0323]")
# English function words: none may remain outside code spans. Words Vietnamese also writes without diacritics
# ("in" is to print, "do" is because, "an" is safe, "no" is full) are not listed.
ENGLISH_WORDS = {
    "the", "and", "of", "to", "is", "are", "with", "for", "that", "this", "its", "what", "when", "which", "your",
    "you", "from", "by", "be", "or", "not", "every", "each", "then", "first", "after", "before", "only", "will",
    "can", "here", "there", "runs", "does", "has", "have", "it", "at", "as", "on", "into", "than", "while",
}  # fmt: skip
CODE = re.compile(r"```.*?```|`[^`]*`|https?://\S+", re.S)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("vi")
    done = build("vi", out)
    assert [b.path.name for b in done] == [p.name for p in ENGLISH]
    return [b.path for b in done]


def _prose(markdown: str) -> str:
    return CODE.sub(" ", markdown)


@pytest.mark.parametrize("index", range(len(ENGLISH)), ids=[p.stem for p in ENGLISH])
def test_vietnamese_notebook__has_the_english_notebooks_code_cells_exactly(built, index):
    english = nbformat.read(ENGLISH[index], as_version=4)
    vietnamese = nbformat.read(built[index], as_version=4)
    assert [(c.cell_type, c.id) for c in vietnamese.cells] == [(c.cell_type, c.id) for c in english.cells]
    for en, vi in zip(english.cells, vietnamese.cells, strict=True):
        if en.cell_type == "code":
            assert (vi.source, vi.metadata) == (en.source, en.metadata), f"code cell {en.id} differs"
    assert vietnamese.metadata == english.metadata


@pytest.mark.parametrize("index", range(len(ENGLISH)), ids=[p.stem for p in ENGLISH])
def test_vietnamese_notebook__every_markdown_cell_is_in_vietnamese(built, index):
    english = nbformat.read(ENGLISH[index], as_version=4)
    vietnamese = nbformat.read(built[index], as_version=4)
    for en, vi in zip(english.cells, vietnamese.cells, strict=True):
        if vi.cell_type != "markdown":
            continue
        prose = unicodedata.normalize("NFD", _prose(vi.source))
        assert VIETNAMESE_LETTERS.search(prose), f"{built[index].name}, cell {vi.id}: no Vietnamese in:\n{vi.source}"
        words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", _prose(vi.source))  # "toàn" is not "to", nor "on-demand" "on"
        left = sorted({w for w in words if w.lower() in ENGLISH_WORDS})
        assert not left, f"{built[index].name}, cell {vi.id}: English words {left} in:\n{vi.source}"
        assert vi.source != en.source


def test_vietnamese_notebook__titles_use_the_workshops_section_titles(built):
    titles = {p.stem: nbformat.read(p, as_version=4).cells[0].source.splitlines()[0] for p in built}
    assert titles["06_model_endpoint"].startswith("# 06 · Triển khai Endpoint của SageMaker cho Inference")
    assert titles["07_inference_lambda_and_api"].startswith("# 07 · Xây dựng Lambda Function và REST API cho Inference")
    assert titles["08_1_metadata_table"] == "# 08.1 · Tạo bảng DynamoDB để lưu metadata inference"
    assert titles["08_2a_update_lambda"] == "# 08.2 · Cập nhật Lambda để ghi dữ liệu vào DynamoDB"
    assert titles["09_cleanup"] == "# 09 · Dọn dẹp tài nguyên"
    assert all("**Mục tiêu:**" in nbformat.read(p, as_version=4).cells[0].source for p in built)


def test_build__a_changed_english_cell_is_left_in_english_and_named(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    nb = nbformat.read(ENGLISH[-1], as_version=4)
    nb.cells[0].source += "\n\nA sentence added later."
    nbformat.write(nb, source / ENGLISH[-1].name)
    (built,) = build("vi", tmp_path / "vi", source=source)
    assert built.untranslated == [f"{ENGLISH[-1].stem}/{nb.cells[0].id}"]
    assert nbformat.read(built.path, as_version=4).cells[0].source == nb.cells[0].source


def test_translated__takes_each_cell_by_its_notebook_cell_id_and_text():
    catalogue = read_catalogue("vi")
    nb, missing = translated(ENGLISH[-1], catalogue)
    assert missing == [] and nb.cells[0].source.startswith("# 09 · Dọn dẹp tài nguyên")


def test_build__english_is_the_notebooks_as_they_are(tmp_path):
    done = build("en", tmp_path)
    assert [b.path.read_bytes() for b in done] == [p.read_bytes() for p in ENGLISH]


def test_code_messages__reads_check_and_say_messages_with_their_placeholders():
    source = (
        'wl.check(x == 1, f"table {t[\'TableName\']} has {len(rows):,} rows", "still there: " + str(x), fix="run it")\n'
        "wl.say(f\"{report.accuracy:.3f} on {n!r}\")\nprint(f'not {ours}')\nwl.check(ok, message)\n%time x"
    )
    assert code_messages(source) == []  # a magic: not Python, no messages read
    assert code_messages(source.rsplit("\n", 1)[0]) == [
        "table {t['TableName']} has {len(rows):,} rows",
        "run it",
        "{report.accuracy:.3f} on {n!r}",
    ]


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_notebook__has_a_lang_parameter_and_uses_it_before_it_connects(path):
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert re.search(r'^lang: str = "" +# ', code[0].source, re.M), "no typed, commented `lang` parameter"
    connect = code[1].source
    assert "wl.set_language(lang)" in connect, "the connect cell does not call wl.set_language(lang)"
    assert connect.index("wl.set_language(lang)") < connect.index("wl.connect("), "set the language before connecting"
