"""Identity: the only code that decides which Anki note a card is.

A card's key is ``<note key>#<extractor>#<anchor>``: the note's identity (its file name, or a
frontmatter ``id``), the extractor, and an anchor inside the note (heading trail, callout term,
claim moment). Content never enters it, so editing an answer updates the card in place.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePosixPath

import genanki

NAMESPACE = "cardgen"


def card_guid(vault: str, key: str) -> str:
    """The Anki GUID of the card with this key in the vault whose top deck is ``vault``.

    Namespaced by tool and vault: two vaults that both have an ``intro.md`` never overwrite each
    other's cards, and no other generator's GUIDs can collide with ours.
    """
    return str(genanki.guid_for(NAMESPACE, vault, key))


def deck_id(name: str) -> int:
    """A deck id derived from the name (Anki matches decks by name; the id only has to be valid)."""
    return 1 << 30 | int.from_bytes(hashlib.sha1(name.encode()).digest()[:4], "big") >> 2


def note_keys(paths: Iterable[str]) -> dict[str, str]:
    """Default note keys: the file name without extension, so moving a note keeps its cards.

    Two notes with one file name in different folders are told apart by their folder.
    """
    paths = list(paths)
    stems = Counter(PurePosixPath(p).stem for p in paths)
    return {p: PurePosixPath(p).stem if stems[PurePosixPath(p).stem] == 1 else str(PurePosixPath(p).with_suffix(""))
            for p in paths}
