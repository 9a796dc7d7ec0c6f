"""One concept, one card: a term several notes define becomes one definition card (issue 7)."""

from __future__ import annotations

import re

from anki.collection import Collection
from test_anki_import import duplicate_guids, import_apkg, log_counts, revlog_count

VIDEOS = ("Entr0pyVid1", "Entr0pyVid2", "Entr0pyVid3")


def definer(n: int, title: str = "Entropy", body: str = "", stamp: str = "00:0{n}:1{n}") -> str:
    stamp = stamp.format(n=n)
    return (f"---\ntitle: Lecture {n}\nvideoId: {VIDEOS[n - 1]}\n---\n\n## Heat\n\n"
            f"> [!info] {title}\n> {body or f'A measure of disorder, as lecture {n} puts it.'} [{stamp}]\n\n"
            f"Heat engines always waste some energy as heat in lecture number {n} [00:0{n}:2{n}].\n")


def the_cards(vault, needle: str = "Entropy") -> list[dict]:
    return [c for c in vault.cards() if f"<b>{needle}</b>" in c["fields"].get("Front", "")]


def moment_links(card: dict) -> list[str]:
    return re.findall(r'href="([^"]+)"', card["fields"]["Moment"])


def test_a_term_defined_in_three_notes_is_one_card_with_three_moments(vault):
    for n in (1, 2, 3):
        vault.write(f"lecture-{n}.md", definer(n))
    report = vault.build()
    [card] = the_cards(vault)
    links = moment_links(card)
    assert len(links) == 3
    assert [re.search(r"v=([\w-]+)", u).group(1) for u in links] == list(VIDEOS)
    assert card["fields"]["Back"].startswith("<p>A measure of disorder, as lecture 1 puts it.")
    assert card["fields"]["Moment"].count('class="cg-from"') == 3 and "Lecture 3" in card["fields"]["Moment"]
    assert card["fields"]["Source"].count("obsidian://open") == 3
    assert report.cards["callouts"] == 1 and report.changes["new"] == len(vault.cards())


def test_removing_definers_keeps_the_card_until_none_is_left(vault):
    for n in (1, 2, 3):
        vault.write(f"lecture-{n}.md", definer(n))
    vault.build()
    [card] = the_cards(vault)
    (vault.dir / "lecture-1.md").unlink()
    report = vault.build(timestamp=2_000_000_000)
    [again] = the_cards(vault)
    assert again["guid"] == card["guid"] and len(moment_links(again)) == 2
    assert "cardgen::retired" not in again["tags"]
    assert report.changes["retired"] == 2  # lecture 1's heading and claim cards, not the definition
    (vault.dir / "lecture-2.md").unlink()
    vault.build(timestamp=2_000_000_100)
    [alone] = the_cards(vault)
    assert alone["guid"] == card["guid"] and len(moment_links(alone)) == 1
    (vault.dir / "lecture-3.md").unlink()
    vault.build(timestamp=2_000_000_200)
    [gone] = the_cards(vault)
    assert gone["guid"] == card["guid"] and "cardgen::retired" in gone["tags"]


def test_the_same_wikilink_target_or_article_is_the_same_concept(vault):
    vault.write("lecture-1.md", definer(1, title="[[entropy | Entropy (physics)]]"))
    vault.write("lecture-2.md", definer(2, title="The Entropy"))
    vault.write("lecture-3.md", definer(3, title="Enthalpy", body="Heat content at constant pressure."))
    vault.build()
    fronts = [c["fields"]["Front"] for c in vault.cards() if c["fields"].get("Front", "").startswith("What is")]
    assert len(fronts) == 2 and sum("Enthalpy" in f for f in fronts) == 1


def test_editing_one_definer_updates_the_one_card_in_place(vault):
    for n in (1, 2):
        vault.write(f"lecture-{n}.md", definer(n))
    vault.build()
    [card] = the_cards(vault)
    vault.write("lecture-1.md", definer(1, body="The logarithm of the number of microstates."))
    report = vault.build(timestamp=2_000_000_000)
    [again] = the_cards(vault)
    assert again["guid"] == card["guid"] and "microstates" in again["fields"]["Back"]
    assert again["mod"] > card["mod"] and report.changes["new"] == 0


def test_a_second_definer_turns_the_notes_card_into_the_one_card_and_anki_keeps_its_reviews(vault, tmp_path):
    """The first note's own card becomes the shared one: same GUID, so Anki updates it in place."""
    vault.write("lecture-1.md", definer(1))
    vault.build()
    [own] = the_cards(vault)
    assert len(moment_links(own)) == 1
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_apkg(col, vault.out / "notes.apkg")
        [nid] = col.find_notes('"Front:*<b>Entropy</b>*"')
        card = col.get_note(nid).cards()[0]
        card.start_timer()
        col.sched.answerCard(card, 3)  # one review of the definition
        reviews, notes_before = revlog_count(col), col.note_count()
        vault.write("lecture-2.md", definer(2))
        report = vault.build(timestamp=2_000_000_000)
        assert {"card": "concept#entropy", "was": "lecture-1#callouts#entropy",
                "why": "one card for a term 2 notes define"} in report.reattached
        [shared] = the_cards(vault)
        assert shared["guid"] == own["guid"] and len(moment_links(shared)) == 2
        log = import_apkg(col, vault.out / "notes.apkg")
        assert nid in {e.id.nid for e in log.updated}
        assert col.find_notes('"Front:*<b>Entropy</b>*"') == [nid]
        assert col.note_count() == notes_before + 2  # lecture 2's heading and claim cards
        assert revlog_count(col) == reviews == 1 and duplicate_guids(col) == 0
        assert log_counts(log)["conflicting"] == 0
    finally:
        col.close()


