"""Integration tests: cardgen's .apkg imported by the REAL Anki backend (the ``anki`` package).

Anki is the oracle here: what ends up in a fresh collection (notes, guids, note types, decks,
rendered cards, scheduling, revlog) is checked, not what cardgen believes it wrote.

Every build passes an explicit ``timestamp``: Anki updates a note only when the package's ``mod``
is strictly newer than the note's, so two builds in the same second would be silently skipped.
"""

from __future__ import annotations

import html
import os
import re
import textwrap
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml
from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

from cardgen.apkg.models import BASIC_FIELDS, CLOZE_FIELDS
from cardgen.pipeline import BuildOptions, BuildReport, build_deck

SAMPLE_VAULT = Path(__file__).parent.parent / "notes"

# One hour in the past: never in the future (Anki would keep a future mod and block later updates).
T0 = float(int(time.time()) - 3600)

MOMENT_LINK = re.compile(r'href="https://www\.youtube\.com/watch\?v=([\w-]{11})&amp;t=(\d+)s"')
FORBIDDEN_IN_FIELDS = ("<script", "[[", "]]", "](#t=", "[!", "yt-timestamp")
RAW_STAMP = re.compile(r"\[\d{1,2}:\d{2}(?::\d{2})?\]")  # a stamp that was not turned into a link
CLOZE_DELETION = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.S)
TAG = re.compile(r"<[^>]*>")
# other videos a note may cite: [[sources/<id>]] links and YouTube URLs
CITED_VIDEO = re.compile(r"(?:\[\[(?:[^\]|]*/)?sources/|youtube\.com/watch\?(?:[^\s)\]]*&)?v=|youtu\.be/)([\w-]{11})")


# ----------------------------------------------------------------------------- helpers ----

def stamp(hms: str) -> str:
    """The stamp a transcript tool writes: ``<a class="yt-timestamp" data-t="..">[..]</a>``."""
    return f'<a class="yt-timestamp" data-t="{hms}">[{hms}]</a>'


def md_stamp(hms: str) -> str:
    """The other stamp style found in notes: ``[00:47:47](#t=00:47:47)``."""
    return f"[{hms}](#t={hms})"


