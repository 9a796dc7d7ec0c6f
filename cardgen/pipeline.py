"""build_deck(): discover -> parse -> extract -> plan changes -> package. One bad note never stops the others."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen.apkg.templates import TEMPLATE_FILES, load_templates
from cardgen.errors import CardgenError, PackageError
from cardgen.files import discover
from cardgen.lock import build_lock
from cardgen.media import MediaOptions
from cardgen.model import Diagnostic
from cardgen.settings import EXTRACTOR_NAMES, RETIRE_DAYS, WAIT_SECONDS, check_names
from cardgen.state import (
    Snapshot,
    State,
    StoredCard,
    StoredNote,
    file_stat,
    load_snapshot,
    load_state,
    save_snapshot,
    save_state,
    snapshot_holds,
)

if TYPE_CHECKING:
    from cardgen.changes import Changes
    from cardgen.vault import NoteBuild



@dataclass
class BuildOptions:
    notes_dir: Path
    out_dir: Path
    extractors: tuple[str, ...] = EXTRACTOR_NAMES
    deck: str | None = None  # root deck name; default: the notes folder's name
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

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["total_cards"] = sum(self.cards.values())
        d["diagnostics"] = [{**asdict(x), "text": str(x)} for x in self.diagnostics]
        return d


def _keep_last_good(rel: str, state: State, fresh: list[StoredCard], notes: dict[str, StoredNote],
                    report: BuildReport) -> None:
    """A note that cannot be read now (half-saved, broken) keeps the cards of its last good build."""
    from cardgen.vault import current

    previous = state.notes.get(rel)
    if previous is None or any(k not in state.cards for k in previous.keys):
        return
    fresh.extend(current(state.cards[k]) for k in previous.keys)
    notes[rel] = previous
    report.diagnostics.append(Diagnostic(rel, 1, f"kept its {len(previous.keys)} cards from the last good build"))


def _collect(built: Iterable[NoteBuild], total: int, state: State, report: BuildReport,
             progress: Callable[[int, int], None] | None) -> tuple[list[StoredCard], dict[str, StoredNote]]:
    """The cards of every note that built, and what to remember of each note; the rest is reported."""
    fresh: list[StoredCard] = []
    notes: dict[str, StoredNote] = {}
    owner: dict[str, str] = {}
    for i, nb in enumerate(built):
        rel = nb.rel
        report.diagnostics.extend(nb.diagnostics)
        if progress:
            progress(i + 1, total)
        if nb.skipped:
            report.skipped.append(rel)
            continue
        if not nb.ok:
            report.failed.append(rel)
            _keep_last_good(rel, state, fresh, notes, report)
            continue
        clash = _first_clash(nb.cards, owner)
        if clash is not None:
            report.diagnostics.append(Diagnostic(rel, clash.line, (
                f"card identity {clash.key!r} is already used by {owner.get(clash.key, rel)}; give one of the "
                "notes a different 'id:' in its frontmatter (this note was left out)"), "error"))
            report.failed.append(rel)
            continue
        report.notes += 1
        report.cached += nb.cached
        if not nb.cards and not nb.cached:
            report.diagnostics.append(Diagnostic(rel, 1, "makes no cards: it has no section with content, "
                                                         "no callout and no timestamped sentence"))
        if not nb.video and not all(c.fields[3] for c in nb.cards):  # no YouTube video, nor another source
            report.notes_without_video.append(rel)
            report.cards_without_link += sum(1 for c in nb.cards if not c.fields[3])
        for card in nb.cards:
            owner[card.key] = f"{rel}:{card.line}"
        fresh.extend(nb.cards)
        notes[rel] = StoredNote(nb.hash, [c.key for c in nb.cards], nb.video,
                                [{"line": d.line, "message": d.message, "level": d.level} for d in nb.diagnostics])
    return fresh, notes


def _first_clash(cards: list[StoredCard], owner: dict[str, str]) -> StoredCard | None:
    """The first card whose key another card (of this note or an earlier one) already has."""
    seen: set[str] = set()
    for card in cards:
        if card.key in owner or card.key in seen:
            return card
        seen.add(card.key)
    return None


def _file_stem(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip(".-") or "cardgen"


def _fingerprint(*parts: object) -> str:
    return hashlib.sha1(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()


def build_deck(opts: BuildOptions, progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Build (or, with ``dry_run``, preview) the vault's ``.apkg`` in ``opts.out_dir``."""
    extractors = tuple(check_names(opts.extractors))
    if not opts.notes_dir.is_dir():
        raise CardgenError(f"notes folder {opts.notes_dir} does not exist")
    root = opts.deck or opts.notes_dir.resolve().name or "cardgen"
    out = opts.out_dir / f"{_file_stem(root)}.apkg"
    state_path = opts.out_dir / f"{_file_stem(root)}.cardgen.json"
    try:
        if opts.dry_run:
            return _build(opts, extractors, root, out, state_path, progress)
        with build_lock(opts.out_dir, opts.wait):
            return _build(opts, extractors, root, out, state_path, progress)
    except OSError as e:  # a full disk, a read-only folder: every write is atomic, so nothing is lost
        raise PackageError(f"could not write to {opts.out_dir} ({e.strerror or e}); "
                           "the previous deck and state are unchanged") from None


