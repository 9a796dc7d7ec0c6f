"""Package stage: cards -> one ``.apkg``, written atomically with deterministic bytes per build time."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

import genanki

from cardgen.apkg.models import build_models
from cardgen.errors import PackageError
from cardgen.faults import checkpoint
from cardgen.ids import deck_id
from cardgen.markup import escape
from cardgen.media import NoteMedia
from cardgen.model import Card
from cardgen.state import StoredCard
from cardgen.timestamps import Moment

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed entry dates: same content, same bytes


def _insert_notes(conn: sqlite3.Connection, cards: list[StoredCard], deck_ids: dict[str, int],
                  basic: genanki.Model, cloze: genanki.Model, ids: Iterator[int]) -> None:
    """The notes and cards tables, written the way genanki's Note and Card write them, in bulk.

    Each note carries its own modification time (when its content last changed), and has one card:
    a basic note's "Card 1", or a cloze note's c1 (cardgen hides one term per cloze card).
    """
    rows = []  # card rows are small; note rows (with every field) are streamed into the database

    def notes() -> Iterator[tuple[object, ...]]:
        for c in cards:
            nid = next(ids)
            rows.append((next(ids), nid, deck_ids[c.deck],  # id, nid, did
                         0, c.mod, -1,  # ord, mod, usn
                         0, 0, 0,  # type, queue, due: new
                         0, 0, 0, 0, 0, 0, 0, 0, ""))  # ivl, factor, reps, lapses, left, odue, odid, flags, data
            yield (nid,  # id
                   c.guid,  # guid
                   (cloze if c.kind == "cloze" else basic).model_id,  # mid
                   c.mod,  # mod: when the content last changed
                   -1,  # usn
                   " " + " ".join(c.tags) + " ",  # tags
                   "\x1f".join(c.fields),  # flds
                   c.fields[0],  # sfld (Anki recomputes it on import)
                   0, 0, "")  # csum, flags, data

    conn.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)", notes())
    conn.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def _same_bytes(a: str, b: Path) -> bool:
    if not b.exists() or os.path.getsize(a) != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def moment_html(moments: Iterable[Moment], media: NoteMedia) -> str:
    links = []
    for m in moments:
        url = media.url(m)
        if url:
            other = " (other video)" if m.video else ""  # m.video is set only for a video the note cites
            links.append(f'<a href="{escape(url)}">▶ {m.label}{other}</a>')
    return " · ".join(links)


def source_html(path: str, line: int, heading: str, vault: str) -> str:
    """``path:line`` linking into Obsidian at the card's heading (``obsidian://open``)."""
    target = path[:-3] if path.lower().endswith(".md") else path
    if heading:
        target += "#" + heading
    url = f"obsidian://open?vault={quote(vault, safe='')}&file={quote(target, safe='')}"
    return f'<a href="{escape(url)}">{escape(f"{path}:{line}")}</a>'


def card_fields(card: Card, path: str, media: NoteMedia, vault: str) -> list[str]:
    """The Anki fields of a card, in the frozen order of both note types."""
    return [card.front,  # Front / Text: the question or the cloze text
            card.back,  # Back / Back Extra
            card.context,  # Context: breadcrumb
            moment_html(card.moments, media),  # Moment: links into the video
            source_html(path, card.line, card.heading, vault),  # Source: back to the note, in Obsidian
            "",  # Status: set when the card is retired
            media.player(card.moments),  # Media: the embedded player, when the build asks for it
            ""]  # Reserved (spare)


def write_apkg(cards: list[StoredCard], out: Path, templates: dict[str, str], timestamp: int) -> None:
    """Write ``cards`` to ``out`` atomically: the old file stays whole until the new one is.

    ``timestamp`` (the latest change) drives the ids genanki writes, so the same cards give the
    same bytes.
    """
    basic, cloze = build_models(templates)
    decks: dict[str, genanki.Deck] = {}
    for name in sorted({c.deck for c in cards}):
        decks[name] = genanki.Deck(deck_id(name), name)
        decks[name].add_model(basic)
        decks[name].add_model(cloze)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_zip = None
    try:
        with tempfile.TemporaryDirectory(prefix="cardgen-") as work:
            db_path = os.path.join(work, "collection.anki2")
            conn = sqlite3.connect(db_path)
            ids = itertools.count(int(timestamp * 1000))
            genanki.Package(list(decks.values())).write_to_db(conn.cursor(), timestamp, ids)  # schema, decks, models
            _insert_notes(conn, cards, {name: d.deck_id for name, d in decks.items()}, basic, cloze, ids)
            conn.commit()
            conn.close()
            checkpoint()
            fd, tmp_zip = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
            with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
                # streamed, not read whole; ZipInfo's default date (1980) keeps the bytes reproducible
                with open(db_path, "rb") as db, z.open("collection.anki2", "w") as entry:
                    shutil.copyfileobj(db, entry, 1 << 20)
                checkpoint()
                z.writestr(zipfile.ZipInfo("media", _ZIP_DATE), json.dumps({}))
            if _same_bytes(tmp_zip, out):  # leave an identical deck untouched: its mtime says "no change"
                return
            checkpoint()
            with open(tmp_zip, "rb") as f:
                os.fsync(f.fileno())
            os.chmod(tmp_zip, 0o666 & ~_umask())
            checkpoint()
            os.replace(tmp_zip, out)
            tmp_zip = None
            checkpoint()
    except OSError as e:
        raise PackageError(f"could not write {out}: {e.strerror or e}; the previous deck is unchanged") from None
    finally:
        if tmp_zip and os.path.exists(tmp_zip):
            os.unlink(tmp_zip)
