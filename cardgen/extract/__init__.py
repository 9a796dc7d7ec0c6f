"""Extract stage: pure functions from a ``Note`` to ``Card``s, registered by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cardgen.extract import callouts, claims, headings
from cardgen.model import Card, Note
from cardgen.settings import EXTRACTOR_NAMES

Extractor = Callable[[Note], list[Card]]

EXTRACTORS: dict[str, Extractor] = {
    "headings": headings.extract,
    "callouts": callouts.extract,
    "claims": claims.extract,
}
assert tuple(EXTRACTORS) == EXTRACTOR_NAMES


def run_extractors(note: Note, names: Iterable[str]) -> list[Card]:
    """Every card the named extractors make from ``note``, in a fixed order."""
    return [card for name in names for card in EXTRACTORS[name](note)]
