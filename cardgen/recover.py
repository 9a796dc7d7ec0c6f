"""Identities taken back from the deck itself, when the build state next to it is lost.

Each Anki note of a deck cardgen writes carries its card's key and note path in the note's spare
``data`` column (Anki does not import it). A card re-attached once (a renamed note, a reworded
heading, a shared term) has a GUID that its key no longer gives, and only the state knew it: with
the state lost (a CI cache miss, a deleted ``.cardgen/``) it would come back as a duplicate.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import orjson
import zstandard

from cardgen.apkg.collection import put_notes
from cardgen.apkg.models import CLOZE_MODEL_ID
from cardgen.apkg.package import unpack_collection
from cardgen.ids import CONCEPT_PREFIX
from cardgen.settings import RETIRED_TAG
from cardgen.state import NoteRecord, Store, StoredCard


def deck_cards(apkg: Path) -> list[StoredCard]:
    """The cards of a deck cardgen wrote, with the identity each note carries; [] for a deck from
    before keys were kept in it, or anything unreadable."""
    try:
        with tempfile.TemporaryDirectory(prefix="cardgen-recover-") as tmp:
            db = Path(tmp) / "collection.sqlite"
            unpack_collection(apkg, db)
            with contextlib.closing(sqlite3.connect(db)) as conn:
                deck_json = conn.execute("SELECT decks FROM col").fetchone()[0]
                decks = {int(k): d["name"] for k, d in orjson.loads(deck_json).items()}
                rows = conn.execute("SELECT n.id, n.guid, n.mid, n.mod, n.tags, n.flds, n.data, c.did FROM notes n "
                                    "JOIN cards c ON c.nid = n.id WHERE n.data LIKE '%' || char(31) || '%' "
                                    "ORDER BY n.id").fetchall()
    except (OSError, KeyError, zipfile.BadZipFile, zstandard.ZstdError, sqlite3.Error, ValueError, TypeError):
        return []
    cards: list[StoredCard] = []
    seen: set[str] = set()
    for nid, guid, mid, mod, tags, flds, data, did in rows:
        key, _, note = data.partition("\x1f")
        if key in seen or guid in seen:  # a deck edited by hand: the first note of a key or GUID is the card
            continue
        seen.update((key, guid))
        tag_list = tags.split()
        video = next((t.removeprefix("video::") for t in tag_list if t.startswith("video::")), None)
        card = StoredCard(key=key, note=note, extractor=key.rsplit("#", 2)[1] if key.count("#") >= 2 else "callouts",
                          kind="cloze" if mid == CLOZE_MODEL_ID else "basic", deck=decks.get(did, ""),
                          tags=tag_list, fields=flds.split("\x1f"), moments=[], line=0, video=video, guid=guid,
                          mod=mod, retired=mod if RETIRED_TAG in tag_list else None, nid=nid)
        card.fp = card.fingerprint()
        cards.append(card)
    return cards


def recover_from_deck(store: Store, apkg: Path) -> bool:
    """Fill an empty ``store`` from the deck it wrote; True when the deck carried its cards' keys.

    Each note is read again (its hash is unknown) and its cards are compared with these: an
    unchanged card keeps its change time, so Anki sees nothing new; a card whose note is gone retires.
    """
    cards = deck_cards(apkg)
    if not cards:
        return False
    by_note: dict[str, list[StoredCard]] = {}
    for card in cards:
        if not card.key.startswith(CONCEPT_PREFIX) and card.retired is None:
            by_note.setdefault(card.note, []).append(card)
    for rel, own in by_note.items():
        for pos, card in enumerate(own):
            card.pos = pos
        store.save_note(rel, NoteRecord("", own[0].video, own[0].deck, [], [c.key for c in own], 0))
    store.save_cards(cards)
    put_notes(store.conn, cards)
    store.put("next_nid", max(c.nid for c in cards) + 1)
    # which notes define each shared term is not in the deck: the build asks again of every such term,
    # so that one no note defines any more retires (cardgen.changes.Planner)
    store.put("recovered_terms", orjson.dumps([c.key.removeprefix(CONCEPT_PREFIX) for c in cards
                                               if c.key.startswith(CONCEPT_PREFIX) and c.retired is None]))
    return True
