"""cardgen: Markdown video notes -> Anki decks with stable identities."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["BuildOptions", "BuildReport", "Card", "Note", "__version__", "build_deck", "parse_note"]
_HOMES = {"BuildOptions": "pipeline", "BuildReport": "pipeline", "build_deck": "pipeline",
          "Card": "model", "Note": "model", "parse_note": "parse"}


def __getattr__(name: str) -> Any:
    """The public API, imported on first use so that ``build-deck`` starts fast."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"cardgen.{_HOMES[name]}"), name)
    raise AttributeError(name)
