"""Many rounds of random note edits, each rebuilt and imported into ONE real Anki collection.

Acceptance point: "A test (real anki collection) runs at least 10 rounds. Each round edits the
notes at random (answers, wording, reorder, moves, renames, additions, deletions, heading
rewording, small timestamp shifts), rebuilds, imports with Anki's default options, and reviews some
cards. After every round: 0 duplicate notes, 0 lost review-log entries, every edit visible, removed
sources tagged retired, unchanged notes not modified by the import (a tag the learner added in Anki
is still there)."

The vault is kept as an in-memory model (notes -> sections -> sentences with stamps, callouts) that
is rendered to Markdown, so every edit is structured and every card can be traced back to the item
of the model it comes from (a claim by its video moment, a callout by its term, a heading card by
its note title and heading). The model is the oracle for the package, and the package is the
oracle for the collection.

Each round applies 2-4 operations to distinct notes (over the run every kind of operation is
used), so every card of a note that no operation touched must come out unchanged (same fields,
same mod), and every card of an edited note must keep its GUID: no operation here changes a card
in a way that could legitimately lose its identity (a claim is never reworded and shifted in the
same round, and so on). Words are made up and never repeat, so every card is distinct; names and
moments are reused only the way people reuse them: headings such as "Summary" recur across
notes, a new note may take the file name a renamed note gave up, and a new claim may go right
before a claim whose stamp was nudged, at the moment that claim had before.

The clock is fake: build r runs at ``T0 + 100 * r`` (ten days in the past, strictly increasing) and
the learner's actions in Anki happen at ``T + 50``.
"""

from __future__ import annotations

import html
import math
import random
import re
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from conftest import read_apkg as read_package

from cardgen.extract.claims import STOP_WORDS
from cardgen.pipeline import BuildOptions, build_deck

# Any seed gives a valid run. This one uses every kind of edit by round 7 and, in round 10, adds a
# claim at the moment a nudged claim had before it: with cardgen as of this writing, both claims
# then get the same GUID in the package and one of them never reaches Anki.
SEED = 59
ROUNDS = 10
N_NOTES = 6
MIN_NOTES, MAX_NOTES = 4, 8  # delete_note / add_note keep the vault within these bounds
VAULT = "vault"  # the notes folder's name, hence the top deck
T0 = int(time.time()) - 10 * 86400
STEP = 100  # seconds between builds on the fake clock
LEARNER = 50  # the learner acts in Anki this long after a build
RETIRED = "cardgen::retired"
MINE = "mine"
FOLDERS = ("", "science", "science/physics", "history", "misc/deep")
CALLOUT_KINDS = ("info", "note", "tip", "definition")
KINDS = ("edit_definition", "reword_claim", "reorder_sections", "move_note", "rename_note", "add_note",
         "delete_note", "reword_heading", "shift_stamp", "add_sentence", "delete_sentence")
GLUE = ("the", "of", "with", "and", "into", "from")  # stop words: never a cloze term
COMMON_HEADINGS = ("Introduction", "Key Ideas", "Summary", "Open Questions")  # shared by many notes

CLOZE = re.compile(r"\{\{c\d+::(.*?)\}\}", re.S)
TAG = re.compile(r"<[^>]*>")
MOMENT = re.compile(r"watch\?v=([\w-]{11})&amp;t=(\d+)s")
HEADING_FRONT = re.compile(r"^In “(.*)”: what are the key points about <b>(.*)</b>\?$", re.S)
CALLOUT_FRONT = re.compile(r"^(?:What is <b>(.*)</b>\?|Explain the \w+: <b>(.*)</b>)$", re.S)


def plain(fragment: str) -> str:
    """Text of an HTML fragment, words separated by single spaces (no space before punctuation)."""
    return re.sub(r" ([.,;:!?])", r"\1", " ".join(html.unescape(TAG.sub(" ", fragment)).split()))


def hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def stamp_markdown(seconds: int, style: str) -> str:
    t = hms(seconds)
    if style == "a":
        return f'<a class="yt-timestamp" data-t="{t}">[{t}]</a>'
    return f"[{t}](#t={t})"


# --------------------------------------------------------------------------- the model ----