def write_vault(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def build(notes_dir: Path, out_dir: Path, timestamp: float) -> BuildReport:
    report = build_deck(BuildOptions(notes_dir=notes_dir, out_dir=out_dir, timestamp=timestamp))
    assert report.output is not None and Path(report.output).is_file(), f"no package written: {report}"
    assert not report.failed, f"notes failed to build: {report.failed} {[str(d) for d in report.errors]}"
    return report


def total_cards(report: BuildReport) -> int:
    return sum(report.cards.values())


def import_apkg(col, apkg: str | Path):
    """Import with Anki's default options (update notes IF_NEWER, no merge); returns the log."""
    resp = col.import_anki_package(ImportAnkiPackageRequest(
        package_path=str(Path(apkg).resolve()), options=ImportAnkiPackageOptions()))
    return resp.log


def log_counts(log) -> dict[str, int]:
    kinds = ("new", "updated", "duplicate", "conflicting", "first_field_match", "missing_notetype",
             "missing_deck", "empty_first_field")
    return {k: len(getattr(log, k)) for k in kinds}


def log_nids(entries) -> set[int]:
    return {e.id.nid for e in entries}


@dataclass(frozen=True)
class NoteRow:
    nid: int
    guid: str
    notetype: str
    fields: dict[str, str]
    tags: tuple[str, ...]
    decks: tuple[str, ...]


def notes_by_id(col) -> dict[int, NoteRow]:
    out = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        decks = tuple(sorted({col.decks.name(c.did) for c in note.cards()}))
        out[nid] = NoteRow(nid, note.guid, note.note_type()["name"], dict(note.items()), tuple(note.tags), decks)
    return out


def duplicate_guids(col) -> int:
    return col.db.scalar("select count() - count(distinct guid) from notes")


def source_path(row: NoteRow) -> str:
    """The vault-relative note path from the Source field (``path:line``)."""
    return html.unescape(re.sub(r"<[^>]+>", "", row.fields["Source"])).rsplit(":", 1)[0]


def plain(fragment: str) -> str:
    return " ".join(html.unescape(TAG.sub(" ", fragment)).split())


def card_state(col, nid: int) -> list[tuple]:
    return [(c.id, c.did, c.type, c.queue, c.due, c.ivl, c.reps, c.lapses, c.factor)
            for c in sorted(col.get_note(nid).cards(), key=lambda c: c.ord)]


def revlog_count(col) -> int:
    return col.db.scalar("select count() from revlog")


def video_of(note_file: Path) -> str | None:
    """The note's YouTube id read straight from its frontmatter (independent of cardgen)."""
    text = note_file.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return None
    meta = yaml.safe_load(text.split("---", 2)[1]) or {}
    for key in ("videoId", "video_id", "videoid", "youtube_id"):
        if meta.get(key):
            return str(meta[key]).strip()
    for value in meta.values():
        m = re.search(r"(?:youtube\.com/watch\?(?:.*&)?v=|youtu\.be/)([\w-]{11})", str(value))
        if m:
            return m.group(1)
    return None


# ------------------------------------------------------------------------ small vault ----

PHOTOSYNTHESIS = f"""
---
title: How photosynthesis works
videoId: PhT0synTh3s
---

From: [[biology_explained]] <br/> 

Plants turn light into chemical energy inside their chloroplasts {stamp("00:00:15")}.

## Light Reactions

The light reactions split water molecules and release **oxygen** as a by-product {stamp("00:02:03")}.

> [!info] Chlorophyll
> Chlorophyll is the green pigment that absorbs red and blue light in the thylakoid membranes.

## Calvin Cycle

The enzyme **RuBisCO** fixes carbon dioxide into sugar during the Calvin cycle {md_stamp("00:47:47")}.

> [!info] Stroma
> The stroma is the fluid that fills the chloroplast around the thylakoids.
"""

PLATES = f"""
---
title: Plate tectonics in ten minutes
videoId: PlAt3T3ct0n
---

From: [[earth_lab]] <br/> 

## Moving Plates

The lithosphere is broken into about **fifteen major plates** that drift a few centimetres per year {stamp("00:01:10")}.

> [!info] Subduction
> Subduction is the process in which one tectonic plate sinks beneath another into the mantle.

## Evidence

Matching fossils of **Mesosaurus** on both sides of the Atlantic supported continental drift {md_stamp("00:04:30")}.
"""

OLD_DEFINITION = "The stroma is the fluid that fills the chloroplast around the thylakoids."
NEW_DEFINITION = "The stroma is the dense liquid inside the chloroplast where the Calvin cycle runs."


@pytest.fixture
def small_vault(tmp_path: Path) -> Path:
    return write_vault(tmp_path / "biology", {
        "photosynthesis.md": PHOTOSYNTHESIS,
        "geology/plate-tectonics.md": PLATES,
    })


def study(col, deck: str, answers: list[int]) -> list[int]:
    """Answer the next cards of ``deck`` through the real v3 scheduler; returns the card ids."""
    col.decks.select(col.decks.id_for_name(deck))
    studied = []
    for ease in answers:
        card = col.sched.getCard()
        assert card is not None, f"no card left to study in {deck!r} after {len(studied)}"
        col.sched.answerCard(card, ease)
        studied.append(card.id)
    return studied


# -------------------------------------------------------------------------------- tests ----

def test_sample_vault_imports(tmp_path: Path, col) -> None:
    assert SAMPLE_VAULT.is_dir(), f"sample vault missing at {SAMPLE_VAULT}"
    report = build(SAMPLE_VAULT, tmp_path / "out", T0)
    expected = total_cards(report)
    assert expected > 0, f"the sample vault gave no cards: {report.cards}"

    log = import_apkg(col, report.output)
    counts = log_counts(log)
    assert counts["new"] == expected, f"import log {counts}, expected {expected} new notes"
    assert col.note_count() == expected, f"{col.note_count()} notes in the collection, {expected} cards built"
    assert duplicate_guids(col) == 0, "the package put the same guid on two notes"

    # Note types: names and frozen field order.
    used = {}
    for nt in col.models.all_names_and_ids():
        model = col.models.get(nt.id)
        if col.models.use_count(model):
            used[nt.name] = [f["name"] for f in model["flds"]]
    assert used == {"cardgen basic": list(BASIC_FIELDS), "cardgen cloze": list(CLOZE_FIELDS)}, used

    rows = notes_by_id(col)
    assert len(rows) == expected

    # Every source note: read its video straight from its frontmatter.
    notes_on_disk = {p.relative_to(SAMPLE_VAULT).as_posix(): p for p in SAMPLE_VAULT.rglob("*.md")}
    videos = {rel: video_of(p) for rel, p in notes_on_disk.items()}
    cited = {rel: set(CITED_VIDEO.findall(p.read_text(encoding="utf-8"))) for rel, p in notes_on_disk.items()}
    assert any(videos.values()) and not all(videos.values()), \
        f"the sample vault should have notes with and without a video: {videos}"

    problems: list[str] = []
    seen_sources = set()
    for row in rows.values():
        src = source_path(row)
        seen_sources.add(src)
        where = f"{row.notetype} note {row.guid} from {row.fields['Source']}"
        if src not in videos:
            problems.append(f"{where}: Source does not name a note of the vault")
            continue
        # Moment links for notes with a video.
        video = videos[src]
        links = MOMENT_LINK.findall(row.fields["Moment"])
        if video:
            if not links:
                problems.append(f"{where}: no video link in Moment {row.fields['Moment']!r}")
            # Each link goes to the note's video or to a video the note really cites.
            foreign = {v for v, _ in links} - {video} - cited[src]
            if foreign:
                problems.append(f"{where}: Moment links {links} point at videos the note never names: {foreign}")
        # Nothing of the Markdown/Obsidian source syntax may leak into a field.
        for name, value in row.fields.items():
            for bad in FORBIDDEN_IN_FIELDS:
                if bad in value:
                    problems.append(f"{where}: field {name} contains {bad!r}: {value[:160]!r}")
            if RAW_STAMP.search(value):
                problems.append(f"{where}: field {name} keeps a raw stamp {RAW_STAMP.search(value).group(0)!r}")
        # Decks follow folders: <vault>::<folder>::<subfolder>.
        folders = PurePosixPath(src).parts[:-1]
        want_deck = "::".join((SAMPLE_VAULT.name, *folders))
        if row.decks != (want_deck,):
            problems.append(f"{where}: in decks {row.decks}, expected {want_deck!r}")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:30])
    assert seen_sources == set(notes_on_disk), f"notes without any card: {set(notes_on_disk) - seen_sources}"

    deck_names = {d.name for d in col.decks.all_names_and_ids()}
    assert any(n.endswith("::science::physics") for n in deck_names), deck_names
    assert f"{SAMPLE_VAULT.name}::programming::python" in deck_names, deck_names

    # Cloze cards as Anki renders them.
    cloze_rows = [r for r in rows.values() if r.notetype == "cardgen cloze"]
    assert len(cloze_rows) == report.cards.get("claims"), \
        f"{len(cloze_rows)} cloze notes imported, report says {report.cards.get('claims')} claims"
    for row in cloze_rows:
        deletions = CLOZE_DELETION.findall(row.fields["Text"])
        assert deletions, f"cloze note {row.fields['Source']} has no {{{{c1::...}}}} in Text: {row.fields['Text']!r}"
        cards = col.get_note(row.nid).cards()
        assert len(cards) == 1, f"{row.fields['Source']}: a cloze note should give one card, got {len(cards)}"
        card = cards[0]
        question, answer = card.question(), card.answer()
        assert "[...]" in question, f"{row.fields['Source']}: no cloze gap in question: {question[-400:]!r}"
        for _, hidden in deletions:
            hidden_plain = plain(hidden)
            assert hidden_plain, f"{row.fields['Source']}: empty cloze deletion"
            shown = [plain(s) for s in re.findall(
                r'<span class="cloze" data-ordinal="\d+">(.*?)</span>', answer, re.S)]
            assert hidden_plain in shown, \
                f"{row.fields['Source']}: answer does not reveal {hidden_plain!r}; cloze spans: {shown}"
            # The gap must really hide the term: the question text (minus the data-cloze attribute
            # Anki keeps for the type-in feature) must not show it.
            body = re.search(r'<div class="cg-question">(.*?)</div>', question, re.S)
            assert body, f"{row.fields['Source']}: no cg-question div in {question[-300:]!r}"
            visible = plain(re.sub(r'\sdata-cloze="[^"]*"', "", body.group(1)))
            leak = re.search(r"(?<!\w)" + re.escape(hidden_plain) + r"(?!\w)", visible, re.I)
            assert not leak, f"{row.fields['Source']}: hidden {hidden_plain!r} still visible in {visible!r}"


