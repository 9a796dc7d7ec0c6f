"""The collection inside the .apkg, kept between builds and patched note by note.

Rows are written the way genanki writes them (legacy schema 11, which every Anki importer
upgrades). Each Anki note has one card, whose id is the note's id: a basic note's "Card 1", or a
cloze note's c1 (cardgen hides one term per cloze card).
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from pathlib import Path

from cardgen.apkg.models import BASIC_MODEL_ID, CLOZE_MODEL_ID
from cardgen.ids import deck_id
from cardgen.state import StoredCard


def create_collection(path: Path) -> None:
    """An empty collection: genanki's schema and ``col`` row."""
    from genanki.apkg_col import APKG_COL  # genanki is needed only when the collection's frame changes
    from genanki.apkg_schema import APKG_SCHEMA

    conn = sqlite3.connect(path)
    try:
        # without genanki's indexes: Anki's importer does not need them, and every insert would update five
        conn.executescript(re.sub(r"CREATE INDEX [^;]*;", "", APKG_SCHEMA))
        conn.executescript(APKG_COL)
        conn.commit()
    finally:
        conn.close()


def write_col(conn: sqlite3.Connection, templates: dict[str, str], decks: list[str], timestamp: int) -> None:
    """Set the note types and decks the cards need."""
    import genanki

    from cardgen.apkg.models import build_models

    basic, cloze = build_models(templates)
    scratch = sqlite3.connect(":memory:")
    try:
        pkg = genanki.Package([genanki.Deck(deck_id(name), name) for name in decks])
        for deck in pkg.decks:
            deck.add_model(basic)
            deck.add_model(cloze)
        pkg.write_to_db(scratch.cursor(), timestamp, itertools.count(0))
        models, deck_json = scratch.execute("SELECT models, decks FROM col").fetchone()
    finally:
        scratch.close()
    conn.execute("UPDATE pkg.col SET models=?, decks=?, mod=?", (models, deck_json, timestamp * 1000))


def put_notes(conn: sqlite3.Connection, cards: list[StoredCard]) -> None:
    """Insert or replace the Anki note and card of each of ``cards`` (at its ``nid``)."""
    # the same for every note and card are literals: binding fewer parameters is measurably cheaper
    # usn -1, csum, flags; and in data, which Anki does not import, the card's key and note: the deck
    # alone then tells each card's identity, should the build state be lost (cardgen.recover)
    conn.executemany("INSERT OR REPLACE INTO pkg.notes VALUES(?,?,?,?,-1,?,?,?,0,0,?)",
                     [(c.nid, c.guid, CLOZE_MODEL_ID if c.kind == "cloze" else BASIC_MODEL_ID, c.mod,
                       " " + " ".join(c.tags) + " ", "\x1f".join(c.fields), c.fields[0], f"{c.key}\x1f{c.note}")
                      for c in cards])
    conn.executemany("INSERT OR REPLACE INTO pkg.cards VALUES(?,?,?,0,?,-1,"  # id, nid, did, ord, mod, usn
                     "0,0,0,"  # type, queue, due: new
                     "0,0,0,0,0,0,0,0,'')",  # ivl, factor, reps, lapses, left, odue, odid, flags, data
                     [(c.nid, c.nid, deck_id(c.deck), c.mod) for c in cards])


def drop_note(conn: sqlite3.Connection, nid: int) -> None:
    conn.execute("DELETE FROM pkg.notes WHERE id=?", (nid,))
    conn.execute("DELETE FROM pkg.cards WHERE id=?", (nid,))
