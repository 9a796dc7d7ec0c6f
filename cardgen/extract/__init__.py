"""Extract stage: pure functions from a ``Note`` to ``Card``s, registered by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cardgen.errors import ConfigError
from cardgen.extract import callouts, claims, headings
from cardgen.model import Card, Note

Extractor = Callable[[Note], list[Card]]

EXTRACTORS: dict[str, Extractor] = {
    "headings": headings.extract,
    "callouts": callouts.extract,
    "claims": claims.extract,
}


def check_names(names: Iterable[str]) -> list[str]:
    names = list(names)
    unknown = [n for n in names if n not in EXTRACTORS]
    if unknown:
        raise ConfigError(f"unknown extractor {unknown[0]!r}; choose from {', '.join(EXTRACTORS)}")
    return names


def run_extractors(note: Note, names: Iterable[str]) -> list[Card]:
    """Every card the named extractors make from ``note``, in a fixed order."""
    return [card for name in names for card in EXTRACTORS[name](note)]
