"""Card identity: GUIDs come from note key + extractor + anchor, never from content."""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath

from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen.ids import DRIFT, SIMILAR, _jaccard, alike, card_guid, moved_claims, note_keys
from cardgen.state import StoredCard

NOTE = """
---
title: Hilbert Hotel paradox
videoId: OxGsU8oIWjY
---

From: [[veritasium]] <br/>

## Accommodating Guests

The manager moves every guest up one room <a class="yt-timestamp" data-t="00:00:50">[00:00:50]</a>.

> [!info] Countable set
> A set whose elements can be numbered 1, 2, 3 and so on.

## Uncountable Infinity

The real numbers cannot be listed, as [[cantor | Cantor]] showed with his diagonal argument [00:05:16](#t=00:05:16).
"""


def guids_by_key(vault) -> dict[str, str]:
    return {c["fields"]["Source"]: c["guid"] for c in vault.cards()}


def test_guid_is_a_pure_function_of_vault_and_key():
    assert card_guid("notes", "a#claims#t50") == card_guid("notes", "a#claims#t50")
    assert card_guid("notes", "a#claims#t50") != card_guid("notes", "b#claims#t50")
    assert card_guid("course-x", "intro#headings#a") != card_guid("course-y", "intro#headings#a")


def test_guid_is_genankis_guid_for():
    """cardgen computes genanki's GUIDs itself (for speed): every deck built so far keeps its GUIDs."""
    import genanki

    for namespace, key in [("notes", "a#claims#t50"), ("", ""), ("Économie", "vidéo#headings#ünïcode/€"),
                           ("vault", "x" * 500), ("course-x", "intro#callouts#what-is-entropy~2")]:
        assert card_guid(namespace, key) == genanki.guid_for("cardgen", namespace, key)


def test_guid_is_genankis_for_hashes_of_every_length():
    """Digits are made two at a time: a hash with an odd number of base-91 digits (about one in
    forty) must not gain a leading zero digit."""
    import genanki

    keys = [f"note-{i}#claims#t{i}" for i in range(3000)]
    guids = [card_guid("notes", key) for key in keys]
    assert {len(g) for g in guids} == {9, 10}  # both parities occur
    assert guids == [genanki.guid_for("cardgen", "notes", key) for key in keys]


def test_editing_answers_and_rewording_claims_keeps_every_guid(vault):
    vault.write("hilbert.md", NOTE)
    vault.build()
    before = {c["guid"] for c in vault.cards()}
    edited = (NOTE.replace("numbered 1, 2, 3 and so on", "put in one-to-one correspondence with 1, 2, 3")
              .replace("The manager moves every guest up one room", "Every guest is asked to move one room up")
              .replace("## Uncountable Infinity\n\nThe real numbers cannot be listed",
                       "## Uncountable Infinity\n\nNobody can write the real numbers in a list"))
    vault.write("hilbert.md", edited)
    vault.build()
    after = vault.cards()
    assert {c["guid"] for c in after} == before
    assert any("one-to-one correspondence" in c["fields"]["Back"] for c in after)
    assert any("Nobody can write" in c["fields"]["Text"] for c in after if c["notetype"] == "cardgen cloze")


def test_moving_a_note_and_reordering_sections_keeps_every_guid(vault):
    path = vault.write("hilbert.md", NOTE)
    vault.build()
    before = {c["guid"] for c in vault.cards()}
    path.unlink()
    head, first, second = NOTE.split("## ")
    vault.write("maths/sets/hilbert.md", head + "## " + second.rstrip("\n") + "\n\n## " + first)
    vault.build()
    after = vault.cards()
    assert {c["guid"] for c in after} == before
    assert {c["deck"] for c in after} == {"notes::maths::sets"}


def test_same_headings_in_two_notes_never_collide(vault):
    for name in ("one", "two"):
        vault.write(f"{name}.md", f"""
        ---
        title: Talk {name}
        videoId: abcdefghij{name[0]}
        ---

        ## Introduction

        The speaker introduces talk {name}.

        ## Summary

        Talk {name} ends here.
        """)
    report = vault.build()
    cards = vault.cards()
    assert report.errors == []
    assert len(cards) == 4
    assert len({c["guid"] for c in cards}) == 4


def test_same_file_name_in_two_folders_gets_two_identities():
    keys = note_keys(["a/intro.md", "b/intro.md", "c/other.md"])
    assert keys == {"a/intro.md": "a/intro", "b/intro.md": "b/intro", "c/other.md": "other"}


