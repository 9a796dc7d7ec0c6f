"""build_deck(): discover -> parse -> extract -> plan changes -> package. One bad note never stops the others."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from cardgen.apkg.templates import TEMPLATE_FILES, load_templates
from cardgen.decks import check_template
from cardgen.errors import CardgenError, ConfigError, PackageError
from cardgen.faults import checkpoint
from cardgen.files import discover
from cardgen.lock import build_lock
from cardgen.media import MediaOptions
from cardgen.model import Diagnostic
from cardgen.settings import (
    ANSWER_WORDS,
    DECK_TEMPLATE,
    EXTRACTOR_NAMES,
    HIDDEN_WORDS,
    RETIRE_DAYS,
    WAIT_SECONDS,
    check_names,
)
from cardgen.state import (
    RACY_NS,
    STATE_DIR,
    NoteRecord,
    Snapshot,
    Store,
    StoredCard,
    copy_state,
    damaged_message,
    discard_state,
    file_stat,
    index_cards,
    load_snapshot,
    open_store,
    renamed_deck,
    save_snapshot,
    snapshot_holds,
    state_paths,
    take_over_state,
)

if TYPE_CHECKING:
    from cardgen.changes import Changes, Planner
    from cardgen.vault import NoteBuild


@dataclass
class BuildOptions:
    notes_dir: Path
    out_dir: Path
    extractors: tuple[str, ...] = EXTRACTOR_NAMES
    deck: str | None = None  # root deck name; default: the notes folder's name
    deck_template: str = DECK_TEMPLATE  # every note's deck, from {deck} {folder} {title} {channel}
    tags: tuple[str, ...] = ()  # added to every card
    answer_words: int = ANSWER_WORDS
    hidden_words: int = HIDDEN_WORDS
    vault: str | None = None  # Obsidian vault name for back-links; default: the notes folder's name
    templates_dir: Path | None = None
    timestamp: float | None = None  # the build's "now"; default: the clock
    dry_run: bool = False  # report what would change, write nothing
    retire_days: int = RETIRE_DAYS
    wait: float = WAIT_SECONDS  # to wait for another build of the same output folder
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)  # processes that parse notes
    media: MediaOptions = field(default_factory=MediaOptions)  # embedded player, link template
    # called with every card the deck holds (after planning); set, the no-change shortcut is skipped
    on_cards: Callable[[list[StoredCard]], None] | None = None


@dataclass
class BuildReport:
    notes: int = 0
    cards: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cached: int = 0  # notes not re-parsed because they did not change
    notes_without_video: list[str] = field(default_factory=list)
    cards_without_link: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    hints: list[Diagnostic] = field(default_factory=list)  # weak spots, for --report; never a warning
    changes: dict[str, int] = field(default_factory=dict)
    per_note: dict[str, dict[str, int]] = field(default_factory=dict)
    reattached: list[dict[str, str]] = field(default_factory=list)
    output: str | None = None
    written: bool = False  # False when the deck was already identical (or on a dry run)
    dry_run: bool = False

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "warning"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    def tally(self) -> str:
        """"1 warning, 0 errors": the summary's last line."""
        return f"{counted(len(self.warnings), 'warning')}, {counted(len(self.errors), 'error')}"

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["total_cards"] = sum(self.cards.values())
        d["diagnostics"] = [{**asdict(x), "text": str(x)} for x in self.diagnostics]
        del d["hints"]  # --report shows them
        return d