class Words:
    """Pronounceable made-up words, never repeated in the whole run: every sentence is distinct,
    every cloze term occurs once, and every card can be told apart from every other."""

    ONSETS = "b bl br c cl cr d dr f fl fr g gl gr j k l m n p pl pr qu r s sk sl sn sp st t tr v w z".split()
    VOWELS = "a e i o u ai ea io oa ou".split()
    CODAS = ["", "", "n", "r", "l", "s", "m", "x", "nd", "rk", "st"]

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def word(self) -> str:
        while True:
            w = "".join(self.rng.choice(self.ONSETS) + self.rng.choice(self.VOWELS) + self.rng.choice(self.CODAS)
                        for _ in range(self.rng.randint(2, 3)))
            if 5 <= len(w) <= 12 and w not in self.used and w not in STOP_WORDS:
                self.used.add(w)
                return w

    def cap(self) -> str:
        return self.word().capitalize()


@dataclass
class Sentence:
    uid: int
    words: list[str]  # words[0] is capitalised and never replaced
    glue: set[int]  # positions of stop words (never replaced)
    bold: int | None
    seconds: int
    style: str  # "a" (yt-timestamp anchor) or "md" ([hh:mm:ss](#t=hh:mm:ss))
    former: list[int] = field(default_factory=list)  # moments it had before shift_stamp moved it

    def plain(self) -> str:
        return " ".join(self.words) + "."

    def markdown(self) -> str:
        text = " ".join(f"**{w}**" if i == self.bold else w for i, w in enumerate(self.words))
        return f"{text} {stamp_markdown(self.seconds, self.style)}."


@dataclass
class Callout:
    uid: int
    kind: str
    term: str
    words: list[str]
    glue: set[int]

    def plain(self) -> str:
        return " ".join(self.words) + "."


@dataclass
class Section:
    uid: int
    level: int  # 2 or 3
    heading: list[str]
    sentences: list[Sentence]
    callouts: list[Callout] = field(default_factory=list)

    @property
    def title(self) -> str:
        return " ".join(self.heading)


@dataclass
class NoteModel:
    uid: int
    folder: str
    stem: str
    title: str
    video: str
    channel: str
    intro: list[Sentence]
    sections: list[Section]

    @property
    def rel(self) -> str:
        return f"{self.folder}/{self.stem}.md" if self.folder else f"{self.stem}.md"

    @property
    def deck(self) -> str:
        return "::".join([VAULT, *self.folder.split("/")]) if self.folder else VAULT

    def trails(self) -> list[tuple[Section, tuple[str, ...]]]:
        out, parent = [], None
        for s in self.sections:
            if s.level == 2:
                parent = s.title
                out.append((s, (s.title,)))
            else:
                out.append((s, (parent, s.title) if parent else (s.title,)))
        return out

    def sentence_slots(self) -> list[list[Sentence]]:
        return [self.intro] + [s.sentences for s in self.sections]

    def render(self) -> str:
        lines = ["---", f"title: {self.title}", f"videoId: {self.video}", "---", "",
                 f"From: [[{self.channel}]] <br/> ", ""]
        if self.intro:
            lines += [" ".join(s.markdown() for s in self.intro), ""]
        for sec in self.sections:
            lines += ["#" * sec.level + " " + sec.title, "", " ".join(s.markdown() for s in sec.sentences), ""]
            for c in sec.callouts:
                lines += [f"> [!{c.kind}] {c.term}", f"> {c.plain()}", ""]
        return "\n".join(lines)


Item = tuple[str, int]  # ("claim" | "heading" | "callout", uid of the model object)


@dataclass
class Expected:
    """What the package card of one model item must look like."""

    note: NoteModel
    notetype: str
    context: str
    check: str  # claim: the sentence; heading: the start of Back; callout: the whole Back


