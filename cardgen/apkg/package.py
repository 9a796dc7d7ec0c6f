"""Package stage: cards -> one ``.apkg``, written atomically with deterministic bytes per build time."""

from __future__ import annotations

import contextlib
import filecmp
import functools
import os
import shutil
import tempfile
import threading
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, NamedTuple
from urllib.parse import quote

import xxhash
import zstandard

from cardgen.errors import PackageError
from cardgen.faults import checkpoint
from cardgen.markup import escape_recurring
from cardgen.media import NoteMedia
from cardgen.model import Card
from cardgen.state import file_stat

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed entry dates: same content, same bytes
_META_LATEST = b"\x08\x03"  # protobuf PackageMetadata{version: 3}: "the collection is collection.anki21b"
# The collection is packed as independent zstd frames of this many bytes, one after another in one
# stream (which Anki reads whole, as zstd does). A rebuild compresses again only the frames whose bytes
# changed and copies the others from the deck it wrote last time: a one-note edit changes a few pages
# of a 100 MB collection, and hashing all of it costs a tenth of compressing it.
FRAME_BYTES = 1 << 20
_QUEUED = 4  # frames read ahead while two threads compress (zstd lets go of the GIL): memory stays flat
_compressors = threading.local()


def _packer() -> str:
    """What makes a frame's bytes: a frame is copied only into a deck the same packer makes."""
    return f"zstd {zstandard.ZSTD_VERSION} level 1, frames of {FRAME_BYTES}"


class Packed(NamedTuple):
    written: bool  # False when the deck already held these exact bytes (it was left untouched)
    # for the next build: the deck's file_stat, the packer, and each frame's [hash of its collection
    # bytes, compressed size, hash of its compressed bytes]
    record: dict[str, Any]


def _same_bytes(a: str, b: Path) -> bool:
    return b.exists() and filecmp.cmp(a, b, shallow=False)  # block by block: a deck may be hundreds of MB


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def source_html(path: str, line: int, heading: str, vault: str) -> str:
    """``path:line`` linking into Obsidian at the card's heading (``obsidian://open``)."""
    # ":" and the digits of the line need no escaping: all before the line is made once a heading
    return f"{_source_start(path, heading, vault)}{line}</a>"


@functools.lru_cache(maxsize=1024)  # a note's cards share their path and, a few at a time, a heading
def _source_start(path: str, heading: str, vault: str) -> str:
    return f'<a href="{_obsidian_url(path, heading, vault)}">{escape_recurring(path)}:'


def _obsidian_url(path: str, heading: str, vault: str) -> str:
    # quote(a + b) == quote(a) + quote(b): the note's part is quoted once; and a quoted URL holds
    # no character escape() changes but the "&" written here, so it is written as "&amp;" at once
    url = _note_url(path, vault)
    return f"{url}%23{_quote(heading)}" if heading else url


@functools.lru_cache(maxsize=256)
def _note_url(path: str, vault: str) -> str:
    target = path[:-3] if path.lower().endswith(".md") else path
    return f"obsidian://open?vault={_quote(vault)}&amp;file={_quote(target)}"


# urllib's quote(safe="") for ASCII text, as one str.translate: 3x faster than its byte-by-byte loop
_QUOTED = {c: f"%{c:02X}" for c in range(128) if not (chr(c).isalnum() or chr(c) in "_.-~")}


def _quote(text: str) -> str:
    return text.translate(_QUOTED) if text.isascii() else quote(text, safe="")


def card_fields(card: Card, path: str, media: NoteMedia, vault: str) -> list[str]:
    """The Anki fields of a card, in the frozen order of both note types."""
    return [card.front,  # Front / Text: the question or the cloze text
            card.back,  # Back / Back Extra
            card.context,  # Context: breadcrumb
            media.links(card.moments),  # Moment: links into the video
            source_html(path, card.line, card.heading, vault),  # Source: back to the note, in Obsidian
            "",  # Status: set when the card is retired
            media.player(card.moments),  # Media: the embedded player, when the build asks for it
            ""]  # Reserved (spare)


def _compress(chunk: bytes) -> bytes:
    # level 1, one thread per frame: the bytes do not depend on the machine; a compressor is not
    # thread-safe, so each thread has its own
    compressor = getattr(_compressors, "zstd", None)
    if compressor is None:
        compressor = _compressors.zstd = zstandard.ZstdCompressor(level=1)
    return compressor.compress(chunk)


