"""Build state kept next to the deck, so a rebuild touches only what changed.

Two SQLite files in ``<out>/.cardgen/``, changed together in one transaction (SQLite commits
attached databases atomically), so a crash leaves both as they were before the build:

- ``<deck>.state.db``: per note its hash and diagnostics, per card its key, GUID, content
  fingerprint, change time and where its Anki note lives. No card content.
- ``<deck>.anki2``: the collection that goes into the .apkg, patched note by note. It is the only
  copy of the cards' content, which is what lets a one-note edit cost one note.

A damaged state degrades to a full rebuild with a warning: GUIDs derive from card keys, so cards
keep their identities even then (only re-attachments of reworded cards depend on the state).
Nothing is ever written into the notes.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
import os
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cardgen.faults import checkpoint

VERSION = 3
STATE_DIR = ".cardgen"

# a first build drops these while it adds its cards, and makes them once after it commits (index_cards)
_CARD_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS cards_by_key ON cards(key);
CREATE UNIQUE INDEX IF NOT EXISTS cards_by_guid ON cards(guid);
"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notes(
    rel TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, video TEXT, deck TEXT, diagnostics BLOB NOT NULL,
    keys BLOB NOT NULL, unlinked INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cards(
    key TEXT NOT NULL, note TEXT NOT NULL, pos INTEGER NOT NULL, extractor TEXT NOT NULL,
    kind TEXT NOT NULL, deck TEXT NOT NULL, line INTEGER NOT NULL, moments BLOB NOT NULL, video TEXT,
    guid TEXT NOT NULL, fp TEXT NOT NULL, mod INTEGER NOT NULL, retired INTEGER,
    nid INTEGER PRIMARY KEY);
CREATE INDEX IF NOT EXISTS retired_cards ON cards(retired) WHERE retired IS NOT NULL;
""" + _CARD_INDEXES + """
CREATE TABLE IF NOT EXISTS pruned(key TEXT PRIMARY KEY, guid TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS definitions(
    term TEXT NOT NULL, note TEXT NOT NULL, pos INTEGER NOT NULL, card BLOB NOT NULL,
    UNIQUE(term, note, pos));
CREATE INDEX IF NOT EXISTS definitions_by_note ON definitions(note);
"""
# Version 2 kept notes, cards and definitions in WITHOUT ROWID tables. Rows of notes and definitions
# (a note's card keys, a whole card) are far bigger than that layout suits, which made those tables
# three times their data; cards are now rows in their Anki note's order, indexed by key and GUID.
_FROM_2 = """
ALTER TABLE notes RENAME TO notes_2;
ALTER TABLE cards RENAME TO cards_2;
ALTER TABLE definitions RENAME TO definitions_2;
DROP INDEX definitions_by_note;
DROP INDEX retired_cards;
""" + _SCHEMA + """
INSERT INTO notes SELECT * FROM notes_2;
INSERT INTO cards SELECT * FROM cards_2;
INSERT INTO definitions SELECT * FROM definitions_2;
DROP TABLE notes_2;
DROP TABLE cards_2;
DROP TABLE definitions_2;
"""
# the columns of a stored card, in the order ``Previous`` takes them
_PREV = "key, note, pos, extractor, kind, deck, line, moments, video, guid, fp, mod, retired, nid"
_PREV_OF_C = ", ".join("c." + column for column in _PREV.split(", "))


@dataclass(slots=True)
class StoredCard:
    """A card as packaged: its identity bookkeeping and its content."""

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
    nid: int = 0  # its Anki note's id in the kept collection
    pos: int = 0  # its place among its note's cards
    concept: str = ""  # the term a definition card defines (see ``Card.concept``)

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        # the worker processes send cards to the parent: as a plain tuple, pickling costs a third
        return StoredCard, _stored_values(self)

    def fingerprint(self) -> str:
        # 64 bits: it is only ever compared with the same card's previous fingerprint
        return hashlib.blake2b(orjson.dumps([self.kind, self.deck, sorted(self.tags), self.fields]),
                               digest_size=8).hexdigest()


