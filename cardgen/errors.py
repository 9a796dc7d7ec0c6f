"""The project's own errors. Library code raises these; the CLI turns them into messages."""

from __future__ import annotations


class CardgenError(Exception):
    """Anything cardgen reports to the user instead of a traceback."""


class NoteError(CardgenError):
    """A note that cannot be read or parsed; the rest of the vault still builds."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


class ConfigError(CardgenError):
    """An option or setting with a value cardgen does not accept."""


class PackageError(CardgenError):
    """The deck could not be written (disk full, permissions, two cards with one identity)."""