class VaultModel:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = Words(rng)
        self.notes: dict[int, NoteModel] = {}
        self.seconds_used: set[int] = set()  # every stamp ever written; fresh_seconds avoids them all
        self.stems_used: set[str] = set()
        self.freed_stems: list[str] = []  # file names a rename gave up in an earlier round (never
        self.freed_now: list[str] = []  # those of deleted notes); and in the current round
        self.videos_used: set[str] = set()
        self._uid = 0

    def uid(self) -> int:
        self._uid += 1
        return self._uid

    # -- generators --
    def fresh_seconds(self) -> int:
        while True:
            s = self.rng.randint(5, 3595)
            if s % 60 and all(abs(s - u) > 5 for u in self.seconds_used):
                self.seconds_used.add(s)
                return s

    def fresh_words(self, n_content: int, n_glue: int) -> tuple[list[str], set[int]]:
        """A capitalised run of fresh words with ``n_glue`` stop words between them."""
        content = [self.words.cap()] + [self.words.word() for _ in range(n_content - 1)]
        before = set(self.rng.sample(range(2, n_content), n_glue))
        words: list[str] = []
        glue: set[int] = set()
        for i, w in enumerate(content):
            if i in before:
                glue.add(len(words))
                words.append(self.rng.choice(GLUE))
            words.append(w)
        return words, glue

    def new_sentence(self) -> Sentence:
        words, glue = self.fresh_words(self.rng.randint(7, 10), 2)
        content = [i for i in range(1, len(words)) if i not in glue]
        bold = self.rng.choice(content) if self.rng.random() < 0.5 else None
        return Sentence(self.uid(), words, glue, bold, self.fresh_seconds(), self.rng.choice(("a", "md")))

    def new_callout(self) -> Callout:
        words, glue = self.fresh_words(self.rng.randint(7, 10), 2)
        term = " ".join(self.words.cap() for _ in range(self.rng.randint(1, 2)))
        return Callout(self.uid(), self.rng.choice(CALLOUT_KINDS), term, words, glue)

    def new_section(self, level: int, taken: set[str]) -> Section:
        common = [h for h in COMMON_HEADINGS if h not in taken]
        if level == 2 and common and self.rng.random() < 0.3:
            heading = self.rng.choice(common).split()
        else:
            heading = [self.words.cap() for _ in range(self.rng.randint(2, 3))]
        taken.add(" ".join(heading))
        sentences = [self.new_sentence() for _ in range(self.rng.randint(2, 3))]
        callouts = [self.new_callout()] if self.rng.random() < 0.5 else []
        return Section(self.uid(), level, heading, sentences, callouts)

    def fresh_stem(self) -> str:
        while True:
            stem = "-".join(self.words.word() for _ in range(2))
            if stem not in self.stems_used:
                self.stems_used.add(stem)
                return stem

    def new_note(self, stem: str | None = None) -> NoteModel:
        while True:
            video = self.rng.choice(string.ascii_letters) + "".join(
                self.rng.choice(string.ascii_letters + string.digits) for _ in range(10))
            if video not in self.videos_used:
                self.videos_used.add(video)
                break
        sections: list[Section] = []
        taken: set[str] = set()
        for _ in range(self.rng.randint(2, 3)):
            sections.append(self.new_section(2, taken))
            if self.rng.random() < 0.4:
                sections.append(self.new_section(3, taken))
        if not any(s.callouts for s in sections):
            sections[0].callouts.append(self.new_callout())
        note = NoteModel(self.uid(), self.rng.choice(FOLDERS), stem or self.fresh_stem(),
                         " ".join(self.words.cap() for _ in range(3)), video, self.words.word() + "_lab",
                         [self.new_sentence()], sections)
        self.notes[note.uid] = note
        return note

    # -- what the package must hold --
    def expected(self) -> dict[Item, Expected]:
        out: dict[Item, Expected] = {}
        for note in self.notes.values():
            for s in note.intro:
                out[("claim", s.uid)] = Expected(note, "cardgen cloze", note.title, s.plain())
            for sec, trail in note.trails():
                ctx = " › ".join((note.title, *trail))
                out[("heading", sec.uid)] = Expected(note, "cardgen basic", ctx, sec.sentences[0].plain())
                for s in sec.sentences:
                    out[("claim", s.uid)] = Expected(note, "cardgen cloze", ctx, s.plain())
                for c in sec.callouts:
                    out[("callout", c.uid)] = Expected(note, "cardgen basic", ctx, c.plain())
        return out

    def item_of(self, card: dict) -> Item | None:
        """The model item a package card comes from, found by its moment, term or heading."""
        f = card["fields"]
        if card["notetype"] == "cardgen cloze":
            m = MOMENT.search(f["Moment"])
            if m:
                for note in self.notes.values():
                    if note.video == m.group(1):
                        for slot in note.sentence_slots():
                            for s in slot:
                                if s.seconds == int(m.group(2)):
                                    return ("claim", s.uid)
            return None
        if m := CALLOUT_FRONT.match(f["Front"]):
            term = html.unescape(m.group(1) or m.group(2))
            for note in self.notes.values():
                for sec in note.sections:
                    for c in sec.callouts:
                        if c.term == term:
                            return ("callout", c.uid)
        if m := HEADING_FRONT.match(f["Front"]):
            title, heading = html.unescape(m.group(1)), html.unescape(m.group(2))
            for note in self.notes.values():
                if note.title == title:
                    for sec in note.sections:
                        if sec.title == heading:
                            return ("heading", sec.uid)
        return None

    def items_of_note(self, note: NoteModel) -> set[Item]:
        return {k for k, e in self.expected().items() if e.note is note}

    # -- edit operations --
    def eligible(self, kind: str, note: NoteModel) -> bool:
        if kind == "edit_definition":
            return any(s.callouts for s in note.sections)
        if kind == "reorder_sections":
            return sum(s.level == 2 for s in note.sections) >= 2
        if kind == "delete_sentence":
            return any(len(slot) >= 2 for slot in note.sentence_slots())
        if kind == "shift_stamp":
            return any(self.shifts(s) for slot in note.sentence_slots() for s in slot)
        return True

    def shifts(self, s: Sentence) -> list[int]:
        return [d for d in (-2, -1, 1, 2) if (s.seconds + d) % 60 and s.seconds + d not in self.seconds_used]

    def replace_words(self, words: list[str], glue: set[int], n: int) -> None:
        for i in self.rng.sample([i for i in range(1, len(words)) if i not in glue], n):
            words[i] = self.words.word()

    def apply(self, kind: str, uid: int | None) -> tuple[str, set[Item]]:
        """Apply one edit; returns its description and the items it created."""
        rng = self.rng
        if kind == "add_note":
            # a new note may take the file name a renamed note gave up in an earlier round (it
            # shares no content with the renamed note; in the same build, a new note under the old
            # name would rightly take over the old note's identity, as note keys are file names)
            free = [st for st in self.freed_stems if all(n.stem != st for n in self.notes.values())]
            stem = rng.choice(free) if free and rng.random() < 0.5 else None
            if stem:
                self.freed_stems.remove(stem)
            note = self.new_note(stem)
            return (f"add_note({note.rel}{', the old name of a renamed note' if stem else ''})",
                    self.items_of_note(note))
        assert uid is not None
        note = self.notes[uid]
        rel = note.rel
        if kind == "delete_note":
            del self.notes[uid]
            return f"delete_note({rel})", set()
        if kind == "move_note":
            note.folder = rng.choice([f for f in FOLDERS if f != note.folder])
            return f"move_note({rel} -> {note.rel})", set()
        if kind == "rename_note":
            self.freed_now.append(note.stem)
            note.stem = self.fresh_stem()
            return f"rename_note({rel} -> {note.rel})", set()
        if kind == "reorder_sections":
            blocks: list[list[Section]] = []
            for s in note.sections:
                if s.level == 2 or not blocks:
                    blocks.append([s])
                else:
                    blocks[-1].append(s)
            order = list(range(len(blocks)))
            while order == sorted(order):
                rng.shuffle(order)
            note.sections = [s for i in order for s in blocks[i]]
            return f"reorder_sections({rel}: {order})", set()
        if kind == "reword_heading":
            sec = rng.choice(note.sections)
            old = sec.title
            sec.heading[rng.randrange(len(sec.heading))] = self.words.cap()
            return f"reword_heading({rel}: {old!r} -> {sec.title!r})", set()
        if kind == "edit_definition":
            c = rng.choice([c for s in note.sections for c in s.callouts])
            self.replace_words(c.words, c.glue, 2)
            return f"edit_definition({rel}: {c.term!r})", set()
        sentences = [s for slot in note.sentence_slots() for s in slot]
        if kind == "reword_claim":
            s = rng.choice(sentences)
            self.replace_words(s.words, s.glue, rng.randint(2, 3))
            return f"reword_claim({rel}: t={s.seconds})", set()
        if kind == "shift_stamp":
            s = rng.choice([s for s in sentences if self.shifts(s)])
            old = s.seconds
            s.seconds = old + rng.choice(self.shifts(s))
            s.former.append(old)
            self.seconds_used.add(s.seconds)
            return f"shift_stamp({rel}: t={old} -> t={s.seconds})", set()
        if kind == "add_sentence":
            s = self.new_sentence()
            # sometimes the new claim goes right before a claim whose stamp was nudged, at the
            # moment that claim had before (the stamp was nudged to make room for it)
            live = {x.seconds for x in sentences}
            nudged = [(slot, x, f) for slot in note.sentence_slots() for x in slot for f in x.former if f not in live]
            if nudged and rng.random() < 0.5:
                slot, x, s.seconds = rng.choice(nudged)
                x.former.remove(s.seconds)
                slot.insert(slot.index(x), s)
                return f"add_sentence({rel}: t={s.seconds}, where t={x.seconds} was before)", {("claim", s.uid)}
            slot = rng.choice(note.sentence_slots())
            slot.insert(rng.randint(0, len(slot)), s)
            return f"add_sentence({rel}: t={s.seconds})", {("claim", s.uid)}
        if kind == "delete_sentence":
            slot = rng.choice([slot for slot in note.sentence_slots() if len(slot) >= 2])
            s = slot.pop(rng.randrange(len(slot)))
            return f"delete_sentence({rel}: t={s.seconds})", set()
        raise AssertionError(kind)

    def plan(self, round_no: int, done: set[str]) -> list[tuple[str, int | None]]:
        """2-4 operations on distinct notes; kinds not used yet come first, so all are used by ROUNDS."""
        rng = self.rng
        self.freed_stems += self.freed_now
        self.freed_now = []
        k = rng.randint(2, 4)
        unused = [x for x in KINDS if x not in done]
        must = min(k, math.ceil(len(unused) / (ROUNDS - round_no + 1)))
        wanted = rng.sample(unused, must) + [rng.choice(KINDS) for _ in range(k - must)]
        plan: list[tuple[str, int | None]] = []
        targeted: set[int] = set()
        n_notes = len(self.notes)
        for kind in wanted:
            others = [x for x in unused if x != kind]
            options = [kind, *rng.sample(others, len(others)), *rng.sample(KINDS, len(KINDS))]
            for choice in options:
                if choice == "add_note":
                    if n_notes < MAX_NOTES:
                        plan.append((choice, None))
                        n_notes += 1
                        break
                    continue
                if len(targeted) >= len(self.notes) - 2:  # leave notes for the learner to tag
                    break
                if choice == "delete_note" and n_notes <= MIN_NOTES:
                    continue
                notes = [n for n in self.notes.values() if n.uid not in targeted and self.eligible(choice, n)]
                if notes:
                    target = rng.choice(notes)
                    plan.append((choice, target.uid))
                    targeted.add(target.uid)
                    n_notes -= choice == "delete_note"
                    break
        return plan

    def write(self, root: Path) -> None:
        wanted = {n.rel: n.render() for n in self.notes.values()}
        for path in root.rglob("*.md"):
            if path.relative_to(root).as_posix() not in wanted:
                path.unlink()
        for rel, text in wanted.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")


