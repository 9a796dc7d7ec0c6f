"""The extractors' short cuts give exactly what the plain computation they replace gives."""

from __future__ import annotations

import itertools

from cardgen.extract.claims import _WORD, Breadcrumb, _rank, _shown_words, breadcrumb_words, candidates
from cardgen.extract.common import _join, study_answer
from cardgen.model import Block, Sentence, Text

TITLES = ["The Multics project", "Unix's Rings", "ΟΔΥΣΣΕΥΣ", "İstanbul Straits", "Cells’ Walls", "C++ & Rust",
          "Σ notes", "straße", ""]
TERMS = ["Multics", "project", "multic", "ring", "Rings", "Rust", "C++", "wall", "cell", "istanbul", "İstanbul",
         "οδυσσευς", "ΟΔΥΣΣΕΥΣ", "σ", "strasse", "straße", "1965", "—", "the", "Walls'", "oses"]


def test_a_breadcrumb_shows_a_term_exactly_when_all_its_words_are_the_breadcrumbs():
    for title, heading in itertools.product(TITLES, ["", "The OSes", "Rings’", "Straßen"]):
        trail = (heading,) if heading else ()
        crumb = Breadcrumb(title, trail)
        words = breadcrumb_words(title, trail)
        for term in TERMS:
            assert crumb.shows(term) == (bool(words) and _shown_words(term) <= words), (title, heading, term)


def _claim(plain: str) -> Sentence:
    return Sentence(Text(plain, plain), (), (), 1)


def test_candidates_rank_words_as_a_full_stable_sort_does():
    for plain in ["interpretability needs circuit analysis tools and careful ablation studies",
                  "rings rings wall walls cells cell strasse", "the and of it", "",
                  "quickly running hardness softness hardness manager operator outer",
                  "every rust crate’s owner re-exports them-selves"]:  # no names, numbers or marked terms
        words = [w for w in _WORD.findall(plain) if _rank(w) >= 0]  # (stop words, and words with a clitic)
        expected = list(dict.fromkeys(sorted(words, key=_rank, reverse=True)))
        got = list(candidates(_claim(plain)))
        assert got == expected, plain


def test_an_answer_of_sentences_is_one_paragraph_as_join_makes_it():
    units = [("sentence", Text(f"<b>s{i}</b>.", f"s{i}.")) for i in range(3)]
    answer = study_answer([Block("paragraph", tuple(units), 1)])
    assert answer == _join(units) == Text("<p><b>s0</b>. <b>s1</b>. <b>s2</b>.</p>", "s0. s1. s2.")
    mixed = [*units[:1], ("item", Text("i", "i")), *units[1:]]
    assert study_answer([Block("list", tuple(mixed), 1)]) == _join(mixed)
    assert study_answer([]) == _join([]) == Text("", "")