def counted(n: int, noun: str) -> str:
    """``1 note``, ``2 notes``: the summary's counts agree in number."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _collect(built: Iterable[NoteBuild], total: int, store: Store, planner: Planner, report: BuildReport,
             present: set[str], progress: Callable[[int, int], None] | None) -> None:
    """Hand each changed note's cards to the planner, remember what to replay of each note, report the rest."""
    records = planner.records
    for i, nb in enumerate(built):
        rel = nb.rel
        if progress:
            progress(i + 1, total)
        if nb.cached:
            record = records[rel]
            nb.diagnostics, nb.video = [Diagnostic(rel, **d) for d in record.diagnostics], record.video
            report.cached += 1
            planner.unchanged(rel, len(record.keys))
            _count_note(report, rel, nb.video, record.unlinked)
            _add_diagnostics(report, nb.diagnostics)
            continue
        _add_diagnostics(report, nb.diagnostics)
        if nb.skipped:
            report.skipped.append(rel)
            planner.gone(rel)
            continue
        if not nb.ok:  # half-saved or broken: the note keeps the cards of its last good build
            report.failed.append(rel)
            kept = records[rel].keys if rel in records else []
            if kept:
                planner.unchanged(rel, len(kept))
                report.diagnostics.append(Diagnostic(rel, 1, f"kept its {len(kept)} cards from the last good build"))
            continue
        previous = planner.previous(nb.cards)
        if planner.settle(rel, nb.cards, previous):
            previous = planner.previous(nb.cards)
        clash = planner.clash(rel, nb.cards, previous, present)
        if clash is not None:
            card, holder = clash
            report.diagnostics.append(Diagnostic(rel, card.line, (
                f"card identity {card.key!r} is already used by {holder}; give one of the "
                "notes a different 'id:' in its frontmatter (this note was left out)"), "error"))
            report.failed.append(rel)
            continue
        if not nb.cards:
            report.diagnostics.append(Diagnostic(rel, 1, "makes no cards: it has no section with content, "
                                                         "no callout and no timestamped sentence"))
        own = planner.note(rel, nb.cards, previous)
        unlinked = sum(1 for c in nb.cards if not c.fields[3])  # no moment link: no video, nor another source
        store.save_note(rel, NoteRecord(
            nb.hash, nb.video, nb.cards[0].deck if nb.cards else None,
            [{"line": d.line, "message": d.message, "level": d.level} for d in nb.diagnostics],
            [c.key for c in own], unlinked))
        _count_note(report, rel, nb.video, unlinked)


def _add_diagnostics(report: BuildReport, found: list[Diagnostic]) -> None:
    for d in found:
        (report.hints if d.level == "hint" else report.diagnostics).append(d)


def _count_note(report: BuildReport, rel: str, video: str | None, unlinked: int) -> None:
    report.notes += 1
    if not video and unlinked:
        report.notes_without_video.append(rel)
        report.cards_without_link += unlinked