# every field of a StoredCard in order, read in C (a generator of getattr calls costs pickling a third more)
_stored_values = operator.attrgetter(*StoredCard.__slots__)


@dataclass(slots=True)
class Previous:
    """What the state remembers of a card (content lives in the collection)."""

    key: str
    note: str
    pos: int
    extractor: str
    kind: str
    deck: str
    line: int
    moments: bytes
    video: str | None
    guid: str
    fp: str
    mod: int
    retired: int | None
    nid: int


@dataclass(slots=True)
class NoteRecord:
    hash: str  # of the note's key and bytes
    video: str | None
    deck: str | None  # of its cards
    diagnostics: list[dict[str, Any]]  # line, message, level: replayed when the note is not re-read
    keys: list[str]  # of its cards, in order
    unlinked: int  # cards with no video link


class Store:
    """The state database with the kept collection attached as ``pkg``."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    # -- meta
    def get(self, name: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return default if row is None else row[0]

    def put(self, name: str, value: Any) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES(?,?)", (name, value))

    # -- notes
    def notes(self) -> dict[str, NoteRecord]:
        return {rel: NoteRecord(h, video, deck, orjson.loads(diagnostics), orjson.loads(keys), unlinked)
                for rel, h, video, deck, diagnostics, keys, unlinked in self.conn.execute("SELECT * FROM notes")}

    def save_note(self, rel: str, rec: NoteRecord) -> None:
        self.conn.execute("INSERT OR REPLACE INTO notes VALUES(?,?,?,?,?,?,?)",
                          (rel, rec.hash, rec.video, rec.deck, orjson.dumps(rec.diagnostics), orjson.dumps(rec.keys),
                           rec.unlinked))

    def drop_note(self, rel: str) -> None:
        self.conn.execute("DELETE FROM notes WHERE rel=?", (rel,))

    # -- definitions: each note's definition cards, by term, for the one card of a term several notes define
    def terms_of(self, rel: str) -> set[str]:
        return {t for (t,) in self.conn.execute("SELECT term FROM definitions WHERE note=?", (rel,))}

    def set_definitions(self, rel: str, cards: list[StoredCard], fresh: bool = False) -> None:
        """Replace the note's definitions (``fresh``: it has none yet, as in a first build)."""
        if not fresh:
            self.conn.execute("DELETE FROM definitions WHERE note=?", (rel,))
        self.conn.executemany("INSERT INTO definitions VALUES(?,?,?,?)",
                              [(c.concept, rel, i, orjson.dumps(c)) for i, c in enumerate(cards)])

    def definer_count(self, term: str, enough: int = 2) -> int:
        """How many definitions of ``term`` there are, counting up to ``enough``."""
        return self.conn.execute("SELECT count(*) FROM (SELECT 1 FROM definitions WHERE term=? LIMIT ?)",
                                 (term, enough)).fetchone()[0]

    def definers(self, term: str) -> list[StoredCard]:
        return [StoredCard(**orjson.loads(blob)) for (blob,) in self.conn.execute(
            "SELECT card FROM definitions WHERE term=? ORDER BY note, pos", (term,))]

    # -- cards
    def previous(self, keys: list[str]) -> dict[str, Previous]:
        found: dict[str, Previous] = {}
        for i in range(0, len(keys), 500):  # SQLite caps the parameters of one statement
            chunk = keys[i:i + 500]
            sql = f"SELECT {_PREV} FROM cards WHERE key IN ({','.join('?' * len(chunk))})"
            found.update((row[0], Previous(*row)) for row in self.conn.execute(sql, chunk))
        return found

    def guid_taken(self, guid: str) -> bool:
        return self.conn.execute("SELECT 1 FROM cards WHERE guid=?", (guid,)).fetchone() is not None

    def has_cards(self) -> bool:
        return self.conn.execute("SELECT 1 FROM cards LIMIT 1").fetchone() is not None

    def index_later(self) -> None:
        """For a first build, inside its transaction: keys and GUIDs are indexed once, by ``index_cards``
        after the build commits, rather than entry by entry as its cards come in (a first build never
        looks a card up by key or GUID)."""
        for name in ("cards_by_key", "cards_by_guid"):
            self.conn.execute(f"DROP INDEX {name}")

    def keep_keys_in_collection(self) -> bool:
        """Once per state: every Anki note of the kept collection carries its card's key and note, as
        ``put_notes`` writes them since (a deck built before did not); True when any note changed."""
        if self.get("keys_in_deck"):
            return False
        changed = self.conn.execute(
            "UPDATE pkg.notes SET data = (SELECT key || char(31) || note FROM cards WHERE cards.nid = pkg.notes.id) "
            "WHERE data = '' AND id IN (SELECT nid FROM cards)").rowcount
        self.put("keys_in_deck", 1)
        return changed > 0

    def save_cards(self, cards: list[StoredCard]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", map(_row, cards))

    def prune_card(self, card: Previous) -> None:
        """Drop a card retired long enough, remembering its GUID: should its source come back, it
        comes back as that Anki note, even when its GUID is not its key's (it was re-attached)."""
        self.drop_card(card.nid)
        self.conn.execute("INSERT OR REPLACE INTO pruned VALUES(?,?)", (card.key, card.guid))

    def held_elsewhere(self, key: str) -> bool:
        """A retired or pruned card had ``key``: its Anki note (and reviews) are that card's."""
        return self.conn.execute("SELECT 1 FROM cards WHERE key=? AND retired IS NOT NULL UNION ALL "
                                 "SELECT 1 FROM pruned WHERE key=?", (key, key)).fetchone() is not None

    def has_pruned(self) -> bool:
        return self.conn.execute("SELECT 1 FROM pruned LIMIT 1").fetchone() is not None

    def pruned_guid(self, key: str) -> str | None:
        row = self.conn.execute("SELECT guid FROM pruned WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        self.conn.execute("DELETE FROM pruned WHERE key=?", (key,))
        return str(row[0])

    def drop_card(self, nid: int) -> None:
        self.conn.execute("DELETE FROM cards WHERE nid=?", (nid,))

    def retired_claims(self, note_key: str) -> list[Previous]:
        """The retired claims of the note whose key is ``note_key`` (a range of the key index)."""
        prefix = f"{note_key}#claims#"
        return [Previous(*row) for row in self.conn.execute(
            f"SELECT {_PREV} FROM cards WHERE key >= ? AND key < ? AND retired IS NOT NULL",
            (prefix, prefix + "\uffff"))]

    def retired_before(self, when: int) -> list[Previous]:
        return [Previous(*row) for row in self.conn.execute(
            f"SELECT {_PREV} FROM cards WHERE retired IS NOT NULL AND retired < ? ORDER BY key", (when,))]

    def count_retired(self) -> int:
        return self.conn.execute("SELECT count(*) FROM cards WHERE retired IS NOT NULL").fetchone()[0]

    def counts_by_extractor(self) -> dict[str, int]:
        return dict(self.conn.execute(
            "SELECT extractor, count(*) FROM cards WHERE retired IS NULL GROUP BY extractor"))

    def decks(self) -> list[str]:
        """The decks of current cards (one per note) and of retired ones."""
        return [d for (d,) in self.conn.execute(
            "SELECT deck FROM notes WHERE deck IS NOT NULL UNION SELECT deck FROM cards WHERE retired IS NOT NULL "
            "ORDER BY deck")]

    def next_nid(self, floor: int) -> int:
        return max(floor, self.get("next_nid", 0))

    def cards(self) -> list[StoredCard]:
        """Every card the deck holds, whole, in package order."""
        rows = self.conn.execute(
            f"SELECT {_PREV_OF_C}, n.tags, n.flds FROM cards c JOIN pkg.notes n ON n.id = c.nid ORDER BY c.nid")
        return [_whole(Previous(*row[:-2]), row[-2], row[-1]) for row in rows]

    def prev_card(self, prev: Previous) -> StoredCard:
        """A stored card whole again: bookkeeping from the state, content from the collection."""
        row = self.conn.execute("SELECT tags, flds FROM pkg.notes WHERE id=?", (prev.nid,)).fetchone()
        return _whole(prev, *(row or ("", "")))


def _row(c: StoredCard) -> tuple[Any, ...]:
    """The card's row in the state, in the order of ``_PREV``."""
    return (c.key, c.note, c.pos, c.extractor, c.kind, c.deck, c.line, orjson.dumps(c.moments), c.video, c.guid,
            c.fp, c.mod, c.retired, c.nid)


def previous_of(card: StoredCard) -> Previous:
    """What the state remembers of ``card`` once saved."""
    return Previous(*_row(card))


def index_cards(db: Path) -> None:
    """Make the key and GUID indexes a first build left out, in a transaction of their own on a
    connection of its own (SQLite lets go of the GIL meanwhile, so the deck is packed alongside). Left
    unmade by a crash, they are made when the state is next opened (the schema creates them)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:  # with SQLite's small default cache: as fast here, and the build's peak memory stays where it was
        conn.executescript(f"BEGIN; {_CARD_INDEXES} COMMIT;")
    finally:
        conn.close()


def _whole(prev: Previous, tags: str, flds: str) -> StoredCard:
    return StoredCard(key=prev.key, note=prev.note, extractor=prev.extractor, kind=prev.kind, deck=prev.deck,
                      tags=tags.split(), fields=flds.split("\x1f"), moments=orjson.loads(prev.moments), line=prev.line,
                      video=prev.video, guid=prev.guid, fp=prev.fp, mod=prev.mod, retired=prev.retired, nid=prev.nid,
                      pos=prev.pos)


def state_paths(out_dir: Path, stem: str) -> tuple[Path, Path]:
    folder = out_dir / STATE_DIR
    return folder / f"{stem}.state.db", folder / f"{stem}.anki2"


def _connect(db: Path, collection: Path, create_collection: Any) -> sqlite3.Connection:
    fresh = not collection.exists()
    if fresh:
        create_collection(collection)
    conn = sqlite3.connect(db, isolation_level=None)  # transactions are begun and ended explicitly
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # a rollback journal: attached files commit atomically
        conn.execute("ATTACH DATABASE ? AS pkg", (str(collection),))
        for schema in ("main", "pkg"):  # 32 MiB per file, so a big build rarely spills mid-transaction
            conn.execute(f"PRAGMA {schema}.cache_size=-32768")
        # upgraded before the schema is applied: applied first, it would index version 2's tables
        if _stored_version(conn) == 2:
            conn.executescript(f"BEGIN; {_FROM_2} UPDATE meta SET value={VERSION} WHERE name='version'; COMMIT;")
        conn.executescript(_SCHEMA)
        conn.execute("SELECT count(*) FROM pkg.col").fetchone()  # a damaged file fails on its first read
        version = conn.execute("SELECT value FROM meta WHERE name='version'").fetchone()
        has_cards = conn.execute("SELECT 1 FROM cards LIMIT 1").fetchone() is not None
        if has_cards and (version is None or fresh):
            raise sqlite3.DatabaseError("the collection or the version is missing")
        if version is not None and version[0] != VERSION:
            raise sqlite3.DatabaseError(f"state version {version[0]!r}, expected {VERSION}")
        conn.execute("INSERT OR REPLACE INTO meta VALUES('version', ?)", (VERSION,))
    except BaseException:
        conn.close()
        raise
    return conn


def _stored_version(conn: sqlite3.Connection) -> Any:
    """The state's version, ``None`` for a new one."""
    if conn.execute("SELECT 1 FROM sqlite_schema WHERE name='meta'").fetchone() is None:
        return None
    row = conn.execute("SELECT value FROM meta WHERE name='version'").fetchone()
    return None if row is None else row[0]


def open_store(out_dir: Path, stem: str, create_collection: Any) -> tuple[Store, str | None]:
    """The state of the last build; a damaged one is set aside, with a warning, for a fresh one."""
    db, collection = state_paths(out_dir, stem)
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        return Store(_connect(db, collection, create_collection)), None
    except sqlite3.DatabaseError as e:
        discard_state(out_dir, stem)
        return Store(_connect(db, collection, create_collection)), damaged_message(e)


def discard_state(out_dir: Path, stem: str) -> None:
    for path in state_paths(out_dir, stem):
        for leftover in (path, path.with_name(path.name + "-journal")):
            leftover.unlink(missing_ok=True)


def damaged_message(e: Exception) -> str:
    return f"the build state was damaged ({str(e)[:80]}); rebuilt everything (cards keep their identities)"



def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        checkpoint()
        os.replace(tmp, path)
        checkpoint()
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# -- the no-change fast path ------------------------------------------------------------------
# A scheduled rebuild usually finds nothing changed. The snapshot lets it say so from file
# sizes and modification times alone, without reading the notes or opening the state.

RACY_NS = 2_000_000_000  # a file modified this close to the snapshot may have changed unseen


@dataclass
class Snapshot:
    key: str  # config and templates fingerprints: any change means a real build
    written_ns: int
    next_prune: int | None  # when a retired card is due to leave the deck
    files: dict[str, list[int]]  # vault-relative path -> [mtime_ns, size]
    out: list[int]  # the deck's [mtime_ns, size]
    # the last build's report, to repeat: a BuildReport when saved (orjson writes dataclasses as they
    # are, much faster than dataclasses.asdict copies them), its dict when loaded
    report: Any


def file_stat(path: str | Path | int) -> list[int]:  # a path, or an open file's descriptor
    st = os.stat(path)
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
    write_atomic(path, orjson.dumps(snap))


def renamed_deck(out_dir: Path, stem: str, note_hash: Callable[[str], str | None]) -> tuple[str, bool] | None:
    """The deck built before from these notes, when ``stem`` has no state: most of its notes are here,
    byte for byte (``note_hash`` of a vault path: what the state keeps of it, None for no note of the
    vault's); one such deck, or none. Another vault built into the same folder shares no notes' bytes.

    With it, whether its notes folder is gone: the folder was renamed, which renamed the deck, and
    its state is this deck's. A folder still there is another deck built from the same notes (or a
    ``--deck`` rename, which a build cannot tell from one): its state stays its own.
    """
    db = state_paths(out_dir, stem)[0]
    if db.exists() or not db.parent.is_dir():
        return None
    found = []
    for other in sorted(db.parent.glob("*.state.db")):
        try:
            with contextlib.closing(sqlite3.connect(f"file:{other}?mode=ro", uri=True)) as conn:
                notes = conn.execute("SELECT rel, hash FROM notes").fetchall()
                folder = conn.execute("SELECT value FROM meta WHERE name='notes_dir'").fetchone()
        except sqlite3.Error:  # damaged, or no state of ours: not the one
            continue
        if notes and sum(note_hash(rel) == h for rel, h in notes) * 2 >= len(notes):
            found.append((other.name.removesuffix(".state.db"), folder is not None and not Path(folder[0]).is_dir()))
    return found[0] if len(found) == 1 else None


def take_over_state(out_dir: Path, into: Path, old: str, stem: str) -> None:
    """Make deck ``old``'s state (in ``out_dir``) ``stem``'s, in ``into``: moved when they are one
    folder, else copied (a dry run). The collection goes first: a crash in between leaves ``stem``
    its collection and ``old`` its state, which the next build moves after it."""
    if into != out_dir:
        copy_state(out_dir, into, old)
    old_paths, new_paths = state_paths(into, old), state_paths(into, stem)
    for src, dst in reversed(list(zip(old_paths, new_paths, strict=True))):
        if src.exists():
            checkpoint()
            os.replace(src, dst)
    old_paths[0].with_suffix(".snapshot.json").unlink(missing_ok=True)


def copy_state(out_dir: Path, into: Path, stem: str) -> None:
    """A consistent copy of the state (SQLite's backup: never half a transaction), for a dry run."""
    for src, dst in zip(state_paths(out_dir, stem), state_paths(into, stem), strict=True):
        if not src.exists():
            return
        dst.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as a, \
                contextlib.closing(sqlite3.connect(dst)) as b:
            a.backup(b)