def test_edit_answer_updates_in_place_and_keeps_reviews(tmp_path: Path, small_vault: Path, col) -> None:
    out = tmp_path / "out"
    v1 = build(small_vault, out, T0)
    n_cards = total_cards(v1)
    log1 = import_apkg(col, v1.output)
    assert log_counts(log1)["new"] == n_cards and col.note_count() == n_cards, (log_counts(log1), n_cards)

    before = notes_by_id(col)
    stroma = [r for r in before.values() if r.fields.get("Back", "").find(OLD_DEFINITION) >= 0]
    assert len(stroma) == 1, f"expected one note answering with the stroma definition, got {stroma}"
    edited_nid = stroma[0].nid
    assert "Stroma" in stroma[0].fields["Front"], stroma[0].fields["Front"]

    # Study through the real scheduler: Easy (-> review), Good (-> learning), Again (-> relearn/learn).
    studied = study(col, "biology", [4, 3, 1, 4])
    assert len(set(studied)) >= 3, f"studied card ids {studied}"
    # The stroma card must have history too, so its reviews are checked across the update: keep
    # studying in queue order (v3 refuses to answer a card that is not at the top of the queue).
    stroma_cid = col.get_note(edited_nid).cards()[0].id
    for _ in range(n_cards):
        if stroma_cid in studied:
            break
        studied += study(col, "biology", [4])
    assert stroma_cid in studied, "the stroma card never came up in the study queue"
    states_before = {nid: card_state(col, nid) for nid in before}
    reviewed = {cid for nid in before for (cid, *_rest) in states_before[nid]
                if col.get_card(cid).reps > 0}
    assert set(studied) <= reviewed, f"studied {studied} but only {reviewed} have reps"
    assert any(col.get_card(cid).ivl > 0 for cid in studied), "no studied card reached the review queue"
    revlog_before = revlog_count(col)
    assert revlog_before == len(studied), f"revlog has {revlog_before} rows after {len(studied)} answers"

    # Edit only the callout definition (same line count, so every Source line stays the same).
    note_file = small_vault / "photosynthesis.md"
    text = note_file.read_text(encoding="utf-8")
    assert OLD_DEFINITION in text
    note_file.write_text(text.replace(OLD_DEFINITION, NEW_DEFINITION), encoding="utf-8")
    v2 = build(small_vault, out, T0 + 10)
    assert total_cards(v2) == n_cards, f"the edit changed the card count: {v1.cards} -> {v2.cards}"

    log2 = import_apkg(col, v2.output)
    counts = log_counts(log2)
    assert counts["new"] == 0, f"editing an answer created new notes: {counts}"
    assert counts["conflicting"] == 0 and counts["missing_notetype"] == 0, counts
    assert edited_nid in log_nids(log2.updated), f"edited note {edited_nid} not updated: {counts}"
    assert log_nids(log2.updated) | log_nids(log2.duplicate) == set(before), counts
    assert col.note_count() == n_cards, f"{col.note_count()} notes after update, expected {n_cards}"
    assert duplicate_guids(col) == 0

    after = notes_by_id(col)
    assert set(after) == set(before), "note ids changed on update"
    edited = after[edited_nid]
    assert NEW_DEFINITION in edited.fields["Back"], f"Back not updated in place: {edited.fields['Back']!r}"
    assert OLD_DEFINITION not in edited.fields["Back"]
    assert edited.guid == before[edited_nid].guid
    assert {k: v for k, v in edited.fields.items() if k != "Back"} == \
        {k: v for k, v in before[edited_nid].fields.items() if k != "Back"}, "fields other than Back changed"
    for nid, row in before.items():
        if nid != edited_nid:
            assert after[nid] == row, f"note {row.fields['Source']} changed although its text did not"

    assert revlog_count(col) == revlog_before, "import touched the review log"
    for nid, state in states_before.items():
        assert card_state(col, nid) == state, f"scheduling of {before[nid].fields['Source']} changed on import"
    for cid in studied:
        assert col.get_card(cid).reps > 0, f"studied card {cid} lost its reps"

    # Importing the same package again is a no-op.
    log3 = import_apkg(col, v2.output)
    assert log_counts(log3)["duplicate"] == n_cards and log_counts(log3)["updated"] == 0, log_counts(log3)


