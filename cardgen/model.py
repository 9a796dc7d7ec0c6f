"""The typed values passed between stages: parse -> Note -> extract -> Card -> package.

Text is stored already rendered as safe HTML (escaped, sanitized, ``{``/``}`` neutralised) next
to its plain-text reading, so every later stage composes it without rendering twice.

No stage changes a value another one made. The classes made by the thousand per note (Text,
Sentence, Block, Card) are still not declared frozen: a frozen dataclass sets each field through
``object.__setattr__``, which makes building one three to four times slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cardgen.media import Source
from cardgen.timestamps import Moment

__all__ = ["Block", "Callout", "Card", "Diagnostic", "Moment", "Note", "Section", "Sentence", "Text"]


@dataclass(slots=True)
class Text:
    """A run of inline content: ``html`` for the card, ``plain`` for reading and matching."""

    html: str
    plain: str


@dataclass(slots=True)
class Sentence:
    """One sentence; a *claim* when it carries moments."""

    text: Text
    moments: tuple[Moment, ...]
    terms: tuple[str, ...]  # wikilink aliases and bold phrases: the best words to hide
    line: int
    lead: str = ""  # the list item it is a sub-item of ("Pretraining" over "- uses next-token prediction")
    before: Text | None = None  # the sentence it refers back to ("It is calculated as …"), in its paragraph
    after: Block | None = None  # what it announces ("… is given by the formula:"): the block after its paragraph


@dataclass(slots=True)
class Block:
    """A block of section content with the units a study-sized answer is cut from.

    ``units`` are (kind, Text) pairs: ``sentence`` from paragraphs, ``item`` from lists,
    ``whole`` for code, math and tables that cannot be cut.
    """

    kind: str
    units: tuple[tuple[str, Text], ...]
    line: int


@dataclass(frozen=True, slots=True)
class Callout:
    """``> [!kind] Title`` and its body."""

    kind: str
    title: Text | None
    blocks: tuple[Block, ...]
    moments: tuple[Moment, ...]
    line: int
    link: str | None = None  # the target when the title is one wikilink, ``[[concept | Concept]]``


@dataclass(frozen=True, slots=True)
class Section:
    """The content under one heading (the part before any heading has ``heading=None``)."""

    heading: Text | None
    trail: tuple[str, ...]  # plain headings from the top level down to this one
    level: int
    line: int
    moments: tuple[Moment, ...]  # every moment in the section, in order
    blocks: tuple[Block, ...]
    callouts: tuple[Callout, ...]
    claims: tuple[Sentence, ...]
    before: Moment | None  # the last moment earlier in the note, for sections without their own
    loose: tuple[Moment, ...]  # stamps standing alone on a line, marking the block next to them


@dataclass(frozen=True, slots=True)
class Note:
    path: str  # relative to the vault, with forward slashes
    key: str  # identity of the note; survives moving the file to another folder
    title: str
    video: str | None
    channel: str | None
    tags: tuple[str, ...]
    deck: str | None  # frontmatter override of the deck name
    sections: tuple[Section, ...]
    media: Source | None = None  # a source other than YouTube (Vimeo, an audio file, a URL template)


Kind = Literal["basic", "cloze"]


@dataclass(slots=True)
class Card:
    """One Anki note to be. ``key`` is its identity; every other field is content."""

    key: str
    kind: Kind
    extractor: str
    front: str  # HTML; for a cloze card the text with its {{c1::...}} deletion
    back: str  # HTML; extra text for a cloze card
    context: str  # HTML breadcrumb: note title > section trail
    moments: tuple[Moment, ...]
    line: int
    heading: str = ""  # the section's heading, plain: where the back-link to the note lands
    concept: str = ""  # for a definition: its normalised term; notes defining one term share one card


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A warning or error about one place in one note; or a hint: a weak card, for ``--report`` only."""

    path: str
    line: int
    message: str
    level: Literal["warning", "error", "hint"] = "warning"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"
