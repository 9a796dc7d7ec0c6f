"""Package stage: cards -> one ``.apkg``, written atomically with deterministic bytes per build time."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import genanki

from cardgen.apkg.models import build_models
from cardgen.errors import PackageError
from cardgen.ids import card_guid, deck_id
from cardgen.markup import escape
from cardgen.model import Card
from cardgen.timestamps import Moment, watch_url

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed entry dates: same content, same bytes


@dataclass(frozen=True, slots=True)
class Entry:
    """A card with what packaging needs from its note."""

    card: Card
    deck: str
    tags: tuple[str, ...]
    source: str  # note path and line
    video: str | None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def moment_html(moments: Iterable[Moment], video: str | None) -> str:
    links = []
    for m in moments:
        vid = m.video or video
        if vid:
            other = " (other video)" if m.video and m.video != video else ""
            links.append(f'<a href="{escape(watch_url(vid, m.seconds))}">▶ {m.label}{other}</a>')
    return " · ".join(links)


def fields(entry: Entry) -> list[str]:
    c = entry.card
    return [c.front,  # Front / Text: the question or the cloze text
            c.back,  # Back / Back Extra
            c.context,  # Context: breadcrumb
            moment_html(c.moments, entry.video),  # Moment: links into the video
            escape(entry.source),  # Source: where in the notes the card comes from
            "",  # Status
            "",  # Media (spare)
            ""]  # Reserved (spare)


def write_apkg(entries: list[Entry], out: Path, vault: str, templates: dict[str, str], timestamp: float) -> None:
    """Write ``entries`` to ``out`` atomically: the old file stays whole until the new one is."""
    basic, cloze = build_models(templates)
    decks: dict[str, genanki.Deck] = {}
    for e in entries:
        deck = decks.get(e.deck) or decks.setdefault(e.deck, genanki.Deck(deck_id(e.deck), e.deck))
        deck.add_note(genanki.Note(model=cloze if e.card.kind == "cloze" else basic, fields=fields(e),
                                   tags=list(e.tags), guid=card_guid(vault, e.card.key)))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_zip = None
    try:
        with tempfile.TemporaryDirectory(prefix="cardgen-") as work:
            db_path = os.path.join(work, "collection.anki2")
            conn = sqlite3.connect(db_path)
            genanki.Package(list(decks.values())).write_to_db(
                conn.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
            conn.commit()
            conn.close()
            fd, tmp_zip = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
            with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
                with open(db_path, "rb") as db:
                    z.writestr(zipfile.ZipInfo("collection.anki2", _ZIP_DATE), db.read(), zipfile.ZIP_DEFLATED)
                z.writestr(zipfile.ZipInfo("media", _ZIP_DATE), json.dumps({}))
            with open(tmp_zip, "rb") as f:
                os.fsync(f.fileno())
            os.chmod(tmp_zip, 0o666 & ~_umask())
            os.replace(tmp_zip, out)
            tmp_zip = None
    except OSError as e:
        raise PackageError(f"could not write {out}: {e.strerror or e}; the previous deck is unchanged") from None
    finally:
        if tmp_zip and os.path.exists(tmp_zip):
            os.unlink(tmp_zip)