def test_text_added_above_a_card_leaves_the_learners_edit_of_it(tmp_path: Path, small_vault: Path, col) -> None:
    """Lines added above a card move it in its note, and only its Source field's "note.md:12" would change.
    Before, every card below was updated, and the import replaced what the learner had changed in Anki."""
    out = tmp_path / "out"
    import_apkg(col, build(small_vault, out, T0).output)
    photo = small_vault / "photosynthesis.md"
    [mine] = [r for r in notes_by_id(col).values() if source_path(r) == "photosynthesis.md"
              and r.notetype == "cardgen cloze"][:1]
    note = col.get_note(mine.nid)
    note["Back Extra"] = "My own mnemonic: RuBisCO is the slow enzyme."
    col.update_note(note)
    text = photo.read_text(encoding="utf-8")
    body = text.index("\n---", 3) + 5
    photo.write_text(text[:body] + "\n%% reviewed again on Monday, with the lecture slides %%\n\n" + text[body:],
                     encoding="utf-8")
    report = build(small_vault, out, T0 + 10)
    assert report.changes["updated"] == 0 and report.changes["new"] == 0, report.changes
    counts = log_counts(import_apkg(col, report.output))
    assert counts["updated"] == 0 and counts["new"] == 0, counts
    assert col.get_note(mine.nid)["Back Extra"] == "My own mnemonic: RuBisCO is the slow enzyme."


def test_identity_survives_edits_in_anki(tmp_path: Path, small_vault: Path, col) -> None:
    out = tmp_path / "out"
    v1 = build(small_vault, out, T0)
    n_cards = total_cards(v1)
    assert v1.cards.get("claims", 0) >= 3, f"fixture should give several cloze cards: {v1.cards}"
    import_apkg(col, v1.output)
    before = notes_by_id(col)
    guids_before = {r.guid for r in before.values()}
    assert len(guids_before) == n_cards

    # 1. Reword a claim, keeping its stamp.
    photo = small_vault / "photosynthesis.md"
    text = photo.read_text(encoding="utf-8")
    old_claim = "The enzyme **RuBisCO** fixes carbon dioxide into sugar during the Calvin cycle"
    new_claim = "During the Calvin cycle the enzyme **RuBisCO** captures carbon dioxide and builds it into sugar"
    assert old_claim in text
    text = text.replace(old_claim, new_claim)
    # 2. Swap the two sections.
    light_at, calvin_at = text.index("## Light Reactions"), text.index("## Calvin Cycle")
    intro, light, calvin = text[:light_at], text[light_at:calvin_at], text[calvin_at:]
    text = intro + calvin.rstrip("\n") + "\n\n" + light
    assert text.index("## Calvin Cycle") < text.index("## Light Reactions")
    photo.write_text(text, encoding="utf-8")
    # 3. Move a note into a (deeper) subfolder.
    plates = small_vault / "geology" / "plate-tectonics.md"
    moved = small_vault / "earth" / "geology" / "plate-tectonics.md"
    moved.parent.mkdir(parents=True)
    plates.rename(moved)

    v2 = build(small_vault, out, T0 + 10)
    assert total_cards(v2) == n_cards, f"card count changed: {v1.cards} -> {v2.cards}"
    log = import_apkg(col, v2.output)
    counts = log_counts(log)
    assert counts["new"] == 0, f"edits created new notes instead of updating: {counts}"
    assert counts["conflicting"] == 0, counts
    # moved or reordered cards whose content did not change import as no-ops ("duplicate")
    assert counts["updated"] >= 1 and counts["updated"] + counts["duplicate"] == n_cards, counts
    assert col.note_count() == n_cards, f"{col.note_count()} notes, expected {n_cards}"
    assert duplicate_guids(col) == 0

    after = notes_by_id(col)
    assert set(after) == set(before), "note ids changed"
    assert {r.guid for r in after.values()} == guids_before, "the set of guids changed"

    reworded = [r for r in after.values() if r.notetype == "cardgen cloze"
                and "captures carbon dioxide and builds it into sugar" in r.fields["Text"]]
    assert len(reworded) == 1, "the reworded claim is not visible in exactly one cloze note"
    assert not any("fixes carbon dioxide" in v for r in after.values() for v in r.fields.values()), \
        "the old wording of the claim is still in the collection"
    old = [r for r in before.values() if "fixes carbon dioxide" in r.fields.get("Text", "")]
    assert len(old) == 1 and old[0].nid == reworded[0].nid, "the reworded claim did not update its own note"
    cards = col.get_note(reworded[0].nid).cards()
    assert len(cards) == 1, f"the reworded cloze note has {len(cards)} cards"
    card = cards[0]
    assert "captures carbon dioxide" in card.answer() and "[...]" in card.question()
    assert "t=2867s" in reworded[0].fields["Moment"], reworded[0].fields["Moment"]  # 00:47:47

    moved_rows = [r for r in after.values() if source_path(r) == "earth/geology/plate-tectonics.md"]
    assert len(moved_rows) == sum(1 for r in before.values() if source_path(r) == "geology/plate-tectonics.md") > 0, \
        "the moved note's cards did not follow it"


