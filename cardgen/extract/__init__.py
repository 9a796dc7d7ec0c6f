"""Extract stage: pure functions from a ``Note`` to ``Card``s, registered by name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cardgen.extract import callouts, claims, headings
from cardgen.model import Card, Diagnostic, Note
from cardgen.settings import ANSWER_WORDS, EXTRACTOR_NAMES, HIDDEN_WORDS


@dataclass(frozen=True)
class ExtractOptions:
    """The knobs the extractors have (``cardgen.toml`` sets them)."""

    answer_words: int = ANSWER_WORDS
    hidden_words: int = HIDDEN_WORDS


class Extractor(Protocol):
    def __call__(self, note: Note, options: ExtractOptions, hints: list[Diagnostic]) -> list[Card]:
        """The note's cards; ``hints`` collects what could not become a good card (for ``--report``)."""


EXTRACTORS: dict[str, Extractor] = {
    "headings": headings.extract,
    "callouts": callouts.extract,
    "claims": claims.extract,
}
assert tuple(EXTRACTORS) == EXTRACTOR_NAMES


def run_extractors(note: Note, names: Iterable[str], options: ExtractOptions = ExtractOptions(),
                   hints: list[Diagnostic] | None = None) -> list[Card]:
    """Every card the named extractors make from ``note``, in a fixed order.

    ``hints`` (when given) collects weak spots for the quality report, as ``"hint"`` diagnostics.
    """
    found: list[Diagnostic] = [] if hints is None else hints
    cards = [card for name in names for card in EXTRACTORS[name](note, options, found)]
    if cards and not any(s.moments for s in note.sections):
        found.append(Diagnostic(note.path, 1, "no-moments: the note has no timestamp, so its cards link "
                                              "to the start of the video or nowhere", "hint"))
    return cards
