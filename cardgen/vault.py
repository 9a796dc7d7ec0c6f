"""The vault: finding notes, reading them safely, and turning one note into stored cards."""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cardgen.apkg.package import card_fields
from cardgen.errors import NoteError
from cardgen.extract import run_extractors
from cardgen.model import Card, Diagnostic, Note
from cardgen.parse import parse_note
from cardgen.state import State, StoredCard


def discover(notes_dir: Path) -> tuple[list[str], list[Diagnostic]]:
    """Every ``*.md`` under ``notes_dir``, sorted, skipping hidden folders such as ``.obsidian``.

    Symlinked folders are followed once: a link back to a folder already seen (a loop) is skipped
    with a warning instead of hanging the build.
    """
    found: list[str] = []
    problems: list[Diagnostic] = []
    seen = {os.path.realpath(notes_dir)}
    for root, dirs, files in os.walk(notes_dir, followlinks=True):
        rel_root = PurePosixPath(Path(root).relative_to(notes_dir).as_posix())
        keep = []
        for d in sorted(dirs):
            real = os.path.realpath(os.path.join(root, d))
            if d.startswith("."):
                continue
            if real in seen:
                problems.append(Diagnostic(str(rel_root / d), 1, "this folder links back to a folder already "
                                                                 "read (a symlink loop); it was skipped"))
                continue
            seen.add(real)
            keep.append(d)
        dirs[:] = keep
        found.extend(str(rel_root / f) if str(rel_root) != "." else f
                     for f in files if f.lower().endswith(".md") and not f.startswith("."))
    return sorted(found), problems


MAX_NOTE_BYTES = 10 * 1024 * 1024  # a note is a page of study notes; bigger is a mistake or a dump


def read_note_bytes(path: Path, rel: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_NOTE_BYTES:
            raise NoteError(rel, 1, f"the note is {size / 1024 / 1024:.1f} MB; notes over "
                                    f"{MAX_NOTE_BYTES // 1024 // 1024} MB are not read: split it into several notes")
        data = path.read_bytes()
    except OSError as e:
        raise NoteError(rel, 1, f"cannot read the file ({e.strerror or e}); check that it exists and "
                                "that you may read it") from None
    if b"\x00" in data[:8192]:
        raise NoteError(rel, 1, "this is a binary file, not a Markdown note; rename or remove it")
    return data


def decode_note(data: bytes, rel: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise NoteError(rel, line, f"not UTF-8 (byte 0x{data[e.start]:02x}); re-save the note as UTF-8") from None


def _deck_part(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("::", " ")).strip() or "_"


def deck_name(root: str, note: Note) -> str:
    """Subdecks follow folders: ``root::folder::subfolder``; frontmatter ``deck:`` overrides."""
    if note.deck:
        return "::".join(_deck_part(p) for p in note.deck.split("::"))
    folders = PurePosixPath(note.path).parts[:-1]
    return "::".join([_deck_part(root), *(_deck_part(f) for f in folders)])


def note_tags(note: Note) -> list[str]:
    tags = ["cardgen"]
    if note.video:
        tags.append(f"video::{note.video}")
    if note.channel:
        tags.append("channel::" + re.sub(r"\s+", "_", note.channel.strip().lower()))
    return list(dict.fromkeys(tags + list(note.tags)))


def stored_card(card: Card, note: Note, root: str) -> StoredCard:
    source = f"{note.path}:{card.line}"
    return StoredCard(key=card.key, note=note.path, extractor=card.extractor, kind=card.kind,
                      deck=deck_name(root, note), tags=note_tags(note),
                      fields=card_fields(card, source, note.video), moments=[m.seconds for m in card.moments],
                      line=card.line, video=note.video)


@dataclass
class NoteBuild:
    rel: str
    cards: list[StoredCard] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    video: str | None = None
    hash: str = ""
    ok: bool = False
    skipped: bool = False
    cached: bool = False


def build_note(notes_dir: Path, rel: str, key: str, extractors: tuple[str, ...], root: str,
               state: State | None) -> NoteBuild:
    """Read, parse and extract one note; from the cache when its bytes did not change.

    Never raises for bad input: errors become diagnostics.
    """
    result = NoteBuild(rel)
    try:
        data = read_note_bytes(notes_dir / rel, rel)
        result.hash = hashlib.sha1(key.encode() + b"\0" + data).hexdigest()
        if state is not None and _from_cache(result, state):
            return result
        note, result.diagnostics = parse_note(rel, decode_note(data, rel), key)
        if note is None:
            result.skipped = True
            return result
        result.video = note.video
        result.cards = [stored_card(c, note, root) for c in run_extractors(note, extractors)]
        result.ok = True
    except NoteError as e:
        result.diagnostics.append(Diagnostic(e.path, e.line, e.message, "error"))
    except RecursionError:
        result.diagnostics.append(Diagnostic(rel, 1, "nesting too deep to read (blockquotes or lists)", "error"))
    return result


def _from_cache(result: NoteBuild, state: State) -> bool:
    """Fill ``result`` from the previous build when the note's bytes did not change."""
    cached = state.notes.get(result.rel)
    if cached is None or cached.hash != result.hash or any(k not in state.cards for k in cached.keys):
        return False
    result.cards = [current(state.cards[k]) for k in cached.keys]
    result.diagnostics = [Diagnostic(result.rel, **d) for d in cached.diagnostics]
    result.video, result.ok, result.cached = cached.video, True, True
    return True


def current(stored: StoredCard) -> StoredCard:
    """A copy of a stored card to package again (copy.copy: far cheaper than dataclasses.replace)."""
    card = copy.copy(stored)
    card.retired = None
    return card
