"""How the parser drives mistune: its shortcuts must give exactly what mistune's own paths give."""

from __future__ import annotations

import random
import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import pytest

from cardgen.parse import _parser
from cardgen.parse.syntax import _LINE_ANCHORED, _LineStartSearch


def _starts_at_line_start(items: list[Any]) -> bool:
    """Whether a parsed pattern can only match where its first item, a ``^``, matches."""
    if not items:
        return False
    op, av = items[0]
    if op is sre.AT:
        return av is sre.AT_BEGINNING
    if op is sre.BRANCH:
        return all(_starts_at_line_start(list(branch)) for branch in av[1])
    if op is sre.SUBPATTERN:
        return _starts_at_line_start(list(av[-1]))
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        return av[0] >= 1 and _starts_at_line_start(list(av[2]))
    return False


def test_block_rules_said_to_be_anchored_are() -> None:
    """_LineStartSearch tries the block rules at line starts only: right only if each starts with ^."""
    assert set(_parser.block.rules) <= _LINE_ANCHORED  # every rule of the notes' parser: the shortcut applies
    for name in _LINE_ANCHORED & set(_parser.block.specification):
        assert _starts_at_line_start(list(sre_parse.parse(_parser.block.specification[name]))), name


@pytest.mark.parametrize("pattern", [r"a|^b", r"(?:x)+", r"\n^a"])
def test_the_anchor_check_catches_unanchored_patterns(pattern: str) -> None:
    assert not _starts_at_line_start(list(sre_parse.parse(pattern)))


def test_line_start_search_finds_what_search_finds() -> None:
    sc = _parser.block.compile_sc()
    assert isinstance(sc, _LineStartSearch)
    rng = random.Random(3)
    pieces = ["text", "**b**", "[!info] T", "[01:02]", "\n", "\n\n", "# H", "> q", "- i", "1. n", "    code",
              "\tx", "| a | b |", "$$", "<div>", "---", "```", " ", "==="]
    for _ in range(3000):
        src = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        pos = rng.randint(0, len(src))
        expected, found = sc.pattern.search(src, pos), sc.search(src, pos)
        assert (found and (found.span(), found.lastgroup)) == (expected and (expected.span(), expected.lastgroup)), \
            (src, pos)


def test_a_rule_not_known_to_be_anchored_keeps_the_plain_pattern() -> None:
    assert isinstance(_parser.block.compile_sc(["blank_line", "list"]), _LineStartSearch)
    parser = type(_parser.block)()
    parser.register("loose", r"x+", lambda block, m, state: m.end())
    assert isinstance(parser.compile_sc(["loose", "blank_line"]), re.Pattern)