# ------------------------------------------------------------------ package and Anki ----

def collection_notes(col) -> list[dict]:
    names: dict[int, list[str]] = {}
    out = []
    for nid, guid, mid, mod, tags, flds in col.db.all("select id, guid, mid, mod, tags, flds from notes"):
        if mid not in names:
            names[mid] = [f["name"] for f in col.models.get(mid)["flds"]]
        out.append({"nid": nid, "guid": guid, "mod": mod, "tags": tags.split(),
                    "fields": dict(zip(names[mid], flds.split("\x1f"), strict=True))})
    return out


def card_states(col) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in
            col.db.all("select id, nid, did, type, queue, due, ivl, reps, lapses, factor from cards")}


def import_default(col, apkg: Path):
    """Import with Anki's default options (update notes if newer, no merge, no scheduling)."""
    return col.import_anki_package(ImportAnkiPackageRequest(
        package_path=str(apkg.resolve()), options=ImportAnkiPackageOptions())).log


def lower_tags(tags) -> set[str]:
    return {t.lower() for t in tags}


def study(col, rng: random.Random, n: int) -> int:
    """Answer the next ``n`` cards of the vault's deck through the real scheduler."""
    col.decks.select(col.decks.id_for_name(VAULT))
    for i in range(n):
        card = col.sched.getCard()
        assert card is not None, f"no card left to study after {i} of {n}"
        col.sched.answerCard(card, rng.choice([1, 3, 3, 4]))
    return n


