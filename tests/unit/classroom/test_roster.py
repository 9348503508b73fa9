"""The class's participants file: names checked, the lines each participant pastes, a resumed class kept."""

from __future__ import annotations

import json

import pytest

from workshop_lib.classroom import roster
from workshop_lib.classroom.prepare import new_roster
from workshop_lib.errors import InvalidInput


def test_parse_names__trims_and_keeps_the_order():
    assert roster.parse_names(" alice, bob,team-7 ,") == ["alice", "bob", "team-7"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alice,Bob", "participant name 'Bob'"),
        ("alice,1st", "participant name '1st'"),
        ("alice,a-name-much-too-long", "participant name 'a-name-much-too-long'"),
        ("alice,class-shared", "the prefix of the class's shared endpoint"),
        ("alice,bob,alice", "given twice: alice"),
        (" , ", "no participant names"),
    ],
)
def test_parse_names__a_bad_name_is_named(text, message):
    with pytest.raises(InvalidInput, match=message):
        roster.parse_names(text)


def test_numbered_names():
    assert roster.numbered_names(3) == ["p01", "p02", "p03"]
    assert roster.numbered_names(120)[-1] == "p120"
    with pytest.raises(InvalidInput, match="--count 0 is out of range"):
        roster.numbered_names(0)


def test_save_and_load__the_file_and_each_participants_lines(tmp_path):
    people = (roster.Participant("alice", "https://x/prod/inference"), roster.Participant("bob"))
    saved = roster.Roster(people, "aws", "eu-west-1", "class-shared-ml-endpoint", "08_2a", tmp_path)
    file = roster.save(saved)
    assert json.loads(file.read_text())["participants"][0] == {
        "name": "alice",
        "invoke_url": "https://x/prod/inference",
    }
    assert roster.load(tmp_path) == saved
    assert (tmp_path / "bob.env").read_text() == "WORKSHOP_PREFIX=bob\nWORKSHOP_ENDPOINT=class-shared-ml-endpoint\n"
    params = (tmp_path / "alice.parameters.yaml").read_text()
    assert params == 'target: "aws"\nregion: "eu-west-1"\nprefix: "alice"\nendpoint: "class-shared-ml-endpoint"\n'
    own = roster.Roster(people, "local", "us-east-1", "", "08_2a", tmp_path)
    assert roster.env_lines(own, people[1]) == "WORKSHOP_PREFIX=bob\n"
    with pytest.raises(InvalidInput, match="'carol' is not a participant"):
        saved.participant("carol")


def test_new_roster__keeps_the_participants_of_an_earlier_run(tmp_path):
    first = new_roster(["alice", "bob"], "local", "us-east-1", shared=True, from_step="08_2a", directory=tmp_path)
    roster.save(first.with_invoke_url("alice", "u1"))
    grown = new_roster(["bob", "carol"], "local", "us-east-1", shared=True, from_step="08_2a", directory=tmp_path)
    assert grown.names() == ["alice", "bob", "carol"]
    assert grown.participant("alice").invoke_url == "u1"
    assert grown.shared_endpoint == "class-shared-ml-endpoint"
    with pytest.raises(InvalidInput, match="no workshop notebook '07_9'"):
        new_roster(["a"], "local", "us-east-1", shared=False, from_step="07_9", directory=tmp_path)
