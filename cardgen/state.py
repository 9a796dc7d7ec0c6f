"""Build state kept next to the deck: per card its GUID, content fingerprint and change time.

One JSON file, written atomically, with the previous version kept as ``.bak``. A damaged or
missing file degrades to a full rebuild with a warning: GUIDs derive from card keys, so cards
keep their identities even then (only re-attachments of reworded cards depend on the state).
Nothing is ever written into the notes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from cardgen.faults import checkpoint

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
        return hashlib.sha1(orjson.dumps([self.kind, self.deck, sorted(self.tags), self.fields])).hexdigest()


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


def _from_json(data: dict[str, Any]) -> State:
    if data.get("version") != VERSION:
        raise ValueError(f"state version {data.get('version')!r}, expected {VERSION}")
    return State(
        config=data["config"], templates=data["templates"], templates_mod=int(data["templates_mod"]),
        package=data["package"],
        cards={k: StoredCard(**c) for k, c in data["cards"].items()},
        notes={k: StoredNote(**n) for k, n in data["notes"].items()})


def load_state(path: Path) -> tuple[State, str | None]:
    """The saved state, else the backup, else an empty one; with a warning when one was damaged."""
    problems = []
    for candidate in (path, path.with_name(path.name + ".bak")):
        if not candidate.exists():
            continue
        try:
            state = _from_json(orjson.loads(candidate.read_bytes()))
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
            "cards": state.cards, "notes": state.notes}  # orjson writes the dataclasses itself
    _write_atomic(path, orjson.dumps(data), keep_backup=True)


def _write_atomic(path: Path, text: bytes, keep_backup: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text[: len(text) // 2])
            checkpoint()  # half written
            f.write(text[len(text) // 2:])
            f.flush()
            os.fsync(f.fileno())
        checkpoint()
        if keep_backup and path.exists():
            os.replace(path, path.with_name(path.name + ".bak"))
            checkpoint()  # between the two renames: only the backup exists
        os.replace(tmp, path)
        checkpoint()
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# -- the no-change fast path ------------------------------------------------------------------
# A scheduled rebuild usually finds nothing changed. The snapshot lets it say so from file
# sizes and modification times alone, without reading the notes or the full state.

RACY_NS = 2_000_000_000  # a file modified this close to the snapshot may have changed unseen


@dataclass
class Snapshot:
    key: str  # config, templates and package fingerprints: any change means a real build
    written_ns: int
    next_prune: int | None  # when a retired card is due to leave the deck
    files: dict[str, list[int]]  # vault-relative path -> [mtime_ns, size]
    out: list[int]  # the deck's [mtime_ns, size]
    report: dict[str, Any]  # the last build's report, to repeat


def file_stat(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_mtime_ns, st.st_size]


def snapshot_holds(snap: Snapshot | None, key: str, files: dict[str, list[int]], out: Path, now: int) -> bool:
    """True when nothing the last build read or wrote has changed since."""
    if snap is None or snap.key != key or snap.files != files:
        return False
    if snap.next_prune is not None and now >= snap.next_prune:
        return False
    if any(mtime >= snap.written_ns - RACY_NS for mtime, _ in files.values()):
        return False
    try:
        return file_stat(out) == snap.out
    except OSError:
        return False


def load_snapshot(path: Path) -> Snapshot | None:
    try:
        return Snapshot(**orjson.loads(path.read_bytes()))
    except (OSError, ValueError, TypeError):
        return None


def save_snapshot(snap: Snapshot, path: Path) -> None:
    _write_atomic(path, orjson.dumps(snap))
