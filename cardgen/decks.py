"""Deck names and tags from cardgen.toml: checked once, applied to every note.

Deck names come from a template such as ``{deck}::{channel}::{title}``. Each ``::`` of the template
starts a subdeck; ``::`` inside a value (a title such as "C++::STL") is replaced by a space, so a
note can never add levels the template did not ask for. Kept free of heavy imports: the CLI
validates ``cardgen.toml`` with it before anything is built.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cardgen.model import Note

PLACEHOLDERS = {
    "deck": "the top deck (--deck; default: the notes folder's name)",
    "folder": "the note's folders, one subdeck each (science::physics); empty at the vault's top",
    "title": "the note's title (frontmatter title, else its # heading, else the file name)",
    "channel": "the video's channel (frontmatter channel, else the From: [[channel]] line); may be empty",
}


def check_template(template: str) -> str | None:
    """Why ``template`` cannot name decks, or ``None`` when it can."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as e:  # a lone { or }
        return f"{e}; write a literal brace as {{{{ or }}}}"
    allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    for name, spec, conv in fields:
        if name not in PLACEHOLDERS or spec or conv:
            shown = "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
            return f"unknown placeholder {shown}; use {allowed}"
    return None


def check_deck(name: str) -> str | None:
    """Why ``name`` cannot be the top deck, or ``None`` when it can."""
    if _clean(name):
        return None
    return f"deck name {name!r} is empty; name the top deck with a word (or leave it out: the notes folder's name)"


def check_tag(tag: str) -> str | None:
    """Why ``tag`` is not an Anki tag, or ``None`` when it is."""
    if not tag or any(c.isspace() for c in tag):
        return f"tag {tag!r} is empty or has a space (Anki separates tags by spaces); use _ or - instead"
    if not all(tag.split("::")):
        return f"tag {tag!r} has an empty level; write levels as a::b"
    return None


_SPACES = re.compile(r"\s+")


def _clean(value: str) -> str:
    return _SPACES.sub(" ", value.replace("::", " ")).strip()


def deck_name(root: str, template: str, note: Note) -> str:
    """The note's deck; frontmatter ``deck:`` overrides the template.

    A subdeck that comes out empty (``{channel}`` of a note without one, ``{folder}`` at the top of
    the vault) is left out, so such a note files one level higher.
    """
    if note.deck:
        return "::".join(_clean(p) or "_" for p in note.deck.split("::"))
    values = {"deck": _clean(root) or "_", "title": _clean(note.title), "channel": _clean(note.channel or ""),
              # a note's path is vault-relative with forward slashes (files.discover): split as a string
              "folder": "::".join(_clean(f) or "_" for f in note.path.split("/")[:-1])}
    levels = (_clean(level) for level in template.format_map(values).split("::"))
    return "::".join(level for level in levels if level) or values["deck"]
