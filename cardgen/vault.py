"""The vault: finding notes, reading them safely, and turning one note into stored cards."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import multiprocessing.pool
import operator
import os
import re
import signal
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.apkg.package import card_fields
from cardgen.decks import deck_name
from cardgen.errors import CardgenError, NoteError
from cardgen.extract import ExtractOptions, run_extractors
from cardgen.faults import checkpoint
from cardgen.ids import card_guid
from cardgen.media import MediaOptions, NoteMedia
from cardgen.model import Card, Diagnostic, Note
from cardgen.parse import parse_note
from cardgen.settings import DECK_TEMPLATE
from cardgen.state import StoredCard

MAX_NOTE_BYTES = 10 * 1024 * 1024  # a note is a page of study notes; bigger is a mistake or a dump


def read_note_bytes(path: Path, rel: str) -> bytes:
    try:
        # opened without blocking and checked before reading: a named pipe would hang the build (holding its
        # lock) until something wrote to it, and a link to /dev/zero would fill the memory; a regular file ends
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise NoteError(rel, 1, "this is no file of text (a named pipe, a device, a socket); remove it or "
                                        "rename it without .md")
            if info.st_size > MAX_NOTE_BYTES:
                raise NoteError(rel, 1, f"the note is {info.st_size / 1024 / 1024:.1f} MB; notes over "
                                        f"{MAX_NOTE_BYTES // 1024 // 1024} MB are not read: split it into several "
                                        "notes")
            data = f.read()  # (a regular file: it ends; asked for at most 10 MB, it would reserve 10 MB each time)
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


def note_hash(key: str, data: bytes) -> str:
    """What the build state keeps of a note's bytes (and its key): unchanged, it is not read again."""
    return hashlib.sha1(key.encode() + b"\0" + data).hexdigest()


def current_hash(notes_dir: Path, keys: dict[str, str]) -> Callable[[str], str | None]:
    """``note_hash`` of the vault's note at a path, as it is now; None for no note or an unreadable one."""
    def of(rel: str) -> str | None:
        if rel not in keys:
            return None
        try:
            return note_hash(keys[rel], read_note_bytes(notes_dir / rel, rel))
        except NoteError:
            return None
    return of


def note_tags(note: Note) -> list[str]:
    tags = ["cardgen"]
    if note.video:
        tags.append(f"video::{note.video}")
    if note.channel:
        tags.append("channel::" + re.sub(r"\s+", "_", note.channel.strip().lower()))
    return list(dict.fromkeys(tags + list(note.tags)))


_SECONDS = operator.itemgetter(0)  # of a Moment (a named tuple)


