"""Properties over generated notes (Hypothesis), a short fuzz run, and a guard against super-linear parsing."""

from __future__ import annotations

import importlib.util
import time

from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardgen.errors import NoteError
from cardgen.extract import EXTRACTORS, run_extractors
from cardgen.parse import parse_note

_spec = importlib.util.spec_from_file_location("fuzz", REPO / "bench" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

PIECES = st.sampled_from(fuzz.FRAGMENTS + ["Plain words here", "The Mach number", "42 Hz", ". ", "\n"])
NOTES = st.builds(
    lambda head, parts, tail: head + "".join(parts) + tail,
    st.sampled_from(["", "---\ntitle: T\nvideoId: abcdefghijk\n---\n\n", "---\n- a\n---\n", "---\ntitle: [\n---\n"]),
    st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=40),
    st.sampled_from(["", "\n", "## H\n\nA sentence with a stamp [00:00:01]."]),
)


def cards_of(text: str):
    try:
        note, _ = parse_note("p.md", text, "p")
    except NoteError:
        return None
    return None if note is None else run_extractors(note, EXTRACTORS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NOTES)
def test_parsing_raises_nothing_but_note_errors_and_is_deterministic(text):
    first = cards_of(text)
    assert cards_of(text) == first


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NOTES)
def test_keys_are_unique_and_every_cloze_hides_one_term(text):
    cards = cards_of(text) or []
    assert len({c.key for c in cards}) == len(cards)
    for card in cards:
        if card.kind == "cloze":
            assert card.front.count("{{c1::") == 1
        assert "<script" not in card.front + card.back


def test_fuzz_run_over_mutated_notes_finds_no_crash():
    tried, crashes = fuzz.run(3000, seed=42, jobs=1)
    print(f"\nfuzz: {tried} inputs tried, {len(crashes)} crashes")
    assert tried == 3000 and crashes == [], crashes[:1]


def _cost(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        cards_of(text)
        best = min(best, time.perf_counter() - start)
    return best


PATHOLOGICAL = {
    "[": "[", ">": ">", "> nested": "> ", "*": "*", "backticks": "`", "{{": "{{", "[[": "[[", "$": "$a ",
    "anchors": '<a data-t="1:00">', "spaces in parens": "( ", "html nesting": "<div>", "stamps": "x [00:00:01] ",
    "- nested": "- ", "_": "_", "](": "](", "\\(": "\\(",
}


def test_parsing_grows_linearly_on_pathological_input():
    """4x the input may cost at most 8x the time (linear is 4x; quadratic would be 16x)."""
    head = "---\ntitle: T\nvideoId: abcdefghijk\n---\n\n## H\n\n"
    ratios = {}
    for name, unit in PATHOLOGICAL.items():
        for _ in range(3):  # a busy machine can slow one measurement: a real cliff shows every time
            small, large = _cost(head + unit * 2500), _cost(head + unit * 10000)
            ratios[name] = large / max(small, 1e-4)
            if ratios[name] <= 8:
                break
    assert all(r <= 8 for r in ratios.values()), {k: round(v, 1) for k, v in ratios.items()}
