"""``--report``: weak cards, each with the ``file:line`` to fix it at.

Kinds, in the order they are listed:

- ``long-answer``: an answer (or a cloze sentence) over the answer word limit (``answer_words``,
  40 by default). The extractors stop adding sentences at that limit, so only an answer whose
  first sentence, item, table or code block is already too long gets here: that is more than one
  review can test.
- ``gives-away``: most of a basic card's answer words are already on its front (question and
  breadcrumb), or a cloze card's hidden words show elsewhere on its front.
- ``no-key-term``: a timestamped claim the claims extractor left out: it had no term to hide.
- ``short-claim``: a timestamped sentence of 3 to 5 words, too short to be a claim ("Mitochondria
  produce most ATP. [13:05]"): no cloze.
- ``no-moments``: a note with cards but no timestamp, so they link to the start of the video.
- ``near-duplicate``: a card whose words are mostly those of a card of another note.

The first two and the last come from the built cards; the others are hints the parser and the
extractors recorded (kept with the note, so an unchanged note still reports them).
"""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from cardgen.extract.claims import STOP_WORDS
from cardgen.markup import prose_words, text_of
from cardgen.model import Diagnostic
from cardgen.state import StoredCard

KINDS = ("long-answer", "gives-away", "no-key-term", "short-claim", "no-moments", "near-duplicate")
GIVEAWAY_SHARE = 0.6  # of a basic card's answer words already on its front
DUPLICATE_SHARE = 0.8  # of the words two cards have together (Jaccard)
DUPLICATE_MIN_WORDS = 5  # shorter texts are alike by chance ("See the video.")
PAIR_CARDS = 50  # cards a word pair may be in and still point to duplicates
_FRONT, _BACK, _CONTEXT = 0, 1, 2  # field positions (cardgen.apkg.models)
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")
_CLOZE = re.compile(r"\{\{c\d+::(.*?)\}\}", re.S)


@dataclass(frozen=True, slots=True)
class Weak:
    path: str
    line: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.detail}"


def _words(html: str) -> list[str]:
    """Content words, lower case, plurals folded: what decides whether two texts say the same."""
    text = _TAG.sub(" ", html)
    if "&" in text:
        text = htmllib.unescape(text)
    found = []
    for w in _WORD.findall(text.lower()):
        if w in STOP_WORDS or (len(w) < 3 and not w.isdigit()):
            continue
        if len(w) > 4 and w[-1] == "s" and w[-2] != "s":
            w = w[:-3] + "y" if w.endswith("ies") else w[:-1]
        found.append(w)
    return found


def _long(card: StoredCard, limit: int) -> Weak | None:
    text = card.fields[_FRONT] if card.kind == "cloze" else card.fields[_BACK]
    n = prose_words(text)
    if n <= limit:
        return None
    what = "the cloze sentence" if card.kind == "cloze" else "the answer"
    return Weak(card.note, card.line, "long-answer", f"{what} has {n} words (limit {limit}): split or trim it")


def _gives_away(card: StoredCard) -> Weak | None:
    context = set(_words(card.fields[_CONTEXT]))
    if card.kind == "cloze":
        hidden = _CLOZE.search(card.fields[_FRONT])
        if hidden is None:
            return None
        term = set(_words(hidden.group(1)))
        sentence = set(_words(_CLOZE.sub(" ", card.fields[_FRONT])))
        if not term or not term <= context | sentence:
            return None
        where = "in the breadcrumb (note title › section)" if term <= context else "elsewhere on the card"
        plain = text_of(hidden.group(1)).strip()
        return Weak(card.note, card.line, "gives-away", f"the hidden “{plain}” shows {where}")
    answer = set(_words(card.fields[_BACK]))
    front = context | set(_words(card.fields[_FRONT]))
    shared = answer & front
    if answer and len(shared) >= GIVEAWAY_SHARE * len(answer):
        return Weak(card.note, card.line, "gives-away",
                    f"{len(shared)} of the answer's {len(answer)} words are on the front: {', '.join(sorted(shared))}")
    return None


def _hint(d: Diagnostic) -> Weak:
    kind, _, detail = d.message.partition(": ")
    return Weak(d.path, d.line, kind, detail)


def _duplicate_text(card: StoredCard) -> str:
    if card.kind == "cloze":
        return _CLOZE.sub(r"\1", card.fields[_FRONT])
    return card.fields[_BACK]


def near_duplicates(cards: list[StoredCard]) -> list[Weak]:
    """Each card whose words are mostly those of an earlier card of another note.

    Cards with the very same words are found by hashing them. Other candidates share two pairs of
    adjacent content words (one bucket per pair), so the work grows with the number of cards, not
    its square; a pair in more than ``PAIR_CARDS`` cards is a stock phrase, not a sign of a
    duplicate, and is not a bucket.
    """
    words = [_words(_duplicate_text(c)) for c in cards]
    sets = [set(w) for w in words]
    pairs = [set(zip(w, w[1:], strict=False)) if len(s) >= DUPLICATE_MIN_WORDS else set()
             for w, s in zip(words, sets, strict=True)]
    seen = Counter(p for ps in pairs for p in ps)
    buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
    same: dict[frozenset[str], int] = {}  # the first card with these very words: boilerplate in every note
    found = []
    for j, card in enumerate(cards):
        if not pairs[j]:
            continue
        best, share = same.setdefault(frozenset(sets[j]), j), 1.0
        if cards[best].note == card.note:
            signs = [p for p in pairs[j] if seen[p] <= PAIR_CARDS]
            shared = Counter(i for p in signs for i in buckets.get(p, ()))
            need = min(2, len(signs))  # cards 80% alike share more than one pair; one is chance
            best, share = -1, 0.0
            for i in sorted(i for i, n in shared.items() if n >= need and cards[i].note != card.note):
                s = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
                if s > share:
                    best, share = i, s
        if share >= DUPLICATE_SHARE:
            other = cards[best]
            found.append(Weak(card.note, card.line, "near-duplicate",
                              f"{share:.0%} the same words as {other.note}:{other.line}"))
        for p in signs:
            buckets[p].append(j)
    return found


def find_weak(cards: list[StoredCard], hints: list[Diagnostic], answer_words: int) -> list[Weak]:
    """Every weak card and note of a build (its cards, as ``BuildOptions.on_cards`` sees them, and its
    report's ``hints``), by kind, then file and line."""
    cards = [c for c in cards if c.retired is None]
    weak = [_hint(d) for d in hints]
    for card in cards:
        weak.extend(w for w in (_long(card, answer_words), _gives_away(card)) if w is not None)
    weak.extend(near_duplicates(cards))
    return sorted(weak, key=lambda w: (KINDS.index(w.kind) if w.kind in KINDS else len(KINDS), w.path, w.line))


def counts(weak: list[Weak]) -> dict[str, int]:
    found = dict.fromkeys(KINDS, 0)
    for w in weak:
        found[w.kind] = found.get(w.kind, 0) + 1
    return found


def report_lines(weak: list[Weak], where: Callable[[str], str] = str) -> list[str]:
    """The report for a reader; ``where`` names a note as the reader's editor finds it."""
    lines = ["", f"quality report: {len(weak)} weak cards and notes"]
    kind = ""
    for w in weak:
        if w.kind != kind:
            kind = w.kind
            lines.append(f"{kind}:")
        lines.append(f"  {replace(w, path=where(w.path))}")
    lines.append("weak: " + ", ".join(f"{n} {k}" for k, n in counts(weak).items()))
    return lines


def report_json(weak: list[Weak]) -> dict[str, object]:
    return {"counts": counts(weak), "weak": [asdict(w) for w in weak]}
