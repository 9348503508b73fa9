"""The Vietnamese entry points: README.vi.md starts with the two commands, and `make ... LANG=vi` chooses vi."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from workshop_lib.config import KIT_ROOT


def test_readme__links_to_the_vietnamese_readme_at_the_top():
    head = (KIT_ROOT / "README.md").read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "(README.vi.md)" in head


def test_readme_vi__shows_the_two_commands_first_in_vietnamese():
    text = (KIT_ROOT / "README.vi.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["make workshop LANG=vi", "make test"]
    assert text.index("```bash") < text.index("\n## ", text.index("## Hai lệnh chính") + 1)
    assert "(README.md)" in text.split("\n## ", 1)[0]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine (kit.py is the same)")
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["workshop", "LANG=vi"], "kit.py workshop --lang vi"),
        (["lab", "LANG=vi", "ARGS=--no-browser"], "kit.py lab --lang vi --no-browser"),
        (["workshop"], "kit.py workshop"),
    ],
)
def test_make__lang_on_the_command_line_chooses_the_language_and_the_locale_lang_does_not(argv, expected):
    env = {"PATH": "/usr/bin:/bin", "LANG": "en_US.UTF-8"}  # the locale's LANG must not become --lang
    done = subprocess.run(["make", "-n", *argv], cwd=KIT_ROOT, env=env, capture_output=True, text=True, check=True)
    assert " ".join(done.stdout.split()).endswith(expected)