def test_two_notes_claiming_one_identity_fail_with_file_and_line(vault):
    body = """
    ---
    title: Copy {n}
    id: shared-id
    videoId: abcdefghijk
    ---

    ## Point

    Something worth remembering {n}.
    """
    vault.write("a.md", body.format(n=1))
    vault.write("b.md", body.format(n=2))
    vault.write("c.md", "---\ntitle: Fine\n---\n\n## Fine\n\nThis note is fine.\n")
    report = vault.build()
    assert report.failed == ["b.md"]
    [error] = report.errors
    assert str(error).startswith("b.md:7: error: card identity 'id:shared-id#headings#point' is already used by a.md:7")
    assert {c["fields"]["Context"] for c in vault.cards()} == {"Copy 1 › Point", "Fine"}  # a heading that repeats the title is not shown twice


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text("ab.c", min_size=1, max_size=4).filter(lambda p: p not in (".", "..")),
                         min_size=1, max_size=3).map("/".join), min_size=1, max_size=8, unique=True))
def test_note_keys_agree_with_pathlib(paths):
    """note_keys works on strings for speed; it must say what PurePosixPath would."""
    stems = Counter(PurePosixPath(p).stem for p in paths)
    expected = {p: PurePosixPath(p).stem if stems[PurePosixPath(p).stem] == 1
                else str(PurePosixPath(p).with_suffix("")) for p in paths if PurePosixPath(p).name}
    assert {p: k for p, k in note_keys(paths).items() if p in expected} == expected


_WORD_SETS = st.lists(st.tuples(st.sets(st.sampled_from([f"w{i}" for i in range(8)] + ["the"]), max_size=6),
                                 st.integers(0, 40)), max_size=12)


@settings(max_examples=500, deadline=None)
@given(_WORD_SETS, _WORD_SETS, st.booleans())
def test_alike_finds_every_pair_comparing_all_would(new, old, timed):
    """Cards and notes alike are looked up (prefix filtering, by moment), not compared with every other:
    the lookup must find every pair at least SIMILAR alike (and at most DRIFT seconds apart), as
    comparing all pairs does."""
    every = [(_jaccard(a, b), i, j) for i, (a, at) in enumerate(new) for j, (b, was) in enumerate(old)
             if _jaccard(a, b) >= SIMILAR and (not timed or abs(at - was) <= DRIFT)]
    moments = ([at for _, at in new], [was for _, was in old]) if timed else None
    assert alike([a for a, _ in new], [b for b, _ in old], moments) == every


# -- claims whose stamps moved onto each other's moments ------------------------------------------
WORDS = {"a": "Lanthanum glows green under ultraviolet light", "b": "Praseodymium forms yellow salts in water",
         "c": "Neodymium makes the strongest permanent magnets", "d": "Cerium polishes glass for telescope mirrors"}


def claim(text: str, at: int) -> StoredCard:
    return StoredCard(key=f"n#claims#t{at}", note="n.md", extractor="claims", kind="cloze", deck="d", tags=[],
                      fields=[WORDS[text], ""], moments=[at], line=1)


def settled(before: dict[str, int], after: dict[str, int]) -> dict[str, str]:
    """The key each claim (by its words) ends with: ``before`` and ``after`` give each claim's moment."""
    earlier = {c.key: c for c in (claim(t, at) for t, at in before.items())}
    cards = [claim(t, at) for t, at in after.items()]
    moved_claims(cards, earlier, lambda key: False)
    assert len({c.key for c in cards}) == len(cards), "two cards with one key"
    return {next(t for t, w in WORDS.items() if w == c.fields[0]): c.key for c in cards}


def test_claims_shifted_by_their_gap_keep_the_keys_they_had() -> None:
    keys = {"a": "n#claims#t50", "b": "n#claims#t52", "c": "n#claims#t54"}
    assert settled({"a": 50, "b": 52, "c": 54}, {"a": 52, "b": 54, "c": 56}) == keys
    assert settled({"a": 50, "b": 52, "c": 54}, {"a": 48, "b": 50, "c": 52}) == keys


def test_a_claim_moved_onto_a_deleted_ones_moment_keeps_its_key() -> None:
    assert settled({"a": 50, "b": 52}, {"a": 52}) == {"a": "n#claims#t50"}


def test_two_claims_whose_stamps_were_swapped_keep_their_keys() -> None:
    assert settled({"a": 50, "b": 52, "c": 54}, {"a": 52, "b": 50}) == {"a": "n#claims#t50", "b": "n#claims#t52"}
    assert settled({"a": 50, "b": 52}, {"a": 52, "b": 50}) == {"a": "n#claims#t50", "b": "n#claims#t52"}


def test_a_new_claim_where_a_moved_one_was_takes_a_key_of_its_own() -> None:
    # b is deleted, a corrected onto its moment, a new claim d put at a's: a keeps its key; d takes
    # neither a's nor b's (b's Anki note would show d's words on b's reviews)
    assert settled({"a": 50, "b": 52}, {"d": 50, "a": 52}) == {"a": "n#claims#t50", "d": "n#claims#t50~2"}