# ------------------------------------------------------------------------- the checks ----

@dataclass
class History:
    """What the earlier rounds left behind, to compare each round with."""

    guid_of: dict[Item, str] = field(default_factory=dict)  # each model item's GUID, as first packaged
    emitted: set[str] = field(default_factory=set)  # every GUID any package ever held
    prev_mod: dict[str, int] = field(default_factory=dict)  # package mod per GUID, previous round
    reviews: int = 0  # answers given so far
    revlog_ids: set[int] = field(default_factory=set)
    tagged: list[tuple[int, str, int]] = field(default_factory=list)  # (nid, guid, mod) the learner left


def label(card: dict) -> str:
    f = card["fields"]
    source = html.unescape(re.sub(r"<[^>]+>", "", f["Source"]))
    return f"{plain(f.get('Front') or f['Text'])[:70]!r} ({source})"


def check_package(model: VaultModel, pkg: list[dict], h: History, added: set[Item],
                  untouched: set[int]) -> tuple[list[str], dict[Item, str]]:
    """The package against the model: every item has exactly one card showing its current text,
    surviving items keep their GUIDs, only added items get new ones, gone cards are retired, and
    the cards of notes no operation touched are unchanged. Returns problems and item -> GUID."""
    problems: list[str] = []
    count: dict[str, list[dict]] = {}
    for c in pkg:
        count.setdefault(c["guid"], []).append(c)
    for guid, cards in count.items():
        if len(cards) > 1:
            problems.append(f"the package repeats GUID {guid} on {len(cards)} cards: {[label(c) for c in cards]}")
    by_guid = {c["guid"]: c for c in pkg}
    expected = model.expected()
    cur: dict[Item, str] = {}
    for c in pkg:
        if RETIRED in c["tags"]:
            continue
        item = model.item_of(c)
        if item is None or item not in expected:
            problems.append(f"live package card {c['guid']} {label(c)} matches nothing in the notes")
            continue
        if item in cur:
            problems.append(f"two package cards for {item}: {cur[item]} and {c['guid']} {label(c)}")
            continue
        cur[item] = c["guid"]
        e, f = expected[item], c["fields"]
        src = html.unescape(re.sub(r"<[^>]+>", "", f["Source"])).rsplit(":", 1)[0]
        if (c["notetype"], src, c["deck"]) != (e.notetype, e.note.rel, e.note.deck):
            problems.append(f"{item} {label(c)}: {c['notetype']} from {src} in {c['deck']}, expected "
                            f"{e.notetype} from {e.note.rel} in {e.note.deck}")
        if plain(f["Context"]) != e.context:
            problems.append(f"{item} {label(c)}: Context {plain(f['Context'])!r}, expected {e.context!r}")
        if item[0] == "claim":
            if not CLOZE.search(f["Text"]) or plain(CLOZE.sub(r"\1", f["Text"])) != e.check:
                problems.append(f"{item}: cloze {f['Text']!r} does not show the sentence {e.check!r}")
        elif item[0] == "heading":
            if not plain(f["Back"]).startswith(e.check):
                problems.append(f"{item}: Back {plain(f['Back'])!r} does not start with {e.check!r}")
        elif plain(f["Back"]) != e.check:
            problems.append(f"{item}: Back {plain(f['Back'])!r}, expected the definition {e.check!r}")
    if set(expected) - set(cur):
        problems.append(f"no package card for {sorted(set(expected) - set(cur))}")

    # identity: an edited, moved, renamed, reordered, reworded or shifted card keeps its GUID
    for item, guid in cur.items():
        where = expected[item].note.rel
        if item in h.guid_of and h.guid_of[item] != guid:
            problems.append(f"{item} ({where}) changed GUID {h.guid_of[item]} -> {guid}: Anki gets a new note")
        if item not in h.guid_of and item not in added:
            problems.append(f"{item} ({where}) has no earlier card, but no operation added it")
        if item in added and guid in h.emitted:
            problems.append(f"the added {item} ({where}) got the GUID {guid} of an earlier card")
    new_guids = set(count) - h.emitted
    want_new = {cur[i] for i in added if i in cur}
    if new_guids != want_new:
        problems.append(f"{len(new_guids)} new GUIDs for {len(want_new)} added items: unexpected "
                        f"{sorted(new_guids - want_new)}, missing {sorted(want_new - new_guids)}")
    gone = (h.emitted | set(count)) - set(cur.values())
    retired = {c["guid"] for c in pkg if RETIRED in c["tags"]}
    if retired != gone:
        problems.append(f"cards whose source is gone but not packaged as retired: {sorted(gone - retired)}; "
                        f"retired although alive: {sorted(retired - gone)}")
    for uid in untouched:
        for item in model.items_of_note(model.notes[uid]):
            g = cur.get(item)
            if g is not None and h.prev_mod.get(g) != by_guid[g]["mod"]:
                problems.append(f"{item} of untouched note {model.notes[uid].rel} changed in the package "
                                f"(mod {h.prev_mod.get(g)} -> {by_guid[g]['mod']})")
    return problems, cur