def test_a_term_many_notes_define_lists_the_first_dozen(vault):
    for n in range(1, 16):
        vault.write(f"lecture-{n:02d}.md", definer(1).replace("Lecture 1", f"Lecture {n}"))
    vault.build()
    [card] = the_cards(vault)
    assert len(moment_links(card)) == 12 and "and 3 more notes" in card["fields"]["Moment"]


def test_new_notes_sharing_a_new_term_join_an_existing_vault(vault):
    """Their own cards are new in this build and become the one card at once: nothing to re-attach."""
    vault.write("other.md", definer(3, title="Enthalpy", body="Heat content at constant pressure."))
    vault.build()
    for n in (1, 2):
        vault.write(f"lecture-{n}.md", definer(n))
    report = vault.build(timestamp=2_000_000_000)
    assert len(the_cards(vault)) == 1 and not report.reattached and report.changes["retired"] == 0
    assert report.changes["new"] == 5  # two headings, two claims, one shared definition


def test_a_new_definer_filed_before_the_studied_one_leaves_it_its_identity(vault):
    """The one card takes over the card the learner may have studied, not the newcomer's, wherever it sorts."""
    vault.write("lecture-2.md", definer(2))
    vault.build()
    [studied] = the_cards(vault)
    vault.write("lecture-1.md", definer(1))  # sorts first: its card would be the first note's
    report = vault.build(timestamp=2_000_000_000)
    [shared] = the_cards(vault)
    assert shared["guid"] == studied["guid"] and len(moment_links(shared)) == 2
    assert [r["was"] for r in report.reattached] == ["lecture-2#callouts#entropy"]
    assert shared["fields"]["Back"].startswith("<p>A measure of disorder, as lecture 1 puts it.")


def test_a_second_definer_in_the_build_that_renames_the_first_note_leaves_it_its_identity(vault):
    """The first note's key changes in the very build that makes the term's one card: a second
    lecture-1.md in another folder (its key becomes physics/lecture-1), or a rename. Before, the
    renamed note's definition counted as new, the one card took that new identity, and the studied
    card retired: its reviews were lost."""
    vault.write("physics/lecture-1.md", definer(1))
    vault.build()
    [card] = the_cards(vault)
    for step, change in enumerate([lambda: vault.write("info/lecture-1.md", definer(2)),
                                   lambda: ((vault.dir / "physics/lecture-1.md").rename(vault.dir / "physics/thermo.md"),
                                            vault.write("info/shannon.md", definer(3)))]):
        change()
        report = vault.build(timestamp=2_000_000_000 + 100 * step)
        [one] = the_cards(vault)
        assert one["guid"] == card["guid"] and "cardgen::retired" not in one["tags"]
        assert report.changes["retired"] == 0


def test_two_studied_cards_of_a_term_become_one_and_the_other_retires_in_anki(vault, tmp_path):
    """A note's tip about a term becomes a definition of it, as another note's is: before, the one card
    took the tip card's identity and the other note's studied definition was left out of the deck, neither
    updated nor retired: a stale duplicate in Anki for ever."""
    vault.write("lecture-1.md", definer(1))
    vault.write("lecture-2.md", definer(2).replace("[!info]", "[!tip]"))
    vault.build()
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_apkg(col, vault.out / "notes.apkg")
        for nid in col.find_notes('"Front:*Entropy*"'):  # one review each: the definition and the tip
            card = col.get_note(nid).cards()[0]
            card.start_timer()
            col.sched.answerCard(card, 3)
        [definition] = col.find_notes('"Front:What is <b>Entropy</b>?"')
        notes_before = col.note_count()
        vault.write("lecture-2.md", definer(2))  # [!tip] -> [!info]
        report = vault.build(timestamp=2_000_000_000)
        assert report.changes["retired"] == 1
        import_apkg(col, vault.out / "notes.apkg")
        assert col.note_count() == notes_before and duplicate_guids(col) == 0
        # the one card is the studied definition, now with both moments
        assert len(moment_links({"fields": dict(col.get_note(definition).items())})) == 2
        assert "cardgen::retired" not in col.get_note(definition).tags
        [tip] = [n for n in col.find_notes('"Front:*Entropy*"') if n != definition]
        assert "cardgen::retired" in col.get_note(tip).tags  # the other studied card: retired, reviews kept
        assert revlog_count(col) == 2
    finally:
        col.close()
