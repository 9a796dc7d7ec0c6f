"""Build state kept next to the deck: per card its GUID, content fingerprint and change time.

One JSON file, written atomically, with the previous version kept as ``.bak``. A damaged or
missing file degrades to a full rebuild with a warning: GUIDs derive from card keys, so cards
keep their identities even then (only re-attachments of reworded cards depend on the state).
Nothing is ever written into the notes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

VERSION = 1


@dataclass(slots=True)
class StoredCard:
    """A card as packaged: its identity bookkeeping and the content needed to package it again."""

    key: str
    note: str  # vault-relative path of the source note
    extractor: str
    kind: str
    deck: str
    tags: list[str]
    fields: list[str]
    moments: list[int]
    line: int
    video: str | None = None
    guid: str = ""
    fp: str = ""  # fingerprint of kind, deck, tags and fields
    mod: int = 0  # when the content last changed: what Anki compares on import
    retired: int | None = None  # when the source disappeared

    def fingerprint(self) -> str:
        blob = json.dumps([self.kind, self.deck, sorted(self.tags), self.fields], ensure_ascii=False)
        return hashlib.sha1(blob.encode()).hexdigest()


@dataclass(slots=True)
class StoredNote:
    hash: str  # of the note's bytes and everything else that shapes its cards
    keys: list[str]
    video: str | None
    diagnostics: list[dict[str, Any]]  # line, message, level: replayed when the note is cached


@dataclass
class State:
    config: str = ""  # fingerprint of the settings and version that shape cards
    templates: str = ""
    templates_mod: int = 0
    package: str = ""  # fingerprint of what the last written package holds
    cards: dict[str, StoredCard] = field(default_factory=dict)
    notes: dict[str, StoredNote] = field(default_factory=dict)


def _from_json(data: dict) -> State:
    if data.get("version") != VERSION:
        raise ValueError(f"state version {data.get('version')!r}, expected {VERSION}")
    card_names = {f.name for f in fields(StoredCard)}
    return State(
        config=data["config"], templates=data["templates"], templates_mod=int(data["templates_mod"]),
        package=data["package"],
        cards={k: StoredCard(**{n: v for n, v in c.items() if n in card_names}) for k, c in data["cards"].items()},
        notes={k: StoredNote(**n) for k, n in data["notes"].items()})


def load_state(path: Path) -> tuple[State, str | None]:
    """The saved state, else the backup, else an empty one; with a warning when one was damaged."""
    problems = []
    for candidate in (path, path.with_name(path.name + ".bak")):
        if not candidate.exists():
            continue
        try:
            state = _from_json(json.loads(candidate.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as e:
            problems.append(f"{candidate.name} is damaged ({str(e)[:80]})")
            continue
        if problems:
            return state, "; ".join(problems) + f"; using {candidate.name}"
        return state, None
    if problems:
        return State(), "; ".join(problems) + "; rebuilding everything (cards keep their identities)"
    return State(), None


def save_state(state: State, path: Path) -> None:
    """Write atomically; the previous state stays as ``.bak``."""
    data = {"version": VERSION, "config": state.config, "templates": state.templates,
            "templates_mod": state.templates_mod, "package": state.package,
            "cards": {k: asdict(c) for k, c in state.cards.items()},
            "notes": {k: asdict(n) for k, n in state.notes.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.replace(path, path.with_name(path.name + ".bak"))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