def _same_headings(title: str, video: str, topic: str) -> str:
    return f"""
    ---
    title: {title}
    videoId: {video}
    ---

    From: [[lecture_hall]] <br/> 

    ## Introduction

    This lecture introduces {topic} and explains why historians still argue about it {stamp("00:00:30")}.

    > [!summary] Summary
    > The lecture surveys {topic} from its causes to its consequences.

    ## Summary

    The speaker concludes that {topic} reshaped the economy of the whole region {md_stamp("00:05:00")}.
    """


def test_same_headings_in_two_notes_do_not_collide(tmp_path: Path, col) -> None:
    notes = {
        "the-silk-road.md": ("The Silk Road", "S1lkR0adVid", "the Silk Road"),
        "the-black-death.md": ("The Black Death", "BlackD3athV", "the Black Death"),
        # same file name in two folders: told apart by folder
        "course-a/overview.md": ("The Hanseatic League", "HanseLeagu3", "the Hanseatic League"),
        "course-b/overview.md": ("The Venetian Republic", "V3niceRepub", "the Venetian Republic"),
    }
    vault = write_vault(tmp_path / "history", {rel: _same_headings(*args) for rel, args in notes.items()})
    report = build(vault, tmp_path / "out", T0)
    n_cards = total_cards(report)
    assert report.notes == len(notes), f"built {report.notes} of {len(notes)} notes: {report.failed}"
    assert n_cards >= 3 * len(notes), f"too few cards to test collisions: {report.cards}"

    log = import_apkg(col, report.output)
    counts = log_counts(log)
    assert counts["new"] == n_cards and sum(counts.values()) == n_cards, \
        f"expected {n_cards} new notes and nothing else: {counts}"
    assert col.note_count() == n_cards, f"{col.note_count()} notes for {n_cards} cards"
    assert duplicate_guids(col) == 0, "two notes share a guid"

    rows = list(notes_by_id(col).values())
    by_source: dict[str, list[NoteRow]] = {}
    for row in rows:
        by_source.setdefault(source_path(row), []).append(row)
    assert set(by_source) == set(notes), f"notes in the collection come from {sorted(by_source)}"
    for rel, (title, video, _topic) in notes.items():
        own = by_source[rel]
        for row in own:  # the content is this note's own, not another's that overwrote it
            assert plain(row.fields["Context"]).startswith(title), (rel, row.fields["Context"])
            assert f"v={video}" in row.fields["Moment"], (rel, row.fields["Moment"])
            others = [t for r2, (t, _, _) in notes.items() if r2 != rel]
            text = " ".join(row.fields.values())
            assert not any(t in text for t in others), f"{rel}: a field mentions another note's title: {row.fields}"
        headings = sorted(plain(r.fields["Front"]) for r in own if r.fields.get("Front", "").startswith("In “"))
        assert any("Introduction" in h for h in headings) and any("Summary" in h for h in headings), \
            f"{rel}: heading cards {headings}"

    # A rebuild of the same vault changes nothing: every note imports as a no-op.
    report2 = build(vault, tmp_path / "out", T0 + 10)
    counts2 = log_counts(import_apkg(col, report2.output))
    assert counts2["new"] == 0 and counts2["duplicate"] == n_cards, counts2
    assert col.note_count() == n_cards


def test_source_field_points_at_the_card_line(tmp_path: Path, col) -> None:
    """Extra: the Source field (``path:line``) in the collection points at the card's own line."""
    vault = write_vault(tmp_path / "history", {
        "the-silk-road.md": _same_headings("The Silk Road", "S1lkR0adVid", "the Silk Road"),
        "photosynthesis.md": PHOTOSYNTHESIS,
    })
    report = build(vault, tmp_path / "out", T0)
    import_apkg(col, report.output)
    rows = notes_by_id(col).values()
    assert len(rows) == total_cards(report)
    wrong = []
    for row in rows:
        src, line_no = html.unescape(re.sub(r"<[^>]+>", "", row.fields["Source"])).rsplit(":", 1)
        line = (vault / src).read_text(encoding="utf-8").splitlines()[int(line_no) - 1]
        crumb = plain(row.fields["Context"]).split(" › ")[-1]
        if row.notetype == "cardgen cloze":
            words = " ".join(plain(CLOZE_DELETION.sub(r"\2", row.fields["Text"])).split()[:3])
            ok = words in plain(re.sub(r"\*\*|__", "", line))  # the line without Markdown bold
        elif row.fields["Front"].startswith("In “"):  # a heading card
            ok = line.startswith("#") and crumb in line
        else:  # a callout card
            ok = "[!" in line
        if not ok:
            wrong.append(f"{row.fields['Source']} -> {line!r} for {plain(row.fields.get('Front') or row.fields['Text'])!r}")
    assert not wrong, "Source points at the wrong line:\n" + "\n".join(wrong)


