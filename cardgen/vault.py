"""The vault: finding notes, reading them safely, and turning one note into stored cards."""

from __future__ import annotations

import hashlib
import multiprocessing
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cardgen.apkg.package import card_fields
from cardgen.errors import NoteError
from cardgen.extract import run_extractors
from cardgen.faults import checkpoint
from cardgen.media import MediaOptions, NoteMedia
from cardgen.model import Card, Diagnostic, Note
from cardgen.parse import parse_note
from cardgen.state import State, StoredCard

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


def stored_cards(cards: list[Card], note: Note, root: str, vault: str, media: MediaOptions) -> list[StoredCard]:
    deck, tags, links = deck_name(root, note), note_tags(note), NoteMedia(note, media)
    return [StoredCard(key=card.key, note=note.path, extractor=card.extractor, kind=card.kind, deck=deck, tags=tags,
                       fields=card_fields(card, note.path, links, vault),
                       moments=[m.seconds for m in card.moments], line=card.line, video=note.video)
            for card in cards]


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
    key: str = ""
    data: bytes | None = None  # read but not yet parsed


def read_note(notes_dir: Path, rel: str, key: str, state: State | None) -> NoteBuild:
    """Read one note; from the cache when its bytes did not change, else with ``data`` to parse."""
    result = NoteBuild(rel)
    try:
        data = read_note_bytes(notes_dir / rel, rel)
    except NoteError as e:
        result.diagnostics.append(Diagnostic(e.path, e.line, e.message, "error"))
        return result
    result.hash = hashlib.sha1(key.encode() + b"\0" + data).hexdigest()
    if state is None or not _from_cache(result, state):
        result.data, result.key = data, key
    return result


def parse_read(result: NoteBuild, extractors: tuple[str, ...], root: str, vault: str,
               media: MediaOptions) -> NoteBuild:
    """Parse and extract a note read by ``read_note``. Never raises: problems become diagnostics."""
    rel, data, result.data = result.rel, result.data, None
    if data is None:
        return result
    try:
        note, result.diagnostics = parse_note(rel, decode_note(data, rel), result.key)
        if note is None:
            result.skipped = True
            return result
        result.video = note.video
        result.cards = stored_cards(run_extractors(note, extractors), note, root, vault, media)
        result.ok = True
    except NoteError as e:
        result.diagnostics.append(Diagnostic(e.path, e.line, e.message, "error"))
    except RecursionError:
        result.diagnostics.append(Diagnostic(rel, 1, "nesting too deep to read (blockquotes or lists)", "error"))
    except Exception as e:  # noqa: BLE001 - a bug must cost one note, not the vault
        result.diagnostics.append(Diagnostic(rel, 1, f"cardgen failed on this note ({type(e).__name__}: {e}); "
                                                     "please report it with the note", "error"))
    return result


def _parse_job(job: tuple[NoteBuild, tuple[str, ...], str, str, MediaOptions]) -> NoteBuild:
    return parse_read(*job)


PARALLEL_FROM = 64  # notes to parse; below this, starting worker processes costs more than it saves


def build_notes(notes_dir: Path, paths: list[str], keys: dict[str, str], extractors: tuple[str, ...], root: str,
                vault: str, state: State | None, jobs: int, media: MediaOptions) -> Iterator[NoteBuild]:
    """Every note read, parsed and extracted, in ``paths`` order; parsing spread over ``jobs`` processes."""
    read = []
    for rel in paths:
        checkpoint()
        read.append(read_note(notes_dir, rel, keys[rel], state))
    pending = [r for r in read if r.data is not None]
    if jobs > 1 and len(pending) >= PARALLEL_FROM:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            parsed = dict(zip((r.rel for r in pending),
                              pool.map(_parse_job, [(r, extractors, root, vault, media) for r in pending],
                                       chunksize=max(1, len(pending) // (jobs * 8))), strict=True))
        yield from (parsed.get(r.rel, r) for r in read)
    else:
        yield from (parse_read(r, extractors, root, vault, media) for r in read)


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
    """A copy of a stored card to package again (the constructor: far cheaper than copy or replace)."""
    c = stored
    return StoredCard(key=c.key, note=c.note, extractor=c.extractor, kind=c.kind, deck=c.deck, tags=c.tags,
                      fields=c.fields, moments=c.moments, line=c.line, video=c.video, guid=c.guid, fp=c.fp,
                      mod=c.mod, retired=None)