class _Previous:
    """The frames of the deck the last build wrote, read forward as they are asked for."""

    def __init__(self, entry: IO[bytes], frames: list[list[Any]]):
        self.entry, self.frames, self.next = entry, frames, 0

    def frame(self, index: int, digest: str) -> bytes | None:
        """Frame ``index``, if it packs the collection bytes that hash to ``digest``; else None."""
        if index >= len(self.frames) or self.frames[index][0] != digest:
            return None
        try:
            while self.next < index:
                self.entry.read(self.frames[self.next][1])
                self.next += 1
            self.next += 1
            _, size, packed_digest = self.frames[index]
            data = self.entry.read(size)
        except Exception:  # noqa: BLE001 - whatever befell the old deck, this one is compressed afresh
            self.frames = []
            return None
        return data if xxhash.xxh3_128_hexdigest(data) == packed_digest else None


@contextlib.contextmanager
def _previous(out: Path, last: dict[str, Any] | None) -> Iterator[_Previous | None]:
    """The last deck's frames, if ``out`` is still that deck and the same packer made it."""
    if not last or last.get("packer") != _packer():
        yield None
        return
    with contextlib.ExitStack() as opened:
        entry: IO[bytes] | None = None
        try:
            raw = opened.enter_context(open(out, "rb"))
            if file_stat(raw.fileno()) == last["deck"]:  # the file opened, not one stat-ed before
                entry = opened.enter_context(opened.enter_context(zipfile.ZipFile(raw)).open("collection.anki21b"))
        except Exception:  # noqa: BLE001 - an unreadable old deck only means compressing every frame
            entry = None
        yield _Previous(entry, last["frames"]) if entry else None


def _pack(collection: Path, entry: IO[bytes], previous: _Previous | None) -> list[list[Any]]:
    """Write ``collection`` into ``entry`` as frames; their index."""
    frames: list[list[Any]] = []
    pending: deque[tuple[str, bytes | Future[bytes]]] = deque()

    def write_first() -> None:
        digest, frame = pending.popleft()
        data = frame if isinstance(frame, bytes) else frame.result()
        entry.write(data)
        frames.append([digest, len(data), xxhash.xxh3_128_hexdigest(data)])

    # read, not mapped: a mapped collection's pages would count in the build's memory, 400 MB at 20,000 notes
    with open(collection, "rb") as db, ThreadPoolExecutor(2) as pool:
        for index, chunk in enumerate(iter(lambda: db.read(FRAME_BYTES), b"")):
            digest = xxhash.xxh3_128_hexdigest(chunk)
            kept = previous.frame(index, digest) if previous else None
            pending.append((digest, kept if kept is not None else pool.submit(_compress, chunk)))
            if len(pending) > _QUEUED:
                write_first()
        while pending:
            write_first()
    return frames


def unpack_collection(apkg: Path, db: Path) -> None:
    """Write the collection inside a deck cardgen wrote to ``db``."""
    with zipfile.ZipFile(apkg) as z, z.open("collection.anki21b") as packed, open(db, "wb") as raw:
        # across frames: zstandard's reader stops at the end of the first by default before 0.25
        shutil.copyfileobj(zstandard.ZstdDecompressor().stream_reader(packed, read_across_frames=True), raw)


def write_apkg(collection: Path, out: Path, last: dict[str, Any] | None = None) -> Packed:
    """Pack ``collection`` into ``out`` atomically: the old file stays whole until the new one is.

    The format is the one Anki itself exports since 2.1.50: the collection compressed with zstd
    (``collection.anki21b``), which packs 4x faster than a zip's deflate and smaller. ``last`` is the
    record the last build's ``Packed`` returned: while ``out`` is still that deck, its frames of
    unchanged bytes are copied, not compressed again, which gives the same bytes.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_zip = None
    try:
        fd, tmp_zip = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as z:
            z.writestr(zipfile.ZipInfo("meta", _ZIP_DATE), _META_LATEST)
            # streamed, not read whole; fixed entry dates and compressor settings keep the bytes reproducible
            with z.open(zipfile.ZipInfo("collection.anki21b", _ZIP_DATE), "w", force_zip64=True) as entry, \
                    _previous(out, last) as previous:
                frames = _pack(collection, entry, previous)
            checkpoint()
            z.writestr(zipfile.ZipInfo("media", _ZIP_DATE), _compress(b""))  # no media files
        written = not _same_bytes(tmp_zip, out)  # an identical deck is left untouched: its mtime says "no change"
        if written:
            checkpoint()
            with open(tmp_zip, "rb") as f:
                os.fsync(f.fileno())
            os.chmod(tmp_zip, 0o666 & ~current_umask())
            checkpoint()
            os.replace(tmp_zip, out)
            tmp_zip = None
            checkpoint()
        return Packed(written, {"deck": file_stat(out), "packer": _packer(), "frames": frames})
    except OSError as e:
        raise PackageError(f"could not write {out}: {e.strerror or e}; the previous deck is unchanged") from None
    finally:
        if tmp_zip and os.path.exists(tmp_zip):
            os.unlink(tmp_zip)