def test_renaming_the_notes_folder_keeps_every_card_and_review(tmp_path: Path, small_vault: Path, col) -> None:
    """The top deck is the folder's name, and it namespaces GUIDs: before, renaming the folder (or
    --deck) gave every card a new GUID, and Anki imported the whole deck again beside the studied one."""
    out = tmp_path / "out"
    v1 = build(small_vault, out, T0)
    import_apkg(col, v1.output)
    studied = study(col, "biology", [3, 3, 4])
    reviews, nids = revlog_count(col), set(col.find_notes(""))

    renamed = small_vault.rename(small_vault.with_name("life-science"))
    v2 = build(renamed, out, T0 + 100)
    assert any("it was 'biology'" in d.message for d in v2.warnings)
    log = import_apkg(col, v2.output)
    assert log_counts(log)["new"] == 0 and log_counts(log)["updated"] == len(nids)
    assert set(col.find_notes("")) == nids and duplicate_guids(col) == 0
    assert revlog_count(col) == reviews and all(col.get_card(cid).reps > 0 for cid in studied)
    assert (out / "biology.apkg").is_file()  # the old deck file is left as it was

    # another vault whose notes share the file names but not their text is a deck of its own
    other = write_vault(tmp_path / "chemistry", {"photosynthesis.md": PHOTOSYNTHESIS.replace("stroma", "matrix"),
                                                 "geology/plate-tectonics.md": PLATES.replace("plates", "slabs")})
    v3 = build(other, out, T0 + 200)
    assert not any("it was" in d.message or "built before" in d.message for d in v3.warnings)
    assert (out / ".cardgen" / "life-science.state.db").is_file()


def test_a_lost_build_state_brings_no_duplicate_back(tmp_path: Path, small_vault: Path, col) -> None:
    """A card re-attached once (here: its note renamed) has a GUID its key no longer gives. Before,
    losing the state (a CI cache miss) made Anki import those cards again beside the studied ones."""
    out = tmp_path / "out"
    import_apkg(col, build(small_vault, out, T0).output)
    (small_vault / "photosynthesis.md").rename(small_vault / "light-reactions.md")
    v2 = build(small_vault, out, T0 + 100)
    assert v2.reattached
    import_apkg(col, v2.output)
    studied = study(col, "biology", [3, 4, 3])
    reviews, nids = revlog_count(col), set(col.find_notes(""))

    import shutil
    shutil.rmtree(out / ".cardgen")
    v3 = build(small_vault, out, T0 + 200)
    assert any("taken back from the deck itself" in d.message for d in v3.warnings)
    assert v3.changes["new"] == 0 and v3.changes["retired"] == 0
    log = import_apkg(col, v3.output)
    assert log_counts(log)["new"] == 0
    assert set(col.find_notes("")) == nids and duplicate_guids(col) == 0
    assert revlog_count(col) == reviews and all(col.get_card(cid).reps > 0 for cid in studied)


def test_a_note_deleted_then_restored_under_another_name_comes_back_with_its_reviews(
        tmp_path: Path, small_vault: Path, col) -> None:
    """A build between the delete and the restore (a timer, --watch) retires the note's cards. Before,
    the restored note's cards came back as new ones and the studied ones stayed retired; likewise a
    claim cut, built, and pasted back with its stamp a second off."""
    out = tmp_path / "out"
    import_apkg(col, build(small_vault, out, T0).output)
    studied = study(col, "biology", [3] * col.card_count())
    reviews, nids = revlog_count(col), set(col.find_notes(""))

    note = small_vault / "photosynthesis.md"
    text = note.read_text()
    note.unlink()
    gone = build(small_vault, out, T0 + 100)
    assert gone.changes["retired"] > 0
    import_apkg(col, gone.output)

    (small_vault / "light-and-life.md").write_text(text.replace("00:02:03", "00:02:04"))  # and one stamp nudged
    back = build(small_vault, out, T0 + 200)
    assert back.changes["new"] == 0 and back.changes["still_retired"] == 0
    assert len(back.reattached) == gone.changes["retired"]
    assert all(r["why"].endswith("back from retirement") for r in back.reattached)
    log = import_apkg(col, back.output)
    assert log_counts(log)["new"] == 0
    assert set(col.find_notes("")) == nids and duplicate_guids(col) == 0
    assert not col.find_notes("tag:cardgen::retired")
    assert revlog_count(col) == reviews and all(col.get_card(cid).reps > 0 for cid in studied)


CLOSE_CLAIMS = ("Lanthanum glows green under ultraviolet light in the lab demonstration",
                "Praseodymium forms yellow salts that dissolve readily in warm water",
                "Neodymium makes the strongest permanent magnets sold today for motors")


def _close_claims(stamps: dict[int, int]) -> str:
    """A note of CLOSE_CLAIMS (by index) stamped two seconds apart, as regenerated notes often are."""
    body = " ".join(f"{CLOSE_CLAIMS[i]} [00:{t:02d}]." for i, t in stamps.items())
    return f"---\ntitle: Rare earths\nvideoId: RaReEaRtH01\n---\n\n## Elements\n\n{body}\n"


