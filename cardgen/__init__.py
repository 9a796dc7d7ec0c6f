"""cardgen: Markdown video notes -> Anki decks with stable identities."""

from cardgen.model import Card, Note
from cardgen.parse import parse_note
from cardgen.pipeline import BuildOptions, BuildReport, build_deck

__version__ = "0.1.0"
__all__ = ["BuildOptions", "BuildReport", "Card", "Note", "__version__", "build_deck", "parse_note"]
