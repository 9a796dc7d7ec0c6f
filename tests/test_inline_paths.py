"""sentence()'s shortcut for a sentence of words only gives what its general path gives."""

from __future__ import annotations

import pytest

from cardgen.model import Sentence, Text
from cardgen.parse.inline import Context, clean, render, sentence
from cardgen.timestamps import Moment


@pytest.mark.parametrize("raw", ["Plain words.", "  padded  ", "a {{c1::b}} & <i>'q'\"", "", "   ", "tab\there",
                                 "two  spaces", "\u00a0nbsp\u00a0"])
def test_words_only_sentence_matches_the_general_path(raw: str) -> None:
    ctx = Context()
    ctx.source = "Ao4evQT3dOU"  # a citation earlier in the paragraph ends with the sentence
    got = sentence([{"type": "text", "raw": raw}], ctx, 7)
    html, plain = render([{"type": "text", "raw": raw}], Context())
    expected = Sentence(Text(clean(html), clean(plain)), (), (), 7) if clean(plain) else None
    assert got == expected
    assert ctx.source is None and not ctx.moments and not ctx.terms


def test_a_sentence_after_taken_moments_keeps_them() -> None:
    """Moments left in the context (a stamp-only sentence before) still go through the general path."""
    ctx = Context()
    stamp = {"type": "stamp", "raw": "[01:02]", "attrs": {"parts": [(1, 2)], "seconds": None, "video": None}}
    assert sentence([stamp], ctx, 1) is None
    assert ctx.moments == [Moment(62)]
    s = sentence([{"type": "text", "raw": "Words here."}], ctx, 2)
    assert s is not None and s.moments == (Moment(62),) and s.text.plain == "Words here."
    assert ctx.moments == []
