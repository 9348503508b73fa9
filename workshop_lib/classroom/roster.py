"""The class's participants: names, prefixes, invoke URLs, kept in the participants file (git-ignored).

A participant's name is their prefix (``naming.participant_prefix``: 1 to 16 lower-case letters, digits or
hyphens), so the board, the files and the resources all carry the same word. The participants file,
``participants.json`` in the class folder (``build/class/`` by default), also records the target, the region
and the shared endpoint, so that status, reset and clear work on the class that prepare made. For each
participant the folder holds the lines to paste: ``<name>.env`` (``WORKSHOP_PREFIX=...``) and
``<name>.parameters.yaml`` (the notebooks' parameters, for papermill or the parameters cell).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .. import naming
from ..config import CLASS_DIR, CLASS_SHARED_PREFIX, ENV_PREFIX, ENV_WORKSHOP_ENDPOINT
from ..errors import InvalidInput

PARTICIPANTS_FILE = "participants.json"
MAX_PARTICIPANTS = 200


@dataclass(frozen=True)
class Participant:
    name: str  # also the participant prefix
    invoke_url: str = ""  # the participant's POST /inference, once their API is deployed

    @property
    def prefix(self) -> str:
        return self.name


@dataclass(frozen=True)
class Roster:
    """A class: its participants, where it runs, and the endpoint they share ("" when each has their own)."""

    participants: tuple[Participant, ...]
    target: str
    region: str
    shared_endpoint: str = ""
    from_step: str = "08_2a"
    directory: Path = field(default=CLASS_DIR, compare=False)

    def names(self) -> list[str]:
        return [p.name for p in self.participants]

    def participant(self, name: str) -> Participant:
        for p in self.participants:
            if p.name == name:
                return p
        raise InvalidInput(
            f"{name!r} is not a participant of this class",
            resource=str(self.directory / PARTICIPANTS_FILE),
            fix="use one of: " + ", ".join(self.names()),
        )

    def with_invoke_url(self, name: str, url: str) -> Roster:
        people = tuple(replace(p, invoke_url=url) if p.name == name else p for p in self.participants)
        return replace(self, participants=people)


def parse_names(text: str) -> list[str]:
    """Participant names from "alice,bob, carol": each one checked, none twice, not the shared prefix."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InvalidInput("no participant names given", resource="--participants", fix="e.g. --participants alice,bob")
    for name in names:
        try:
            naming.participant_prefix(name)
        except InvalidInput as exc:
            raise InvalidInput(
                f"participant name {name!r} is not usable: {exc.message}", resource="--participants", fix=exc.fix
            ) from exc
        if name == CLASS_SHARED_PREFIX:
            raise InvalidInput(
                f"participant name {name!r} is the prefix of the class's shared endpoint",
                resource="--participants",
                fix="choose another name",
            )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput(f"participant names given twice: {', '.join(twice)}", resource="--participants", fix="")
    return names


def numbered_names(count: int) -> list[str]:
    """``count`` participant names: p01, p02, ... (p001 ... above 99)."""
    if not 1 <= count <= MAX_PARTICIPANTS:
        raise InvalidInput(
            f"--count {count} is out of range", resource="--count", fix=f"use 1 to {MAX_PARTICIPANTS} participants"
        )
    width = max(2, len(str(count)))
    return [f"p{i:0{width}d}" for i in range(1, count + 1)]


def path(directory: Path) -> Path:
    return Path(directory) / PARTICIPANTS_FILE


def load(directory: Path = CLASS_DIR) -> Roster:
    """The class that prepare recorded in ``directory``; a clear error when there is none."""
    file = path(directory)
    if not file.exists():
        raise InvalidInput(
            f"no class is prepared: {file} does not exist",
            resource=str(file),
            fix="run `python kit.py class prepare --participants alice,bob` (or --count 30) first",
        )
    data = json.loads(file.read_text(encoding="utf-8"))
    people = tuple(Participant(p["name"], p.get("invoke_url", "")) for p in data["participants"])
    return Roster(
        people,
        data["target"],
        data["region"],
        data.get("shared_endpoint", ""),
        data.get("from_step", "08_2a"),
        Path(directory),
    )


def save(roster: Roster) -> Path:
    """Write the participants file and each participant's lines to paste; return the participants file."""
    directory = Path(roster.directory)
    directory.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in asdict(roster).items() if k != "directory"}
    file = path(directory)
    tmp = file.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(file)  # a reader (class status) never sees half a file
    for p in roster.participants:
        (directory / f"{p.name}.env").write_text(env_lines(roster, p), encoding="utf-8")
        (directory / f"{p.name}.parameters.yaml").write_text(parameter_lines(roster, p), encoding="utf-8")
    return file


def env_lines(roster: Roster, participant: Participant) -> str:
    """What a participant pastes into their shell before `python kit.py lab`."""
    lines = [f"{ENV_PREFIX}={participant.prefix}"]
    if roster.shared_endpoint:
        lines.append(f"{ENV_WORKSHOP_ENDPOINT}={roster.shared_endpoint}")
    return "\n".join(lines) + "\n"


def parameter_lines(roster: Roster, participant: Participant) -> str:
    """The notebooks' parameters cell for a participant (YAML: papermill's -f file, or paste the values)."""
    values = {
        "target": roster.target,
        "region": roster.region,
        "prefix": participant.prefix,
        "endpoint": roster.shared_endpoint,
    }
    return "".join(f"{k}: {json.dumps(v)}\n" for k, v in values.items())