def stored_cards(cards: list[Card], note: Note, recipe: Recipe) -> list[StoredCard]:
    deck = deck_name(recipe.root, recipe.deck_template, note)
    tags, links = list(dict.fromkeys([*note_tags(note), *recipe.tags])), NoteMedia(note, recipe.media)
    path, vault, video = note.path, recipe.vault, note.video
    # StoredCard's fields in their order, key to video, for speed: eleven keywords cost a card 0.4 µs
    return [StoredCard(card.key, path, card.extractor, card.kind, deck, tags, card_fields(card, path, links, vault),
                       list(map(_SECONDS, card.moments)), card.line, video, concept=card.concept)
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
    cached: bool = False  # its bytes did not change: its cards are the state's


@dataclass(frozen=True)
class Recipe:
    """What shapes a note's cards besides its text: the same for every note of a build."""

    extractors: tuple[str, ...]
    root: str  # the top deck
    vault: str  # the Obsidian vault, for links back to the note
    media: MediaOptions
    options: ExtractOptions = ExtractOptions()
    deck_template: str = DECK_TEMPLATE
    tags: tuple[str, ...] = ()  # added to every card


def build_note(notes_dir: Path, rel: str, key: str, known_hash: str | None, recipe: Recipe) -> NoteBuild:
    """Read one note and, unless its bytes hash to ``known_hash``, parse and extract it. Never raises:
    problems become diagnostics. Weak spots for ``--report`` join them as hints, so they are replayed too."""
    result = NoteBuild(rel)
    try:
        checkpoint()
        data = read_note_bytes(notes_dir / rel, rel)
        result.hash = note_hash(key, data)
        if result.hash == known_hash:
            result.ok = result.cached = True
            return result
        note, result.diagnostics = parse_note(rel, decode_note(data, rel), key)
        if note is None:
            result.skipped = True
            return result
        result.video = note.video
        cards = run_extractors(note, recipe.extractors, recipe.options, result.diagnostics)
        result.cards = stored_cards(cards, note, recipe)
        for card in result.cards:  # here, in the worker processes, rather than in the parent
            card.fp, card.guid = card.fingerprint(), card_guid(recipe.root, card.key)
        result.ok = True
    except NoteError as e:
        result.diagnostics.append(Diagnostic(e.path, e.line, e.message, "error"))
    except RecursionError:
        result.diagnostics.append(Diagnostic(rel, 1, "nesting too deep to read (blockquotes or lists)", "error"))
    except Exception as e:  # noqa: BLE001 - a bug must cost one note, not the vault
        result.diagnostics.append(Diagnostic(rel, 1, f"cardgen failed on this note ({type(e).__name__}: {e}); "
                                                     "please report it with the note", "error"))
    return result


_job: tuple[Path, dict[str, str], dict[str, str], Recipe] | None = None  # set before forking


def _build_chunk(rels: list[str]) -> list[NoteBuild]:
    assert _job is not None
    notes_dir, keys, hashes, recipe = _job
    return [build_note(notes_dir, rel, keys[rel], hashes.get(rel), recipe) for rel in rels]


# A build makes millions of short-lived objects (tokens, strings, cards) and no reference cycles worth
# chasing: at the default threshold (700) the cyclic collector runs every few hundred allocations, and
# now and then walks everything alive: about a tenth of the per-note CPU. Collect a hundred times less often.
_GC_THRESHOLD = 70_000


def _rare_collections() -> None:
    gc.set_threshold(_GC_THRESHOLD, *gc.get_threshold()[1:])


def _worker_start() -> None:
    """In each worker: Ctrl-C reaches the whole process group, and is the parent's to handle (it stops
    the pool, and the build says so); the cyclic GC runs rarely."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _rare_collections()


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """The cyclic garbage collector runs rarely inside (the process's own setting is put back after)."""
    before = gc.get_threshold()
    _rare_collections()
    try:
        yield
    finally:
        gc.set_threshold(*before)


PARALLEL_FROM = 64  # notes; below this, starting worker processes costs more than it saves


class _Pool(multiprocessing.pool.Pool):
    """multiprocessing's Pool, but its thread that minds the workers wakes only when one exits or the
    pool is closed, as ThreadPool's does. The stock one also wakes whenever results wait in the pipe:
    while they stream in, it spins (a quarter of a second of the parent's CPU per 5,000 notes) and
    takes the GIL from the thread reading them."""

    def _get_sentinels(self) -> list[object]:
        return [self._change_notifier._reader]  # type: ignore[attr-defined]


def build_notes(notes_dir: Path, paths: list[str], keys: dict[str, str], hashes: dict[str, str], same: set[str],
                recipe: Recipe, jobs: int) -> Iterator[NoteBuild]:
    """Every note in ``paths`` order: those in ``same`` as they were, the others read and, when their
    bytes changed since ``hashes``, parsed and extracted, spread over ``jobs`` processes. Results
    stream: memory stays flat however big the vault."""
    pending = [rel for rel in paths if rel not in same]
    if jobs <= 1 or len(pending) < PARALLEL_FROM:
        built: Iterator[NoteBuild] = (build_note(notes_dir, rel, keys[rel], hashes.get(rel), recipe)
                                      for rel in pending)
        yield from _merge(paths, same, built)
        return
    global _job
    _job = (notes_dir, keys, hashes, recipe)  # the workers inherit it: only paths are sent
    # what the workers inherit is left out of their collections: it lives as long as they do, and a
    # collection would write to every inherited page, copying it (copy-on-write)
    gc.freeze()
    try:
        before = set(multiprocessing.active_children())
        with _Pool(jobs, initializer=_worker_start, context=multiprocessing.get_context("fork")) as pool:
            workers = set(multiprocessing.active_children()) - before
            yield from _merge(paths, same, _watched(pool.imap(_build_chunk, _chunks(pending, jobs)), workers))
    finally:
        _job = None
        gc.unfreeze()


def _chunks(pending: list[str], jobs: int) -> list[list[str]]:
    """The notes in the runs a worker takes at a time: up to 64 while much is left, so that messages
    are few, then smaller and smaller, so that the workers run out of notes at about the same time."""
    chunks, start = [], 0
    while start < len(pending):
        size = max(1, min(64, (len(pending) - start) // (jobs * 4)))
        chunks.append(pending[start:start + size])
        start += size
    return chunks


WORKER_CHECK_SECONDS = 1.0  # how soon a worker's death is noticed while the build waits on it


def _watched(chunks: multiprocessing.pool.IMapIterator, workers: set[multiprocessing.process.BaseProcess]
             ) -> Iterator[NoteBuild]:
    """The notes of ``chunks``, unless a worker dies: the pool would start another and wait for ever on
    the notes the dead one held (a worker killed for want of memory would hang a scheduled build)."""
    while True:
        try:
            yield from chunks.next(WORKER_CHECK_SECONDS)
        except StopIteration:
            return
        except multiprocessing.TimeoutError:
            for worker in workers:
                code = worker.exitcode
                if code is not None:
                    how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                    raise CardgenError(f"a process building notes stopped ({how}); nothing was written. If it "
                                       "ran out of memory, look for an unusually large note") from None


def _merge(paths: list[str], same: set[str], built: Iterator[NoteBuild]) -> Iterator[NoteBuild]:
    for rel in paths:
        yield NoteBuild(rel, ok=True, cached=True) if rel in same else next(built)