def _file_stem(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip(".-") or "cardgen"


def _fingerprint(*parts: object) -> str:
    return hashlib.sha1(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()


def check_notes_dir(notes_dir: Path) -> None:
    """CardgenError unless ``notes_dir`` is a folder."""
    if not notes_dir.is_dir():
        raise CardgenError(f"notes folder {notes_dir} is a file, not a folder" if notes_dir.exists()
                           else f"notes folder {notes_dir} does not exist")


def build_deck(opts: BuildOptions, progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Build (or, with ``dry_run``, preview) the vault's ``.apkg`` in ``opts.out_dir``."""
    extractors = tuple(check_names(opts.extractors))
    problem = check_template(opts.deck_template)
    if problem:
        raise ConfigError(f"deck template {opts.deck_template!r}: {problem}")
    check_notes_dir(opts.notes_dir)
    root = opts.deck or opts.notes_dir.resolve().name or "cardgen"
    stem = _file_stem(root)
    out = opts.out_dir / f"{stem}.apkg"
    try:
        if opts.dry_run:  # on a consistent copy of the state, thrown away after
            with tempfile.TemporaryDirectory(prefix="cardgen-dry-run-") as scratch:
                try:
                    copy_state(opts.out_dir, Path(scratch), stem)
                except sqlite3.OperationalError:
                    raise
                except sqlite3.DatabaseError:  # a damaged state: the dry run shows a rebuild from nothing
                    discard_state(Path(scratch), stem)
                return _build_or_recover(opts, extractors, root, out, stem, Path(scratch), progress)
        with build_lock(opts.out_dir, opts.wait):
            return _build_or_recover(opts, extractors, root, out, stem, opts.out_dir, progress)
    except (OSError, sqlite3.OperationalError) as e:  # a full disk, a read-only folder: every write is
        # atomic (a file replaced whole, or one SQLite transaction), so nothing is lost
        raise PackageError(f"could not write to {opts.out_dir} ({getattr(e, 'strerror', None) or e}); "
                           "the previous deck and state are unchanged") from None
    except CardgenError:
        raise
    except Exception as e:  # a bug: one line for the user, never a traceback (a scheduled build logs it, and
        # --watch keeps watching); every write is atomic, so the failed build left nothing half-written
        raise CardgenError(f"cardgen failed ({type(e).__name__}: {e}): this is a bug, please report it with the "
                           "notes that changed since the last build. Nothing was left half-written: the deck and "
                           "its build state are whole") from e


def _build_or_recover(opts: BuildOptions, extractors: tuple[str, ...], root: str, out: Path, stem: str,
                      state_root: Path, progress: Callable[[int, int], None] | None) -> BuildReport:
    """``_build``; when it meets a damaged state past its first read, again from no state, with a warning.
    (The failed attempt's transaction rolled back, and it wrote nothing else.)"""
    try:
        return _build(opts, extractors, root, out, stem, state_root, progress)
    except sqlite3.OperationalError:  # locked, disk full, read-only: not damage
        raise
    except sqlite3.DatabaseError as e:
        discard_state(state_root, stem)
        report = _build(opts, extractors, root, out, stem, state_root, progress)
        report.diagnostics.insert(0, Diagnostic(str(state_root / STATE_DIR), 1, damaged_message(e)))
        return report


def _build(opts: BuildOptions, extractors: tuple[str, ...], root: str, out: Path, stem: str, state_root: Path,
           progress: Callable[[int, int], None] | None) -> BuildReport:
    now = int(opts.timestamp if opts.timestamp is not None else time.time())
    vault = opts.vault or opts.notes_dir.resolve().name
    config = _fingerprint(_code_fingerprint(), extractors, root, vault, opts.retire_days, opts.media,
                          opts.deck_template, opts.tags, opts.answer_words, opts.hidden_words)
    templates = load_templates(opts.templates_dir)
    templates_hash = _fingerprint([templates[n] for n in TEMPLATE_FILES])
    paths, found_problems, unreadable = discover(opts.notes_dir)
    base = str(opts.notes_dir)
    stats = {rel: _stat(os.path.join(base, rel)) for rel in paths}  # before reading: a later edit shows next time
    snapshot_path = state_paths(state_root, stem)[0].with_suffix(".snapshot.json")
    snap = load_snapshot(snapshot_path)
    snapshot_key = _fingerprint(config, templates_hash)
    if opts.on_cards is None and snapshot_holds(snap, snapshot_key, stats, out, now):
        assert snap is not None
        return _unchanged(snap, opts.dry_run, out)

    # the parser, extractors and packager are imported only now: the no-change answer above needs none
    from cardgen.apkg.collection import create_collection, write_col
    from cardgen.apkg.package import write_apkg
    from cardgen.changes import Planner
    from cardgen.extract import ExtractOptions
    from cardgen.ids import note_keys
    from cardgen.legacy import legacy_files, migrate_legacy
    from cardgen.recover import recover_from_deck
    from cardgen.vault import Recipe, build_notes, current_hash, few_collections

    report = BuildReport(dry_run=opts.dry_run, output=str(out), diagnostics=list(found_problems))
    snapshot_path.unlink(missing_ok=True)  # from here on the snapshot would vouch for a deck being replaced
    keys = note_keys(paths)
    before = renamed_deck(opts.out_dir, stem, current_hash(opts.notes_dir, keys))
    if before is not None and before[1]:  # the notes folder was renamed: its cards keep their identities
        take_over_state(opts.out_dir, state_root, before[0], stem)
        report.diagnostics.append(Diagnostic(str(state_root / STATE_DIR), 1, (
            f"the notes folder was renamed, and the deck with it (it was '{before[0]}'): its cards keep their "
            f"identities and reviews (Anki leaves cards in the decks they are in); {before[0]}.apkg is left "
            "as it was")))
    elif before is not None:
        report.diagnostics.append(Diagnostic(str(state_root / STATE_DIR), 1, (
            f"these notes were built before as the deck '{before[0]}': this deck's cards are new, and importing "
            "both decks would give each card twice. To rename that deck instead, rename its files in "
            f"{opts.out_dir / STATE_DIR} ({before[0]}.state.db and {before[0]}.anki2) to {stem}.state.db and "
            f"{stem}.anki2 first")))
    store, damaged = open_store(state_root, stem, create_collection)
    try:
        store.conn.execute("BEGIN IMMEDIATE")
        if not paths and not unreadable and store.has_cards():  # an unmounted or half-synced vault
            report.diagnostics.append(Diagnostic(str(opts.notes_dir), 1, (
                "no Markdown notes here: every card of the deck retires. If the folder is not mounted or "
                "synced yet, build again once it is: the cards come back in place, reviews and all")))
        # no state, beside a deck: its cards are taken from the old JSON state, else from the deck itself
        # (a state that has built before, if only notes that all failed, is no lost one)
        lost = (not store.has_cards() and store.get("config") is None
                and not migrate_legacy(store, opts.out_dir, stem, now * 1000) and out.exists())
        recovered = lost and recover_from_deck(store, out)
        if damaged:
            report.diagnostics.append(Diagnostic(str(state_root / STATE_DIR), 1, damaged + (
                "; every card's identity was taken back from the deck" if recovered else "")))
        elif recovered:
            report.diagnostics.append(Diagnostic(str(out), 1, (
                "no build state next to the deck; every card's identity was taken back from the deck itself, "
                "so nothing comes back as a duplicate (edits made in Anki may be overwritten once)")))
        elif lost:
            report.diagnostics.append(Diagnostic(str(out), 1, (
                "no build state next to the deck, and the deck is from a cardgen that did not keep identities in "
                "it; rebuilt everything (cards keep their identities, except those re-attached in an earlier build, "
                "after a rename or rewording, which come back as new cards)")))
        filled = store.keep_keys_in_collection()
        store.put("notes_dir", str(opts.notes_dir.resolve()))  # a later build tells a renamed folder by it
        records = store.notes()
        hashes = {rel: r.hash for rel, r in records.items()} if store.get("config") == config else {}
        # a note whose size and time are those the last build saw is not even read again
        same = {rel for rel in hashes if snap and snap.key == snapshot_key and rel in stats
                and snap.files.get(rel) == stats[rel] and stats[rel][0] < snap.written_ns - RACY_NS}
        planner = Planner(store, records, root, now, opts.retire_days)
        present = set(paths)
        for rel in records:
            if rel not in present and not any(rel.startswith(folder) for folder in unreadable):
                planner.gone(rel)
        with few_collections():
            built = build_notes(opts.notes_dir, paths, keys, hashes, same,
                                Recipe(extractors, root, vault, opts.media, ExtractOptions(opts.answer_words,
                                       opts.hidden_words), opts.deck_template, opts.tags), opts.jobs)
            _collect(built, len(paths), store, planner, report, present, progress)
            changes = planner.finish()
        _report_changes(report, changes, planner)
        dirty = planner.dirty or filled
        if store.get("templates") != templates_hash:
            store.put("templates_mod", max(now, store.get("templates_mod", 0) + 1))
        decks = store.decks()
        frame = _fingerprint(templates_hash, decks)  # what the collection's col row holds
        if store.get("frame") != frame:
            # the note types' mod is when their templates last changed: Anki updates a note type
            # only from a newer one, so a learner's own edit of it stands until ours change
            write_col(store.conn, templates, decks, store.get("templates_mod"))
            store.put("frame", frame)
            dirty = True
        store.put("config", config)
        store.put("templates", templates_hash)
        last = orjson.loads(store.get("packaged") or b"null")  # the deck the last build wrote (Packed.record)
        last = last if isinstance(last, dict) else None  # (before frames, only the deck's stat was kept)
        if dirty:
            store.put("packaged", None)  # until the .apkg is written: a crash in between repackages
        if opts.on_cards is not None:
            opts.on_cards(store.cards())
        if opts.dry_run:
            _count_cards(report, store, extractors)
            store.conn.execute("ROLLBACK")
            return report
        checkpoint()
        store.conn.execute("COMMIT")
        checkpoint()
        for old in legacy_files(opts.out_dir, stem):
            old.unlink()
        repackage = dirty or last is None or last["deck"] != _stat(str(out))  # gone or replaced: packed again
        db, collection = state_paths(state_root, stem)
        # the deck is packed in a thread (zstd lets go of the GIL) while this one makes a first build's
        # card indexes and counts the cards (SQLite lets go of it too)
        with ThreadPoolExecutor(1) as meanwhile:
            packing = meanwhile.submit(write_apkg, collection, out, last) if repackage else None
            if planner.index_after:
                index_cards(db)
            _count_cards(report, store, extractors)
            packed = packing.result() if packing is not None else None
        if packed is not None:
            report.written = packed.written
            store.put("packaged", orjson.dumps(packed.record))
        pending = store.conn.execute(
            "SELECT min(retired) FROM cards WHERE retired IS NOT NULL").fetchone()[0]
    finally:
        store.conn.close()
    save_snapshot(Snapshot(
        key=snapshot_key, written_ns=time.time_ns(),
        next_prune=pending + opts.retire_days * 86400 + 1 if pending is not None else None,
        files={rel: stats[rel] for rel in paths if stats[rel]}, out=file_stat(out),
        report=report), snapshot_path)
    return report


@functools.cache
def _code_fingerprint() -> str:
    """A hash of cardgen's own source: a new version, or any change to it, drops the cache of cards."""
    digest = hashlib.sha1()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stat(path: str) -> list[int]:
    try:
        return file_stat(path)
    except OSError:
        return []


def _unchanged(snap: Snapshot, dry_run: bool, out: Path) -> BuildReport:
    """The report of a build that found nothing changed since the snapshot (written to ``out``, as this
    build names it: the last one may have run elsewhere, with other relative paths)."""
    report = BuildReport(**{**snap.report, "diagnostics": [Diagnostic(**d) for d in snap.report["diagnostics"]],
                            "hints": [Diagnostic(**d) for d in snap.report["hints"]]})
    total = sum(report.cards.values())
    report.changes = {"new": 0, "updated": 0, "unchanged": total, "reattached": 0, "retired": 0,
                      "still_retired": report.changes.get("retired", 0) + report.changes.get("still_retired", 0),
                      "pruned": 0}
    # every card of every current note is unchanged now; notes that were only retirements are gone
    report.per_note = {note: {"unchanged": sum(counts.get(k, 0) for k in ("new", "updated", "unchanged"))}
                       for note, counts in report.per_note.items() if set(counts) != {"retired"}}
    report.reattached, report.cached, report.written, report.dry_run = [], report.notes, False, dry_run
    report.output = str(out)
    return report


def _count_cards(report: BuildReport, store: Store, extractors: tuple[str, ...]) -> None:
    report.cards = {name: 0 for name in extractors} | store.counts_by_extractor()


def _report_changes(report: BuildReport, changes: Changes, planner: Planner) -> None:
    report.changes = {"new": len(changes.new), "updated": len(changes.updated), "unchanged": changes.unchanged,
                      "reattached": len(changes.reattached), "retired": len(changes.retired),
                      "still_retired": changes.still_retired, "pruned": len(changes.pruned)}
    report.per_note = {note: counts for note, counts in sorted(planner.per_note.items()) if counts}
    for r in changes.reattached:
        report.reattached.append({"card": r.new_key, "was": r.old_key, "why": r.reason})
    for _key, note, message in changes.conflicts:
        report.diagnostics.append(Diagnostic(note, 1, message))