@pytest.mark.parametrize(("after", "retired"), [
    pytest.param({0: 52, 1: 54, 2: 56}, 0, id="every-stamp-2s-later"),
    pytest.param({0: 48, 1: 50, 2: 52}, 0, id="every-stamp-2s-earlier"),
    pytest.param({0: 52, 2: 54}, 1, id="second-deleted-first-moved-onto-its-moment"),
    pytest.param({0: 52, 1: 50, 2: 54}, 0, id="two-stamps-swapped"),
])
def test_claims_whose_stamps_move_onto_each_others_moments_keep_their_own_cards(
        tmp_path: Path, col, after: dict[int, int], retired: int) -> None:
    """A claim's key is its moment. Before, a stamp moved onto another claim's earlier moment gave that
    claim's Anki note, reviews and all, to the moved claim's text, and retired the moved claim's own."""
    vault = write_vault(tmp_path / "chem", {"rare.md": _close_claims({0: 50, 1: 52, 2: 54})})
    out = tmp_path / "out"
    import_apkg(col, build(vault, out, T0).output)
    study(col, "chem", [3] * col.card_count())
    text_of_card = {cid: plain(col.get_note(col.get_card(cid).nid).fields[0]) for cid in col.find_cards("")}

    write_vault(vault, {"rare.md": _close_claims(after)})
    report = build(vault, out, T0 + 100)
    assert report.changes["new"] == 0 and report.changes["retired"] == retired
    log = import_apkg(col, report.output)
    assert log_counts(log)["new"] == 0 and duplicate_guids(col) == 0
    for cid, before in text_of_card.items():
        note = col.get_note(col.get_card(cid).nid)
        assert plain(note.fields[0]) == before, "a studied card now shows another claim's text"
        assert col.get_card(cid).reps == 1
        assert ("cardgen::retired" in note.tags) == (retired and CLOSE_CLAIMS[1].split()[0] in before)


RANKED = """
---
title: Kitchen chemistry
videoId: dQw4w9WgXcQ
---

## Browning

> [!summary] Key takeaways
> Browning needs dry heat above 140 degrees, so pat the meat dry first.

Sugars and amino acids react at the surface of the meat when it browns [00:01:05].
Baking soda raises the pH and speeds the browning up a great deal [00:01:05].

## Emulsions

> [!summary] Key takeaways
> Add oil slowly while whisking, so that the droplets stay small and apart.
"""


def test_cards_told_apart_by_order_keep_their_reviews_when_reordered(tmp_path: Path, col) -> None:
    """Two callouts with one title, two claims at one moment: their keys differ by rank (a, a~2). Before,
    swapping the sections or putting a third claim first moved each review history onto the other's text."""
    vault = write_vault(tmp_path / "kitchen", {"chem.md": RANKED})
    out = tmp_path / "out"
    import_apkg(col, build(vault, out, T0).output)
    for _ in range(col.note_count()):
        study(col, "kitchen", [3])
    text_of_card = {c.id: plain(col.get_note(c.nid).fields[0]) for c in
                    (col.get_card(cid) for cid in col.find_cards(""))}

    text = RANKED.split("## Browning")
    browning, emulsions = ("## Browning" + text[1]).split("## Emulsions")
    third = "Louis Maillard described the reaction in 1912 at a lab in Nancy [00:01:05].\n"
    swapped = text[0] + "## Emulsions" + emulsions + "\n" + browning.replace("\n\nSugars", "\n\n" + third + "Sugars")
    write_vault(vault, {"chem.md": swapped})
    log = import_apkg(col, build(vault, out, T0 + 100).output)
    assert log_counts(log)["new"] == 1 and duplicate_guids(col) == 0  # only the new claim is new
    for cid, before in text_of_card.items():
        after = plain(col.get_note(col.get_card(cid).nid).fields[0])
        assert after == before, (before, after)  # each studied card kept its own question
        assert col.get_card(cid).reps == 1


def test_a_reworded_card_of_a_rank_keeps_its_reviews_when_the_first_of_its_title_goes(tmp_path: Path, col) -> None:
    """Two "Key takeaways" under two headings: the first deleted, the second reworded past telling by its
    words. Before, the second took the first's key (the group's first left), so its Anki note showed the
    second's new text with the first's reviews, and the second's own note retired."""
    vault = write_vault(tmp_path / "kitchen", {"chem.md": RANKED})
    out = tmp_path / "out"
    import_apkg(col, build(vault, out, T0).output)
    for _ in range(col.note_count()):
        study(col, "kitchen", [3])
    [first, second] = [col.find_notes(f'"Back:*{words}*"')[0] for words in ("dry heat", "droplets")]
    edited = RANKED.replace("> [!summary] Key takeaways\n> Browning needs dry heat above 140 degrees, so pat the "
                            "meat dry first.\n", "").replace(
        "Add oil slowly while whisking, so that the droplets stay small and apart.",
        "An emulsion holds when the oil goes in a thin stream and the whisk keeps every droplet tiny.")
    write_vault(vault, {"chem.md": edited})
    log = import_apkg(col, build(vault, out, T0 + 100).output)
    assert log_counts(log)["new"] == 0 and duplicate_guids(col) == 0
    assert "thin stream" in col.get_note(second)["Back"] and "cardgen::retired" not in col.get_note(second).tags
    assert "dry heat" in col.get_note(first)["Back"] and "cardgen::retired" in col.get_note(first).tags