def _build(opts: BuildOptions, extractors: tuple[str, ...], root: str, out: Path, state_path: Path,
           progress: Callable[[int, int], None] | None) -> BuildReport:
    now = int(opts.timestamp if opts.timestamp is not None else time.time())
    vault = opts.vault or opts.notes_dir.resolve().name
    config = _fingerprint(_code_fingerprint(), extractors, root, vault, opts.retire_days, opts.media)
    templates = load_templates(opts.templates_dir)
    templates_hash = _fingerprint([templates[n] for n in TEMPLATE_FILES])
    paths, found_problems = discover(opts.notes_dir)
    stats = {rel: _stat(opts.notes_dir / rel) for rel in paths}  # before reading: a later edit shows next time
    snapshot_path = state_path.with_name(state_path.name.replace(".json", ".snapshot.json"))
    snap = load_snapshot(snapshot_path)
    snapshot_key = _fingerprint(config, templates_hash)
    if opts.on_cards is None and snapshot_holds(snap, snapshot_key, stats, out, now):
        assert snap is not None
        return _unchanged(snap, opts.dry_run)

    # the parser, extractors and packager are imported only now: the no-change answer above needs none
    from cardgen.apkg.package import write_apkg
    from cardgen.changes import plan
    from cardgen.ids import note_keys
    from cardgen.vault import build_notes

    report = BuildReport(dry_run=opts.dry_run, output=str(out), diagnostics=list(found_problems))
    state, damaged = load_state(state_path)
    if damaged:
        report.diagnostics.append(Diagnostic(str(state_path), 1, damaged))
    elif out.exists() and not state_path.exists() and not state_path.with_name(state_path.name + ".bak").exists():
        report.diagnostics.append(Diagnostic(str(state_path), 1, (
            "no build state next to the deck; rebuilt everything (cards keep their identities, but edits "
            "made in Anki may be overwritten once)")))
    cache = state if state.config == config else None
    built = build_notes(opts.notes_dir, paths, note_keys(paths), extractors, root, vault, cache, opts.jobs,
                        opts.media)
    fresh, notes = _collect(built, len(paths), state, report, progress)
    report.cards = {name: sum(1 for c in fresh if c.extractor == name) for name in extractors}

    cards, changes = plan(fresh, state, root, now, opts.retire_days)
    _report_changes(report, changes, fresh, state)
    if opts.on_cards is not None:
        opts.on_cards(cards)
    templates_mod = state.templates_mod if state.templates == templates_hash else max(now, state.templates_mod + 1)
    package = _fingerprint([(c.guid, c.fp, c.mod) for c in cards], templates_hash)
    new_state = State(config=config, templates=templates_hash, templates_mod=templates_mod, package=package,
                      cards={c.key: c for c in cards}, notes=notes)
    if opts.dry_run:
        return report
    if package != state.package or not out.exists():
        stamp = max([templates_mod, *(c.mod for c in cards)])
        write_apkg(cards, out, templates, stamp)
        report.written = True
    save_state(new_state, state_path)
    retired = [c.retired for c in cards if c.retired is not None]
    save_snapshot(Snapshot(
        key=snapshot_key, written_ns=time.time_ns(),
        next_prune=min(retired) + opts.retire_days * 86400 + 1 if retired else None,
        files={rel: stats[rel] for rel in paths if stats[rel]}, out=file_stat(out),
        report=asdict(report)), snapshot_path)
    return report


@functools.cache
def _code_fingerprint() -> str:
    """A hash of cardgen's own source: a new version, or any change to it, drops the cache of cards."""
    digest = hashlib.sha1()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stat(path: Path) -> list[int]:
    try:
        return file_stat(path)
    except OSError:
        return []


def _unchanged(snap: Snapshot, dry_run: bool) -> BuildReport:
    """The report of a build that found nothing changed since the snapshot."""
    report = BuildReport(**{**snap.report, "diagnostics": [Diagnostic(**d) for d in snap.report["diagnostics"]]})
    total = sum(report.cards.values())
    report.changes = {"new": 0, "updated": 0, "unchanged": total, "reattached": 0, "retired": 0,
                      "still_retired": report.changes.get("retired", 0) + report.changes.get("still_retired", 0),
                      "pruned": 0}
    # every card of every current note is unchanged now; notes that were only retirements are gone
    report.per_note = {note: {"unchanged": sum(counts.get(k, 0) for k in ("new", "updated", "unchanged"))}
                       for note, counts in report.per_note.items() if set(counts) != {"retired"}}
    report.reattached, report.cached, report.written, report.dry_run = [], report.notes, False, dry_run
    return report


def _report_changes(report: BuildReport, changes: Changes, fresh: list[StoredCard], state: State) -> None:
    report.changes = {"new": len(changes.new), "updated": len(changes.updated), "unchanged": len(changes.unchanged),
                      "reattached": len(changes.reattached), "retired": len(changes.retired),
                      "still_retired": len(changes.still_retired), "pruned": len(changes.pruned)}
    note_of = {c.key: c.note for c in fresh}
    for kind in ("new", "updated", "unchanged"):
        for key in getattr(changes, kind):
            counts = report.per_note.setdefault(note_of[key], {})
            counts[kind] = counts.get(kind, 0) + 1
    for key in changes.retired:
        counts = report.per_note.setdefault(state.cards[key].note, {})
        counts["retired"] = counts.get("retired", 0) + 1
    for r in changes.reattached:
        report.reattached.append({"card": r.new_key, "was": r.old_key, "why": r.reason})
    for key, message in changes.conflicts:
        report.diagnostics.append(Diagnostic(note_of[key], 1, message))
