"""Names and defaults shared by the CLI and the library.

Kept free of heavy imports: a rebuild that finds nothing changed must start and answer fast.
"""

from __future__ import annotations

from collections.abc import Iterable

from cardgen.errors import ConfigError

EXTRACTOR_NAMES = ("headings", "callouts", "claims")  # the order cards are made in
RETIRED_TAG = "cardgen::retired"
RETIRE_DAYS = 60  # how long a card whose source is gone is still packaged, tagged retired
WAIT_SECONDS = 60.0  # how long a build waits for another build of the same output folder
ANKI_CONNECT_URL = "http://127.0.0.1:8765"  # AnkiConnect's own default address
DECK_TEMPLATE = "{deck}::{folder}"  # subdecks follow folders
ANSWER_WORDS = 40  # headings, callouts: stop adding sentences or items to an answer past this many words
HIDDEN_WORDS = 6  # claims: the longest term a cloze hides; longer is a phrase to recite, not a term to recall


def check_names(names: Iterable[str]) -> list[str]:
    names = list(names)
    unknown = [n for n in names if n not in EXTRACTOR_NAMES]
    if unknown:
        raise ConfigError(f"unknown extractor {unknown[0]!r}; choose from {', '.join(EXTRACTOR_NAMES)}")
    return names
