"""build_deck(): discover -> parse -> extract -> package. One bad note never stops the others."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from cardgen.apkg.models import load_templates
from cardgen.apkg.package import Entry, write_apkg
from cardgen.errors import CardgenError, NoteError
from cardgen.extract import EXTRACTORS, check_names, run_extractors
from cardgen.ids import note_keys
from cardgen.model import Card, Diagnostic, Note, NoteResult
from cardgen.parse import parse_note


@dataclass
class BuildOptions:
    notes_dir: Path
    out_dir: Path
    extractors: tuple[str, ...] = tuple(EXTRACTORS)
    deck: str | None = None  # root deck name; default: the notes folder's name
    templates_dir: Path | None = None
    timestamp: float | None = None  # build time written into the package; default: now


@dataclass
class BuildReport:
    notes: int = 0
    cards: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes_without_video: list[str] = field(default_factory=list)
    cards_without_link: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    output: str | None = None

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


def discover(notes_dir: Path) -> list[str]:
    """Every ``*.md`` under ``notes_dir``, sorted, skipping hidden folders such as ``.obsidian``.

    Symlinked folders are not followed, so a link loop cannot hang the build.
    """
    found: list[str] = []
    for root, dirs, files in os.walk(notes_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_root = PurePosixPath(Path(root).relative_to(notes_dir).as_posix())
        found.extend(str(rel_root / f) if str(rel_root) != "." else f
                     for f in files if f.lower().endswith(".md") and not f.startswith("."))
    return sorted(found)


def read_note_text(path: Path, rel: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise NoteError(rel, 1, f"cannot read the file ({e.strerror}); check its permissions") from None
    if b"\x00" in data[:8192]:
        raise NoteError(rel, 1, "this is a binary file, not a Markdown note; rename or remove it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise NoteError(rel, line, f"not UTF-8 (byte 0x{data[e.start]:02x}); re-save the note as UTF-8") from None


def build_note(notes_dir: Path, rel: str, key: str, extractors: tuple[str, ...]) -> NoteResult:
    """Read, parse and extract one note. Never raises for bad input: errors become diagnostics."""
    result = NoteResult(rel)
    try:
        note, result.diagnostics = parse_note(rel, read_note_text(notes_dir / rel, rel), key)
        if note is None:
            result.skipped = True
            return result
        result.note = note
        result.cards = run_extractors(note, extractors)
    except NoteError as e:
        result.diagnostics.append(Diagnostic(e.path, e.line, e.message, "error"))
    except RecursionError:
        result.diagnostics.append(Diagnostic(rel, 1, "nesting too deep to read (blockquotes or lists)", "error"))
    return result


def _deck_part(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("::", " ")).strip() or "_"


def deck_name(root: str, note: Note) -> str:
    """Subdecks follow folders: ``root::folder::subfolder``; frontmatter ``deck:`` overrides."""
    if note.deck:
        return "::".join(_deck_part(p) for p in note.deck.split("::"))
    folders = PurePosixPath(note.path).parts[:-1]
    return "::".join([_deck_part(root), *(_deck_part(f) for f in folders)])


def _tags(note: Note) -> tuple[str, ...]:
    tags = ["cardgen"]
    if note.video:
        tags.append(f"video::{note.video}")
    if note.channel:
        tags.append("channel::" + re.sub(r"\s+", "_", note.channel.strip().lower()))
    return tuple(dict.fromkeys(tags + list(note.tags)))


def build_deck(opts: BuildOptions, progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Build one ``.apkg`` for the vault at ``opts.notes_dir`` into ``opts.out_dir``."""
    extractors = tuple(check_names(opts.extractors))
    if not opts.notes_dir.is_dir():
        raise CardgenError(f"notes folder {opts.notes_dir} does not exist")
    templates = load_templates(opts.templates_dir)
    root = opts.deck or opts.notes_dir.resolve().name or "cardgen"
    report = BuildReport()
    paths = discover(opts.notes_dir)
    keys = note_keys(paths)
    entries: list[Entry] = []
    owner: dict[str, str] = {}
    kinds: Counter[str] = Counter()
    for i, rel in enumerate(paths):
        result = build_note(opts.notes_dir, rel, keys[rel], extractors)
        report.diagnostics.extend(result.diagnostics)
        if progress:
            progress(i + 1, len(paths))
        if result.skipped:
            report.skipped.append(rel)
            continue
        if result.note is None:
            report.failed.append(rel)
            continue
        clash = _first_clash(result, owner)
        if clash is not None:
            report.diagnostics.append(Diagnostic(rel, clash.line, (
                f"card identity {clash.key!r} is already used by {owner.get(clash.key, rel)}; give one of the "
                "notes a different 'id:' in its frontmatter (this note was left out)"), "error"))
            report.failed.append(rel)
            continue
        note = result.note
        report.notes += 1
        if not note.video:
            report.notes_without_video.append(rel)
        deck, tags = deck_name(root, note), _tags(note)
        for card in result.cards:
            owner[card.key] = f"{rel}:{card.line}"
            kinds[card.extractor] += 1
            if not (note.video or any(m.video for m in card.moments)):
                report.cards_without_link += 1
            entries.append(Entry(card, deck, tags, f"{rel}:{card.line}", note.video))
    report.cards = {name: kinds[name] for name in extractors}
    out = opts.out_dir / f"{_file_stem(root)}.apkg"
    write_apkg(entries, out, root, templates, opts.timestamp if opts.timestamp is not None else time.time())
    report.output = str(out)
    return report


def _first_clash(result: NoteResult, owner: dict[str, str]) -> Card | None:
    """The first card whose key another card (of this note or an earlier one) already has."""
    seen: set[str] = set()
    for card in result.cards:
        if card.key in owner or card.key in seen:
            return card
        seen.add(card.key)
    return None


def _file_stem(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip(".-") or "cardgen"