REGEN = """
---
title: Hilbert's hotel
videoId: OxGsU8oIWjY
---

## A new guest

Every guest moves from their room to the next room up, at the manager's request [00:00:50].
This frees up room one for the new arrival, however full the hotel was [00:00:58].

## A bus of guests

Every guest moves to the room whose number is twice their own, all at once [00:01:40].
The odd-numbered rooms are then all empty, and there are infinitely many of them [00:01:52].
"""


@pytest.mark.parametrize("shift", [1, -30])
def test_a_regenerated_note_keeps_the_reviews_of_its_reworded_claims(tmp_path: Path, col, shift: int) -> None:
    """A note made again from its video: every stamp moved (by a second, or 30 s: an intro cut), and a
    claim reworded past telling by its words. Before, that claim was a new card and the reviewed one retired."""
    vault = write_vault(tmp_path / "hotel", {"hotel.md": REGEN})
    out = tmp_path / "out"
    import_apkg(col, build(vault, out, T0).output)
    for _ in range(col.note_count()):
        study(col, "hotel", [3])
    [room_one] = col.find_notes('"Text:*room one*"')

    def moved(m: re.Match[str]) -> str:
        at = int(m.group(1)) * 60 + int(m.group(2)) + shift
        return f"[00:{at // 60:02d}:{at % 60:02d}]"
    again = re.sub(r"\[00:(\d\d):(\d\d)\]", moved, REGEN).replace(
        "This frees up room one for the new arrival, however full the hotel was",
        "Room one is then empty and ready for whoever arrives next")
    write_vault(vault, {"hotel.md": again})
    log = import_apkg(col, build(vault, out, T0 + 100).output)
    assert log_counts(log)["new"] == 0 and duplicate_guids(col) == 0
    note = col.get_note(room_one)
    assert "then empty and ready" in note["Text"] and "cardgen::retired" not in note.tags
    assert col.get_note(room_one).cards()[0].reps == 1


def test_a_rebuild_copies_the_unchanged_frames_and_anki_reads_the_deck_whole(
        tmp_path: Path, small_vault: Path, col, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild compresses again only the stretches of the collection that changed and copies the
    others from the last deck; the deck is then several zstd frames, which Anki reads as one stream,
    and its bytes are those of a deck packed from nothing."""
    from cardgen.apkg import package

    monkeypatch.setattr(package, "FRAME_BYTES", 4096)  # the small vault's collection in many frames
    compressed: list[bytes] = []
    compress = package._compress
    monkeypatch.setattr(package, "_compress", lambda chunk: compressed.append(chunk) or compress(chunk))
    out = tmp_path / "out"
    v1 = build(small_vault, out, T0)
    frames = len(compressed) - 1  # and the empty media list
    assert frames > 10
    import_apkg(col, v1.output)
    before = notes_by_id(col)

    note_file = small_vault / "photosynthesis.md"
    note_file.write_text(note_file.read_text(encoding="utf-8").replace(OLD_DEFINITION, NEW_DEFINITION),
                         encoding="utf-8")
    compressed.clear()
    v2 = build(small_vault, out, T0 + 10)
    assert 0 < len(compressed) - 1 < frames / 2, f"{len(compressed) - 1} of {frames} frames compressed again"
    deck = Path(v2.output).read_bytes()
    fresh = tmp_path / "fresh.apkg"
    package.write_apkg(out / ".cardgen" / "biology.anki2", fresh)
    assert fresh.read_bytes() == deck

    counts = log_counts(import_apkg(col, v2.output))
    assert counts["new"] == 0 and counts["updated"] == 1, counts
    after = notes_by_id(col)
    assert set(after) == set(before)
    assert [r.nid for r in after.values() if NEW_DEFINITION in r.fields.get("Back", "")] == \
        [r.nid for r in before.values() if OLD_DEFINITION in r.fields.get("Back", "")]

    def rebuild(word: str, when: float) -> BuildReport:
        note_file.write_text(re.sub(r"The stroma is the \w+", f"The stroma is the {word}",
                                    note_file.read_text(encoding="utf-8")), encoding="utf-8")
        compressed.clear()
        return build(small_vault, out, when)

    # a frame of the old deck damaged in place, its size and time kept: it is not copied
    deck_path = Path(v2.output)
    stat = deck_path.stat()
    with zipfile.ZipFile(deck_path) as z:
        start = z.getinfo("collection.anki21b").header_offset + 30 + len("collection.anki21b") + 20  # zip64 extra
    damaged = bytearray(deck)
    damaged[start + 6000] ^= 0xFF  # inside the second frame
    deck_path.write_bytes(bytes(damaged))
    os.utime(deck_path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    v3 = rebuild("thick", T0 + 20)
    package.write_apkg(out / ".cardgen" / "biology.anki2", fresh)
    assert Path(v3.output).read_bytes() == fresh.read_bytes()
    assert log_counts(import_apkg(col, v3.output))["updated"] == 1

    # frames another packer made (a zstd upgrade) are not copied either: the bytes would differ
    monkeypatch.setattr(package, "_packer", lambda: "zstd 9.9.9 level 1, frames of 4096")
    rebuild("clear", T0 + 30)
    assert len(compressed) - 1 >= frames

    # nor are those of a deck that is not the one the last build wrote
    Path(v3.output).write_bytes(b"PK\x03\x04 not the deck")
    v5 = rebuild("watery", T0 + 40)
    assert len(compressed) - 1 >= frames
    assert log_counts(import_apkg(col, v5.output))["updated"] == 1
