"""stored_cards and the short cuts behind it give what the plain, slow construction gives."""

from __future__ import annotations

from cardgen.extract import run_extractors
from cardgen.markup import escape
from cardgen.media import MediaOptions, NoteMedia
from cardgen.model import Moment
from cardgen.parse import parse_note
from cardgen.settings import EXTRACTOR_NAMES
from cardgen.vault import Recipe, stored_cards

NOTE = """---
title: Heat & "Light"
videoId: Sa1LpRz0-Qk
channel: Some  Channel
tags: [physics]
---

## Photon Pressure

Light exerts a small **radiation pressure** on every surface it meets [00:01:40](#t=00:01:40).

> [!info] Entropy
> Entropy measures how many microstates fit one macrostate [00:02:03].

## Heat Engines

A heat engine turns a temperature difference into work [00:03:00](#t=00:03:00).
"""


def test_every_attribute_of_a_stored_card_comes_from_its_card_and_note():
    note, _ = parse_note("physics/heat.md", NOTE, "heat")
    assert note is not None
    recipe = Recipe(EXTRACTOR_NAMES, "Top", "My Vault", MediaOptions(), tags=("extra",))
    cards = run_extractors(note, EXTRACTOR_NAMES)
    stored = stored_cards(cards, note, recipe)
    assert len(stored) == len(cards) >= 5
    for card, s in zip(cards, stored, strict=True):
        assert (s.key, s.note, s.extractor, s.kind) == (card.key, "physics/heat.md", card.extractor, card.kind)
        assert s.deck == "Top::physics"
        assert s.tags == ["cardgen", "video::Sa1LpRz0-Qk", "channel::some_channel", "physics", "extra"]
        assert s.moments == [m.seconds for m in card.moments] and s.moments
        assert (s.line, s.video, s.concept) == (card.line, "Sa1LpRz0-Qk", card.concept)
        assert (s.guid, s.fp, s.mod, s.retired, s.nid, s.pos) == ("", "", 0, None, 0, 0)
        assert s.fields[:3] == [card.front, card.back, card.context]
        assert s.fields[3] == " · ".join(
            f'<a href="{escape(f"https://www.youtube.com/watch?v=Sa1LpRz0-Qk&t={m.seconds}s")}">▶ {m.label}</a>'
            for m in card.moments)
        assert s.fields[4].endswith(f">physics/heat.md:{card.line}</a>")
    assert any(s.concept == "entropy" for s in stored)
    assert len({s.line for s in stored}) > 1  # the source link's line is each card's own


def test_cards_sharing_moments_get_equal_links_but_their_own_moment_lists():
    note, _ = parse_note("heat.md", NOTE, "heat")
    assert note is not None
    stored = stored_cards(run_extractors(note, EXTRACTOR_NAMES), note,
                          Recipe(EXTRACTOR_NAMES, "Top", "v", MediaOptions()))
    at_100 = [s for s in stored if s.moments == [100]]
    assert len(at_100) >= 2  # the heading's card and the claim's
    assert len({s.fields[3] for s in at_100}) == 1
    assert len({id(s.moments) for s in at_100}) == len(at_100)


def test_links_of_a_note_are_remembered_per_tuple_of_moments_and_keep_their_order():
    note, _ = parse_note("heat.md", NOTE, "heat")
    assert note is not None
    media = NoteMedia(note, MediaOptions())
    one, two = (Moment(100),), (Moment(100), Moment(5, "Lz4Gn8Rk2Yc"))
    assert media.links(one) == media.anchor(Moment(100))
    assert media.links(two) == media.anchor(Moment(100)) + " · " + media.anchor(Moment(5, "Lz4Gn8Rk2Yc"))
    assert media.links(two[::-1]) == media.anchor(Moment(5, "Lz4Gn8Rk2Yc")) + " · " + media.anchor(Moment(100))
    assert media.links(()) == ""
