"""Claims keep their identities through random edits of their stamps: the oracle of ``ids.moved_claims``.

A claim's key is its moment, so moving stamps could hand one claim's Anki note (and reviews) to
another. Each round makes one edit a note-taker makes (a stamp shifted or corrected, all stamps
shifted, two swapped, a claim deleted, restored, reworded, a new one written anywhere, sentences
reordered) and rebuilds; then every claim must be in a card of its own, under the GUID it first
had, and no GUID may ever show another claim's words. (A claim reworded *and* moved more than five
seconds in one build is a new claim by design; one edit a round never does both.)
"""

from __future__ import annotations

import random
import re

import pytest
from conftest import T0

SYLLABLES = ["ka", "lo", "mi", "ter", "vun", "so", "ra", "pel", "dax", "qui", "bor", "nel", "fus", "gri", "hom"]
CLOZE = re.compile(r"\{\{c1::(.*?)\}\}")
TAG = re.compile(r"<[^>]*>")


class Claim:
    def __init__(self, rng: random.Random, at: int, section: str) -> None:
        self.words = ["".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(8)]
        self.term, self.at, self.section = self.words[1], at, section

    def text(self) -> str:
        return " ".join([self.words[0].capitalize(), *self.words[1:]])

    def sentence(self) -> str:
        w = self.words
        return f"{w[0].capitalize()} **{w[1]}** {' '.join(w[2:])} [00:{self.at // 60:02d}:{self.at % 60:02d}]."


def note(live: list[Claim]) -> str:
    parts = ["---\ntitle: Claims\nvideoId: CLaImsVid01\n---\n"]
    for section in "ST":
        parts.append(f"## Part {section}\n\n" + " ".join(c.sentence() for c in live if c.section == section) + "\n")
    return "\n".join(parts)


def edit(rng: random.Random, live: list[Claim], dead: list[Claim]) -> None:
    """One edit; every moment stays within 0:40-1:20."""
    def near(at: int) -> int:
        return min(80, max(40, at + rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5])))

    kind = rng.choice(["shift", "shift all", "swap", "delete", "restore", "new", "reword", "reorder"])
    if kind == "shift":
        c = rng.choice(live)
        c.at = near(c.at)
    elif kind == "shift all":
        step = rng.choice([-3, -2, 2, 3])
        for c in live:
            c.at = min(80, max(40, c.at + step))
    elif kind == "swap" and len(live) > 1:
        a, b = rng.sample(live, 2)
        a.at, b.at = b.at, a.at
    elif kind == "delete" and len(live) > 2:
        c = rng.choice(live)
        live.remove(c)
        dead.append(c)
    elif kind == "restore" and dead:
        c = rng.choice(dead)
        dead.remove(c)
        c.at = c.at if rng.random() < 0.5 else near(c.at)
        live.insert(rng.randrange(len(live) + 1), c)
    elif kind == "new":
        moments = [c.at for c in live + dead]
        at = rng.choice(moments) if rng.random() < 0.8 else rng.randrange(40, 81)
        live.insert(rng.randrange(len(live) + 1), Claim(rng, at, rng.choice("ST")))
    elif kind == "reword":
        c = rng.choice(live)
        c.words[rng.randrange(2, 8)] = "".join(rng.choice(SYLLABLES) for _ in range(4))
    else:
        rng.shuffle(live)


@pytest.mark.parametrize("seed", range(6))
def test_claims_keep_their_identities_through_random_stamp_edits(vault, seed: int) -> None:
    rng = random.Random(seed)
    live = [Claim(rng, 50 + 2 * i, "S") for i in range(5)]  # two seconds apart: the hard case
    dead: list[Claim] = []
    guid_of: dict[int, str] = {}  # claim -> the GUID it first had
    owner_of: dict[str, int] = {}  # GUID -> the claim it belongs to
    for round_ in range(40):
        if round_:
            edit(rng, live, dead)
        vault.write("claims.md", note(live))
        report = vault.build(T0 + 100 * round_)
        assert not report.failed and not report.errors, [str(d) for d in report.errors]
        cards = [c for c in vault.cards() if "cardgen::retired" not in c["tags"] and "Text" in c["fields"]]
        assert len({c["guid"] for c in vault.cards()}) == len(vault.cards())
        for claim in live:
            words = claim.text()
            held = [c for c in cards if words in TAG.sub("", CLOZE.sub(r"\1", c["fields"]["Text"]))]
            assert len(held) == 1, f"round {round_}: {words!r} is in {len(held)} cards"
            guid = held[0]["guid"]
            assert owner_of.setdefault(guid, id(claim)) == id(claim), f"round {round_}: {words!r} took another's card"
            assert guid_of.setdefault(id(claim), guid) == guid, f"round {round_}: {words!r} lost its card"