def test_what_is_not_a_moved_claim_keeps_its_moment_key() -> None:
    # reworded at its moment (a new text, nothing earlier like it nearby), and a new claim on a freed moment
    assert settled({"a": 50, "b": 52}, {"d": 50}) == {"d": "n#claims#t50"}
    assert settled({"a": 50, "b": 52}, {"a": 50, "d": 52}) == {"a": "n#claims#t50", "d": "n#claims#t52"}
    # in the same words, a claim is the earlier one however far its stamp moved (a stamp corrected by hand)
    assert settled({"a": 50, "b": 60}, {"a": 60}) == {"a": "n#claims#t50"}


def test_a_claim_reworded_and_moved_a_second_or_two_keeps_its_key() -> None:
    """A regenerated note: reworded past telling by its words, and a second or two later. Before, a new
    card, the reviewed one retired. Only where it is the one such claim near the one earlier claim left."""
    a, d = claim("a", 50), claim("d", 51)  # d: a's new words
    moved_claims([d], {a.key: a}, lambda key: False)
    assert d.key == "n#claims#t50"
    b2 = claim("b", 60)  # a and b both reworded, each a second later: each its own
    cards = [claim("c", 51), claim("d", 61)]
    moved_claims(cards, {a.key: a, b2.key: b2}, lambda key: False)
    assert [c.key for c in cards] == ["n#claims#t50", "n#claims#t60"]
    # three seconds: another claim; two claims near the one earlier claim: neither is it
    moved_claims(far := [claim("d", 53)], {a.key: a}, lambda key: False)
    moved_claims(two := [claim("c", 49), claim("d", 51)], {a.key: a}, lambda key: False)
    assert far[0].key == "n#claims#t53" and [c.key for c in two] == ["n#claims#t49", "n#claims#t51"]


def test_two_claims_alike_one_earlier_claim_take_neither_its_key() -> None:
    earlier = {c.key: c for c in (claim("a", 50),)}
    cards = [claim("a", 51), claim("a", 52)]
    cards[1].key = "n#claims#t52"
    moved_claims(cards, earlier, lambda key: False)
    assert [c.key for c in cards] == ["n#claims#t51", "n#claims#t52"]  # reattach warns of the conflict


def test_claims_in_the_same_words_keep_their_keys_however_far_their_stamps_moved() -> None:
    # swapped 6 s apart, and moved 6 s onto a deleted claim's moment: past DRIFT, but word for word
    assert settled({"a": 50, "b": 56}, {"a": 56, "b": 50}) == {"a": "n#claims#t50", "b": "n#claims#t56"}
    assert settled({"a": 50, "b": 56}, {"a": 56}) == {"a": "n#claims#t50"}


def test_a_new_claim_at_the_key_a_moved_claim_kept_takes_a_key_of_its_own() -> None:
    # a moved from 0:50 to 0:54 keeps the key t50 (settled before); d is new at 0:50: t50 is no claim of 0:50
    a = claim("a", 54)
    a.key = "n#claims#t50"
    cards = [claim("d", 50), claim("a", 54)]
    moved_claims(cards, {a.key: a}, lambda key: False)
    assert [c.key for c in cards] == ["n#claims#t50~2", "n#claims#t50"]


def test_the_same_words_said_again_later_are_no_rival() -> None:
    # "a" at 0:50 and again at 1:40, all stamps 2 s later: each is the earlier one near it
    earlier = {c.key: c for c in (claim("a", 50), claim("a", 100))}
    cards = [claim("a", 52), claim("a", 102)]
    moved_claims(cards, earlier, lambda key: False)
    assert [c.key for c in cards] == ["n#claims#t50", "n#claims#t100"]


def test_a_claim_of_other_words_does_not_keep_a_contested_key() -> None:
    # a copied to 0:47 and 0:53 (neither is a), and d written at a's 0:50: d is new, not a's card
    earlier = {c.key: c for c in (claim("a", 50),)}
    cards = [claim("a", 47), claim("d", 50), claim("a", 53)]
    moved_claims(cards, earlier, lambda key: False)
    assert [c.key for c in cards] == ["n#claims#t47", "n#claims#t50~2", "n#claims#t53"]


def test_claims_with_no_words_are_no_claim_moved() -> None:
    # nothing to tell them by: a claim with no words (a stamped formula) 20 s from an earlier one is not it
    earlier, now = claim("a", 50), claim("a", 70)
    earlier.fields = now.fields = ["<b></b>", ""]
    moved_claims([now], {earlier.key: earlier}, lambda key: False)
    assert now.key == "n#claims#t70"