def check_collection(col, pkg: list[dict], log, h: History, live: set[str], new_guids: set[str],
                     before: dict[str, dict], cards_before: dict[int, tuple]) -> list[str]:
    """The collection after the import: the five invariants of the acceptance point."""
    problems: list[str] = []
    notes = collection_notes(col)
    after = {n["guid"]: n for n in notes}
    guid_of_nid = {n["nid"]: n["guid"] for n in notes}
    by_guid = {c["guid"]: c for c in pkg}
    for kind in ("conflicting", "missing_notetype", "missing_deck", "empty_first_field", "first_field_match"):
        if len(getattr(log, kind)):
            problems.append(f"import log: {len(getattr(log, kind))} {kind}")
    logged_new = {guid_of_nid.get(e.id.nid) for e in log.new}
    if logged_new != new_guids:
        problems.append(f"Anki added {len(log.new)} notes for {len(new_guids)} added cards: "
                        f"unexpected {sorted(map(str, logged_new - new_guids))}")

    # 1. no duplicate notes: one note per GUID ever packaged, no question twice among live notes
    dups = col.db.scalar("select count() - count(distinct guid) from notes")
    if dups:
        problems.append(f"{dups} duplicate GUID(s) in the collection")
    if len(notes) != len(h.emitted) or set(after) != h.emitted:
        problems.append(f"{len(notes)} notes in the collection for {len(h.emitted)} GUIDs ever packaged: "
                        f"missing {sorted(h.emitted - set(after))}, extra {sorted(set(after) - h.emitted)}")
    firsts = [next(iter(n["fields"].values())) for n in notes if RETIRED not in lower_tags(n["tags"])]
    if len(firsts) != len(set(firsts)):
        problems.append(f"{len(firsts) - len(set(firsts))} live note(s) repeat another's question")

    # 2. no lost reviews, and the import touched no card's scheduling
    ids = set(col.db.list("select id from revlog"))
    if not h.revlog_ids <= ids or len(ids) != h.reviews:
        problems.append(f"revlog: {len(ids)} entries for {h.reviews} reviews, {len(h.revlog_ids - ids)} lost")
    cards_after = card_states(col)
    changed = [cid for cid, state in cards_before.items() if cards_after.get(cid) != state]
    if changed:
        problems.append(f"the import changed the scheduling of {len(changed)} card(s)")

    # 3. every edit visible: each packaged note is in the collection with the package's content
    for c in pkg:
        n = after.get(c["guid"])
        if n is None:
            continue
        if n["fields"] != c["fields"]:
            diff = {k: (n["fields"].get(k), v) for k, v in c["fields"].items() if n["fields"].get(k) != v}
            problems.append(f"note {c['guid']} {label(c)} differs from the package (collection, package): {diff}")
        if lower_tags(n["tags"]) - {MINE} != lower_tags(c["tags"]):
            problems.append(f"note {c['guid']} {label(c)} has tags {n['tags']}, the package {c['tags']}")

    # 4. removed sources tagged retired
    for n in notes:
        if n["guid"] not in live and RETIRED not in lower_tags(n["tags"]):
            problems.append(f"note {n['guid']} {plain(next(iter(n['fields'].values())))[:60]!r} lost its "
                            f"source but is not tagged {RETIRED}: {n['tags']}")

    # 5. unchanged notes not modified by the import; the learner's tag is still there
    for guid, n in before.items():
        c = by_guid.get(guid)
        if c is not None and h.prev_mod.get(guid) == c["mod"] and after[guid]["mod"] != n["mod"]:
            problems.append(f"unchanged note {guid} {label(c)} was modified by the import "
                            f"(mod {n['mod']} -> {after[guid]['mod']})")
    for nid, guid, mod in h.tagged:
        n = after.get(guid)
        if n is None or n["nid"] != nid or MINE not in lower_tags(n["tags"]) or n["mod"] != mod:
            problems.append(f"note {guid}, tagged {MINE!r} by the learner at {mod} and whose source was not "
                            f"edited, was changed by the import: {n and (n['nid'], n['tags'], n['mod'])}")
    return problems


# ---------------------------------------------------------------------------- the test ----

def test_random_edit_rounds_keep_anki_in_step(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    model = VaultModel(rng)
    for _ in range(N_NOTES):
        model.new_note()
    notes_dir, out_dir = tmp_path / VAULT, tmp_path / "decks"
    notes_dir.mkdir()
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        conf = col.decks.get_config(1)  # the default preset: enough new cards a day for every round
        conf["new"]["perDay"] = conf["rev"]["perDay"] = 9999
        col.decks.update_config(conf)
        h = History()
        done_kinds: set[str] = set()
        plan: list[tuple[str, int | None]] = []

        for r in range(ROUNDS + 1):
            T = T0 + STEP * r
            # ---- edit the notes (round 0 is the first build) ----
            ops, added, existing = [], set(), set(model.notes)
            for kind, uid in plan:
                desc, created = model.apply(kind, uid)
                ops.append(desc)
                added |= created
                done_kinds.add(kind)
            untouched = existing - {uid for _, uid in plan}
            if r == 0:
                added, untouched = set(model.expected()), set()
            where = f"round {r} (ops: {', '.join(ops) or 'first build'})"
            model.write(notes_dir)

            # ---- rebuild ----
            report = build_deck(BuildOptions(notes_dir=notes_dir, out_dir=out_dir, timestamp=T))
            assert not report.failed and not report.diagnostics, \
                f"{where}: build problems {report.failed} {[str(d) for d in report.diagnostics]}"
            apkg = out_dir / f"{VAULT}.apkg"
            pkg = read_package(apkg)
            problems, cur = check_package(model, pkg, h, added, untouched)
            new_guids = {c["guid"] for c in pkg} - h.emitted
            h.emitted |= {c["guid"] for c in pkg}

            # ---- import with the default options ----
            before = {n["guid"]: n for n in collection_notes(col)}
            cards_before = card_states(col)
            log = import_default(col, apkg)
            problems += check_collection(col, pkg, log, h, set(cur.values()), new_guids, before, cards_before)
            assert not problems, f"{where}: {len(problems)} problem(s):\n" + "\n".join(problems[:40])
            print(f"{where}: {len(cur)} live + {len(pkg) - len(cur)} retired cards; import new {len(log.new)}, "
                  f"updated {len(log.updated)}, unchanged {len(log.duplicate)}; re-attached "
                  f"{len(report.reattached)}; learner tags kept {len(h.tagged)}; reviews {h.reviews}")
            h.guid_of.update(cur)
            h.prev_mod = {c["guid"]: c["mod"] for c in pkg}

            # ---- the learner studies, then tags notes whose source the next round leaves alone ----
            h.reviews += study(col, rng, rng.randint(3, 5))
            h.revlog_ids = set(col.db.list("select id from revlog"))
            h.tagged = []
            if r == ROUNDS:
                break
            plan = model.plan(r + 1, done_kinds)
            spared = [uid for uid in model.notes if uid not in {u for _, u in plan}]
            assert spared, f"{where}: the next round edits every note"
            candidates = sorted(i for uid in spared for i in model.items_of_note(model.notes[uid]))
            for item in rng.sample(candidates, rng.randint(1, 2)):
                nid = col.db.scalar("select id from notes where guid=?", cur[item])
                note = col.get_note(nid)
                note.add_tag(MINE)
                col.update_note(note)
                col.db.execute("update notes set mod=? where id=?", T + LEARNER, nid)
                h.tagged.append((nid, cur[item], T + LEARNER))

        assert set(KINDS) <= done_kinds, f"edit kinds never used: {set(KINDS) - done_kinds}"
        assert len(h.revlog_ids) == h.reviews, f"revlog has {len(h.revlog_ids)} entries for {h.reviews} reviews"
    finally:
        col.close()
