"""Rebuilding as notes change: state, change times, re-attachment, retirement, cache, dry run, lock."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import threading

import pytest
from conftest import T0

import cardgen.changes
import cardgen.pipeline
import cardgen.vault
from cardgen.errors import CardgenError
from cardgen.lock import build_lock

NOTE = """
---
title: Solar sails
videoId: Sa1LpRz0-Qk
---

## Photon Pressure

Light carries momentum although photons have no mass at all <a class="yt-timestamp" data-t="00:01:02">[00:01:02]</a>.

> [!info] Radiation pressure
> The force per unit area that light exerts on a surface it strikes.

## Missions

The Japanese probe IKAROS first proved interplanetary solar sailing in 2010 <a class="yt-timestamp" data-t="00:04:05">[00:04:05]</a>.
"""


def mods(vault) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(vault.out / ".cardgen" / "notes.state.db")) as db:
        return dict(db.execute("SELECT key, mod FROM cards"))


def guid_of(vault, needle: str, notetype: str = "") -> str:
    [card] = [c for c in vault.cards() if needle in " ".join(c["fields"].values()) and notetype in c["notetype"]]
    return card["guid"]


def test_no_change_rebuild_leaves_the_deck_untouched(vault):
    vault.write("sails.md", NOTE)
    vault.build(T0)
    deck = vault.out / "notes.apkg"
    before, mtime = deck.read_bytes(), deck.stat().st_mtime_ns
    report = vault.build(T0 + 100)
    assert report.changes["unchanged"] == 5 and report.changes["new"] == report.changes["updated"] == 0
    assert not report.written
    assert deck.read_bytes() == before and deck.stat().st_mtime_ns == mtime


def test_same_cards_give_identical_bytes_even_without_state(vault):
    vault.write("sails.md", NOTE)
    vault.build(T0)
    before = (vault.out / "notes.apkg").read_bytes()
    shutil.rmtree(vault.out / ".cardgen")
    (vault.out / "notes.apkg").unlink()
    vault.build(T0)
    assert (vault.out / "notes.apkg").read_bytes() == before


def test_only_edited_cards_get_a_new_modification_time(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    first = mods(vault)
    path.write_text(path.read_text().replace("strikes.", "strikes or reflects from."))
    report = vault.build(T0 + 100)
    second = mods(vault)
    changed = {k for k in first if first[k] != second[k]}
    assert changed == {"sails#callouts#radiation-pressure"}
    assert second["sails#callouts#radiation-pressure"] == T0 + 100
    assert report.changes["updated"] == 1 and report.changes["unchanged"] == 4


def test_modification_time_always_moves_forward(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    path.write_text(path.read_text().replace("strikes.", "hits."))
    vault.build(T0)  # the same second, or a clock set back: Anki would skip an equal mod
    assert mods(vault)["sails#callouts#radiation-pressure"] == T0 + 1


def test_reworded_heading_is_reattached_and_reported(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    old = guid_of(vault, "key points about <b>Missions</b>")
    path.write_text(path.read_text().replace("## Missions", "## Missions So Far"))
    report = vault.build(T0 + 100)
    assert guid_of(vault, "key points about <b>Missions So Far</b>") == old
    assert report.reattached == [{"card": "sails#headings#missions-so-far", "was": "sails#headings#missions",
                                  "why": "same card, 100% alike"}] or report.reattached[0]["was"] == "sails#headings#missions"
    assert report.changes["retired"] == 0


def test_claim_whose_stamp_drifted_keeps_its_identity(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    old = guid_of(vault, "IKAROS first proved", "cloze")
    path.write_text(path.read_text().replace('data-t="00:04:05">[00:04:05]', 'data-t="00:04:07">[00:04:07]'))
    report = vault.build(T0 + 100)
    assert guid_of(vault, "IKAROS first proved", "cloze") == old
    assert [r["was"] for r in report.reattached] == ["sails#claims#t245"]


def test_a_claim_whose_stamp_was_corrected_by_minutes_keeps_its_identity_if_its_words_did_not_change(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    old = guid_of(vault, "IKAROS first proved", "cloze")
    path.write_text(path.read_text().replace('data-t="00:04:05">[00:04:05]', 'data-t="00:04:50">[00:04:50]'))
    report = vault.build(T0 + 100)
    assert guid_of(vault, "IKAROS first proved", "cloze") == old
    assert [r["was"] for r in report.reattached] == ["sails#claims#t245"] and report.changes["retired"] == 0
    # reworded as well as moved that far, it is another claim: the old one retires
    path.write_text(path.read_text().replace("The Japanese probe IKAROS first proved", "Solar sailing in deep space")
                    .replace('data-t="00:04:50">[00:04:50]', 'data-t="00:06:00">[00:06:00]'))
    report = vault.build(T0 + 200)
    assert report.changes["retired"] == 1


def test_renamed_note_keeps_every_identity(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    before = {c["guid"] for c in vault.cards()}
    path.rename(vault.dir / "solar-sailing.md")
    report = vault.build(T0 + 100)
    assert {c["guid"] for c in vault.cards()} == before
    assert len(report.reattached) == 5 and report.changes["retired"] == 0
    assert all(r["why"] == "note renamed from sails.md" for r in report.reattached)


def test_a_second_note_of_the_same_file_name_leaves_the_first_its_identities(vault):
    """physics/lecture-1.md, then econ/lecture-1.md with the same headings: the first note's key
    becomes physics/lecture-1 and its cards keep their GUIDs; the newcomer's cards are new. Before,
    both notes claimed the first one's cards and the build failed with a traceback, every time."""
    vault.write("physics/lecture-1.md", NOTE)
    vault.build(T0)
    before = {c["guid"] for c in vault.cards()}
    econ = NOTE.replace("Solar sails", "Economics").replace("IKAROS", "The probe")
    vault.write("econ/lecture-1.md", econ.replace("[!info] Radiation pressure", "[!info] Price pressure"))
    report = vault.build(T0 + 100)
    cards = vault.cards()
    assert {c["guid"] for c in cards if "physics/lecture-1.md" in c["fields"]["Source"]} == before
    assert not {c["guid"] for c in cards if "econ/lecture-1.md" in c["fields"]["Source"]} & before
    assert report.changes["retired"] == 0 and len(cards) == 2 * len(before)


def test_two_notes_never_steal_one_identity(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    old = guid_of(vault, "IKAROS first proved", "cloze")
    text = path.read_text()
    drifted = text.replace('data-t="00:04:05">[00:04:05]', 'data-t="00:04:06">[00:04:06]')
    twin = drifted.replace('data-t="00:04:06">[00:04:06]', 'data-t="00:04:07">[00:04:07]')
    path.write_text(drifted.replace("## Missions\n", "## Missions\n\n" + twin.split("## Missions\n")[1] + "\n"))
    report = vault.build(T0 + 100)
    guids = [c["guid"] for c in vault.cards() if "IKAROS" in c["fields"].get("Text", "")]
    assert len(guids) == 3 and len(set(guids)) == 3  # two new claims and the retired original
    assert any("neither takes its identity" in d.message for d in report.warnings)
    assert old in guids  # the old card is still there, retired, not given to either newcomer


def test_a_reattached_card_pruned_then_restored_comes_back_as_the_same_anki_note(vault):
    """Its GUID is not its key's: before, restoring its source after the card was pruned gave it the
    key's GUID, and Anki imported a duplicate beside the retired, studied note (identity audit)."""
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    path.write_text(NOTE.replace("## Photon Pressure", "## Pressure of Photons"))  # the heading card is re-attached
    assert vault.build(T0 + 100).reattached
    studied = guid_of(vault, "key points about <b>Pressure of Photons", "basic")
    text = path.read_text()
    path.unlink()
    vault.build(T0 + 200)  # retired
    assert vault.build(T0 + 200 + 61 * 86400).changes["pruned"] == 5
    path.write_text(text)
    report = vault.build(T0 + 300 + 61 * 86400)
    assert guid_of(vault, "key points about <b>Pressure of Photons", "basic") == studied and report.changes["new"] == 5


def test_removed_source_is_retired_then_pruned(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    path.write_text(NOTE.split("> [!info]")[0] + "## Missions" + NOTE.split("## Missions")[1])
    report = vault.build(T0 + 100)
    assert report.changes["retired"] == 1
    [retired] = [c for c in vault.cards() if "cardgen::retired" in c["tags"]]
    assert retired["fields"]["Back"].startswith("<p>The force per unit area")
    assert retired["fields"]["Status"].startswith("Retired on ")
    assert "tag:cardgen::retired" in retired["fields"]["Status"]
    report = vault.build(T0 + 200)
    assert report.changes["still_retired"] == 1 and not report.written
    report = vault.build(T0 + 100 + 61 * 86400)
    assert report.changes["pruned"] == 1
    assert not any("cardgen::retired" in c["tags"] for c in vault.cards())


def test_returning_source_brings_its_card_back(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    old = guid_of(vault, "Radiation pressure")
    path.write_text(NOTE.replace("> [!info]", "> [!info"))  # broken callout: card retired
    vault.build(T0 + 100)
    path.write_text(NOTE)
    report = vault.build(T0 + 200)
    card = next(c for c in vault.cards() if c["guid"] == old)
    assert "cardgen::retired" not in card["tags"] and card["fields"]["Status"] == ""
    assert report.changes["updated"] >= 1 and report.changes["still_retired"] == 0


def test_a_new_note_on_a_deleted_notes_template_takes_none_of_its_retired_cards(vault):
    """Cards retired by an earlier build come back only by their words: a note restored under another name
    does, a new note with the same headings about another video does not (it would inherit the old reviews)."""
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    path.unlink()
    assert vault.build(T0 + 100).changes["retired"] == 5
    other = (NOTE.replace("Solar sails", "Ion engines").replace("Sa1LpRz0-Qk", "I0nEng1ne00")
             .replace("Light carries momentum although photons have no mass at all",
                      "Xenon ions leave the thruster at forty kilometres per second")
             .replace("Radiation pressure", "Specific impulse")
             .replace("The force per unit area that light exerts on a surface it strikes.",
                      "The push a thruster gives per unit of propellant it spends.")
             .replace("The Japanese probe IKAROS first proved interplanetary solar sailing in 2010",
                      "Deep Space 1 flew the first ion engine beyond Earth orbit in 1998"))
    vault.write("ion-engines.md", other)
    report = vault.build(T0 + 200)
    assert report.changes["new"] == 5 and not report.reattached and report.changes["still_retired"] == 5
    vault.write("solar-sailing.md", NOTE)
    report = vault.build(T0 + 300)
    assert report.changes["new"] == 0 and len(report.reattached) == 5 and report.changes["still_retired"] == 0


def test_a_vault_whose_notes_all_failed_builds_once_fixed_with_no_lost_state_warning(vault):
    """Before, the second build said 'no build state next to the deck' though the state was there."""
    path = vault.write("sails.md", "---\ntitle: T\nfoo: bar: baz\n---\n" + NOTE.split("---", 2)[2])
    assert vault.build(T0).failed == ["sails.md"]
    path.write_text(NOTE.lstrip("\n"))
    report = vault.build(T0 + 100)
    assert report.changes["new"] == 5 and not report.warnings


CLAIMS = {"a": "Gradient descent updates the weights along the negative gradient",
          "b": "Momentum accumulates past gradients to smooth the noisy update path",
          "c": "Adam combines momentum with adaptive learning rates for each parameter"}


def claims_note(*claims: tuple[str, str]) -> str:
    """A note of CLAIMS (by name) stamped at the given times."""
    return "---\ntitle: T\nvideoId: OptImVid001\n---\n\n## S\n\n" + " ".join(
        f"{CLAIMS[k]} [{t}]." for k, t in claims) + "\n"


def live_claim_guids(vault) -> dict[str, str]:
    """The GUID of each claim of CLAIMS with a live card (cloze markup aside)."""
    return {k: c["guid"] for c in vault.cards() for k, w in CLAIMS.items()
            if w[:30] in re.sub(r"\{\{c1::(.*?)\}\}", r"\1", c["fields"].get("Text", ""))
            and "cardgen::retired" not in c["tags"]}


def test_a_new_claim_put_where_a_moved_one_was_is_new_and_stays_itself(vault):
    """b deleted, a's stamp corrected onto b's moment, a new claim c at a's old one: a keeps its card,
    b retires, c is new (it took b's, reviews and all, before), and the next builds keep all three apart."""
    path = vault.write("n.md", claims_note(("a", "0:50"), ("b", "0:52")))
    vault.build(T0)
    before = live_claim_guids(vault)
    path.write_text(claims_note(("c", "0:50"), ("a", "0:52")))
    report = vault.build(T0 + 100)
    assert report.changes["new"] == 1 and report.changes["retired"] == 1
    after = live_claim_guids(vault)
    assert after["a"] == before["a"] and after["c"] not in before.values()
    path.write_text(claims_note(("c", "0:50"), ("a", "0:52")).replace("each parameter", "every parameter"))
    report = vault.build(T0 + 200)
    assert live_claim_guids(vault) == after and report.changes["new"] == 0 and report.changes["retired"] == 0


def test_another_claim_at_a_retired_claims_moment_does_not_take_its_reviews(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    old = guid_of(vault, "IKAROS", "cloze")
    path.write_text(NOTE.replace("The Japanese probe IKAROS first proved interplanetary solar sailing in 2010",
                                 "Trail text"))  # the claim goes (too short to be one): it retires
    assert vault.build(T0 + 100).changes["retired"] == 1
    path.write_text(NOTE.replace("The Japanese probe IKAROS first proved interplanetary solar sailing in 2010",
                                 "LightSail 2 raised its orbit by sunlight alone in the summer of 2019"))
    report = vault.build(T0 + 200)
    assert report.changes["new"] == 1 and report.changes["still_retired"] == 1
    assert guid_of(vault, "LightSail", "cloze") != old and "cardgen::retired" in next(
        c["tags"] for c in vault.cards() if c["guid"] == old)


def test_renaming_a_note_after_its_claims_moved_keeps_each_claims_card(vault):
    """A claim moved keeps the key of its old moment; a renamed note's claims are paired with the old
    note's by key, so the pairing checks the moment or the words (before, a new claim at the moved one's
    old moment took its card)."""
    path = vault.write("n.md", claims_note(("a", "0:50"), ("b", "1:00")))
    vault.build(T0)
    path.write_text(claims_note(("c", "0:50"), ("a", "0:52"), ("b", "1:00")))
    vault.build(T0 + 100)
    before = live_claim_guids(vault)
    path.rename(vault.dir / "m.md")
    report = vault.build(T0 + 200)
    assert live_claim_guids(vault) == before and report.changes["new"] == 0 and report.changes["retired"] == 0


def test_broken_note_keeps_its_last_good_cards(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    before = vault.cards()
    path.write_bytes(NOTE.encode()[:200] + b"\xff\xfe half-saved")
    report = vault.build(T0 + 100)
    assert report.failed == ["sails.md"] and report.changes["retired"] == 0
    assert vault.cards() == before
    assert any("kept its 5 cards from the last good build" in d.message for d in report.diagnostics)


def test_damaged_state_rebuilds_with_a_warning_and_same_identities(vault):
    vault.write("sails.md", NOTE)
    vault.build(T0)
    before = {c["guid"] for c in vault.cards()}
    (vault.out / ".cardgen" / "notes.state.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    report = vault.build(T0 + 100)
    assert any("damaged" in d.message for d in report.warnings)
    assert {c["guid"] for c in vault.cards()} == before


@pytest.mark.parametrize("name", ["notes.state.db", "notes.anki2"])
@pytest.mark.parametrize("dry_run", [False, True])
def test_damage_inside_the_state_is_found_and_rebuilt_from_the_notes(vault, name, dry_run):
    """Not the header: pages in the middle, found only when a query reaches them."""
    for n in range(30):
        vault.write(f"sails-{n}.md", NOTE.replace("Solar sails", f"Solar sails {n}"))
    vault.build(T0)
    before = {c["guid"] for c in vault.cards()}
    path = vault.out / ".cardgen" / name
    data = bytearray(path.read_bytes())
    data[len(data) // 3:len(data) // 3 + 40_000] = b"\xab" * len(data[len(data) // 3:len(data) // 3 + 40_000])
    path.write_bytes(bytes(data))
    vault.write("sails-7.md", NOTE.replace("Solar sails", "Solar sails 7").replace("strikes.", "hits."))
    report = vault.build(T0 + 100, dry_run=dry_run)
    assert [d.message for d in report.warnings if "damaged" in d.message], report.warnings
    if not dry_run:
        assert {c["guid"] for c in vault.cards()} == before
        assert not vault.build(T0 + 200).warnings  # and the state is whole again


def test_missing_state_next_to_a_deck_rebuilds_with_a_warning(vault):
    vault.write("sails.md", NOTE)
    vault.build(T0)
    before = {c["guid"] for c in vault.cards()}
    shutil.rmtree(vault.out / ".cardgen")
    report = vault.build(T0 + 100)
    assert any("no build state next to the deck" in d.message for d in report.warnings)
    assert {c["guid"] for c in vault.cards()} == before


def test_the_json_state_of_cardgen_0_1_is_taken_over(vault):
    """A card re-attached under 0.1 kept a GUID only its JSON state knew: it must not come back as a twin."""
    vault.write("sails.md", NOTE)
    vault.build(T0)
    cards = {c["fields"].get("Front", c["fields"].get("Text")): c for c in vault.cards()}
    missions = next(c for q, c in cards.items() if "<b>Missions</b>" in q)
    shutil.rmtree(vault.out / ".cardgen")
    legacy = {"version": 1, "config": "old", "templates": "", "templates_mod": 0, "package": "", "notes": {},
              "cards": {"sails#headings#missions": {
                  "key": "sails#headings#missions", "note": "sails.md", "extractor": "headings", "kind": "basic",
                  "deck": "notes", "tags": missions["tags"], "fields": list(missions["fields"].values()),
                  "moments": [245], "line": 14, "video": "Sa1LpRz0-Qk", "guid": "inherited-guid", "fp": "x",
                  "mod": T0, "retired": None}}}
    (vault.out / "notes.cardgen.json").write_text(json.dumps(legacy))
    report = vault.build(T0 + 100)
    assert not report.warnings
    assert guid_of(vault, "<b>Missions</b>?") == "inherited-guid"
    assert not (vault.out / "notes.cardgen.json").exists()


# the layout of those two tables in state version 2 (cardgen before the speed work of issue 5)
_VERSION_2 = """
BEGIN;
ALTER TABLE notes RENAME TO notes_3;
ALTER TABLE cards RENAME TO cards_3;
ALTER TABLE definitions RENAME TO definitions_3;
DROP INDEX definitions_by_note;
DROP INDEX retired_cards;
DROP INDEX cards_by_key;
DROP INDEX cards_by_guid;
CREATE TABLE notes(rel TEXT PRIMARY KEY, hash TEXT NOT NULL, video TEXT, deck TEXT, diagnostics BLOB NOT NULL,
                   keys BLOB NOT NULL, unlinked INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE cards(key TEXT PRIMARY KEY, note TEXT NOT NULL, pos INTEGER NOT NULL, extractor TEXT NOT NULL,
                   kind TEXT NOT NULL, deck TEXT NOT NULL, line INTEGER NOT NULL, moments BLOB NOT NULL, video TEXT,
                   guid TEXT NOT NULL UNIQUE, fp TEXT NOT NULL, mod INTEGER NOT NULL, retired INTEGER,
                   nid INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX retired_cards ON cards(retired) WHERE retired IS NOT NULL;
CREATE TABLE definitions(term TEXT NOT NULL, note TEXT NOT NULL, pos INTEGER NOT NULL, card BLOB NOT NULL,
                         PRIMARY KEY(term, note, pos)) WITHOUT ROWID;
CREATE INDEX definitions_by_note ON definitions(note);
INSERT INTO notes SELECT * FROM notes_3;
INSERT INTO cards SELECT * FROM cards_3;
INSERT INTO definitions SELECT * FROM definitions_3;
DROP TABLE notes_3;
DROP TABLE cards_3;
DROP TABLE definitions_3;
UPDATE meta SET value=2 WHERE name='version';
UPDATE cards SET guid='inherited-guid' WHERE key='sails#headings#missions';
UPDATE pkg.notes SET guid='inherited-guid' WHERE id=(SELECT nid FROM cards WHERE key='sails#headings#missions');
COMMIT;
"""


def test_a_version_2_state_is_upgraded_in_place(vault):
    """Nothing it knows is lost: here a GUID only the state knows (a re-attachment's), its cards and definitions."""
    vault.write("sails.md", NOTE)
    vault.write("other.md", NOTE.replace("Solar sails", "Other sails").replace("Missions", "Voyages"))
    vault.build(T0)
    db = vault.out / ".cardgen" / "notes.state.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("ATTACH DATABASE ? AS pkg", (str(db.with_name("notes.anki2")),))
        definitions = conn.execute("SELECT * FROM definitions ORDER BY 1, 2, 3").fetchall()
        conn.executescript(_VERSION_2)
    vault.write("sails.md", NOTE + "\nA brand new claim that was written after the upgrade [00:05:00].\n")
    report = vault.build(T0 + 100)
    assert not report.warnings and report.changes["new"] == 1 and report.changes["unchanged"] > 0
    assert guid_of(vault, "<b>Missions</b>?") == "inherited-guid"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT value FROM meta WHERE name='version'").fetchone() == (3,)
        assert conn.execute("SELECT * FROM definitions ORDER BY 1, 2, 3").fetchall() == definitions
        tables = dict(conn.execute("SELECT name, sql FROM sqlite_schema WHERE type='table'").fetchall())
        indexes = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type='index'").fetchall())
        cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
    assert not any("WITHOUT ROWID" in tables[t] for t in ("notes", "cards", "definitions"))
    assert "notes_2" not in tables and cards == sum(report.cards.values())
    assert indexes["cards_by_key"] == indexes["cards_by_guid"] == "cards"


def test_unchanged_notes_are_not_parsed_again(vault, monkeypatch):
    vault.write("sails.md", NOTE)
    vault.write("other.md", NOTE.replace("Solar sails", "Other"))
    vault.build(T0)
    parsed = []
    real = cardgen.vault.parse_note
    monkeypatch.setattr(cardgen.vault, "parse_note", lambda rel, *a: parsed.append(rel) or real(rel, *a))
    vault.write("other.md", NOTE.replace("Solar sails", "Other, edited"))
    report = vault.build(T0 + 100)
    assert parsed == ["other.md"] and report.cached == 1


def test_dry_run_reports_and_writes_nothing(vault):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    files = {p: p.read_bytes() for p in vault.out.rglob("*") if p.is_file()}
    path.write_text(path.read_text().replace("strikes.", "hits."))
    report = vault.build(T0 + 100, dry_run=True)
    assert report.dry_run and report.changes["updated"] == 1
    assert {p: p.read_bytes() for p in vault.out.rglob("*") if p.is_file()} == files


def test_a_second_build_waits_then_gives_up_with_a_clear_message(vault):
    vault.write("sails.md", NOTE)
    held, release = threading.Event(), threading.Event()

    def holder():
        with build_lock(vault.out, wait=0):
            held.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    try:
        with pytest.raises(CardgenError, match=r"another build-deck \(pid \d+\) is writing to .*waited 0.3s"):
            vault.build(T0, wait=0.3)
    finally:
        release.set()
        t.join()
    assert vault.build(T0).written


def test_nothing_changed_is_told_from_file_times_without_reading_notes(vault, monkeypatch):
    path = vault.write("sails.md", NOTE)
    os.utime(path, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))  # saved long before the build
    first = vault.build(T0)
    monkeypatch.setattr(cardgen.pipeline, "open_store", lambda *a: pytest.fail("read the state"))
    monkeypatch.setattr(cardgen.vault, "read_note_bytes", lambda *a: pytest.fail("read a note"))
    again = vault.build(T0 + 100)
    assert again.changes["unchanged"] == 5 and not again.written
    assert again.cards == first.cards and again.diagnostics == first.diagnostics
    monkeypatch.undo()
    path.write_text(path.read_text().replace("strikes.", "hits."))  # a new mtime: a real build again
    assert vault.build(T0 + 200).changes["updated"] == 1


def test_a_file_saved_just_before_the_snapshot_is_not_trusted(vault, monkeypatch):
    vault.write("sails.md", NOTE)  # mtime = now: within the racy window of the build below
    vault.build(T0)
    parsed = []
    real = cardgen.vault.read_note_bytes
    monkeypatch.setattr(cardgen.vault, "read_note_bytes", lambda path, rel: parsed.append(rel) or real(path, rel))
    vault.build(T0 + 100)
    assert parsed == ["sails.md"]


def test_a_new_card_never_takes_a_guid_an_older_card_inherited(vault):
    head = "---\ntitle: Sails\nvideoId: Sa1LpRz0-Qk\n---\n\n"
    at_100 = '<a class="yt-timestamp" data-t="00:01:40">[00:01:40]</a>'
    at_101 = '<a class="yt-timestamp" data-t="00:01:41">[00:01:41]</a>'
    light = "Light carries momentum although photons have no mass at all"
    probe = "The Japanese probe IKAROS first proved solar sailing in 2010"
    path = vault.write("sails.md", head + f"{light} {at_100}.\n")
    vault.build(T0)
    path.write_text(head + f"{light} {at_101}.\n")  # nudged: re-attached, keeps the GUID of key t100
    vault.build(T0 + 100)
    path.write_text(head + f"{probe} {at_100}.\n\n{light} {at_101}.\n")  # a new claim at 1:40, first
    vault.build(T0 + 200)
    guids = [c["guid"] for c in vault.cards()]
    assert len(guids) == len(set(guids)) == 2


def test_full_disk_while_saving_state_is_a_clear_error_and_loses_nothing(vault, monkeypatch):
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    before, deck = mods(vault), (vault.out / "notes.apkg").read_bytes()
    path.write_text(path.read_text().replace("strikes.", "hits."))

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(cardgen.changes.Planner, "finish", full)
    with pytest.raises(CardgenError, match=r"database or disk is full\); the previous deck and state are unchanged"):
        vault.build(T0 + 100)
    assert mods(vault) == before and (vault.out / "notes.apkg").read_bytes() == deck
    monkeypatch.undo()
    assert vault.build(T0 + 200).changes["updated"] == 1  # and the next build recovers


def _card_indexes(db) -> set[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM sqlite_schema WHERE type='index'")} & {
            "cards_by_key", "cards_by_guid"}


def test_a_first_build_indexes_its_cards_after_it_commits_and_a_crash_in_between_costs_nothing(vault):
    """A first build makes the state's key and GUID indexes once, in a transaction of its own while the
    deck is packed. A crash before that leaves a committed state without them: opening it makes them."""
    vault.write("sails.md", NOTE)
    vault.write("other.md", NOTE.replace("Solar sails", "Other sails").replace("Missions", "Voyages"))
    vault.build(T0)
    db = vault.out / ".cardgen" / "notes.state.db"
    assert _card_indexes(db) == {"cards_by_key", "cards_by_guid"}
    first = vault.cards()
    with contextlib.closing(sqlite3.connect(db)) as conn:  # as if killed between the two transactions
        conn.executescript("DROP INDEX cards_by_key; DROP INDEX cards_by_guid;")
    vault.write("sails.md", NOTE + "\nA brand new claim that was written after the crash [00:05:00].\n")
    report = vault.build(T0 + 100)
    assert not report.warnings and report.changes["new"] == 1 and report.changes["unchanged"] > 0
    assert _card_indexes(db) == {"cards_by_key", "cards_by_guid"}
    after = {c["guid"]: c for c in vault.cards()}
    assert all(c["guid"] in after for c in first)  # every card kept its identity


def test_a_deck_built_before_keys_were_kept_in_it_gets_them_once(vault):
    """A state from before this version: its collection's notes carry no keys. The next build writes
    them in once, so that from then on the deck alone can give every identity back."""
    vault.write("sails.md", NOTE)
    vault.build(T0)
    with contextlib.closing(sqlite3.connect(vault.out / ".cardgen" / "notes.state.db")) as db:
        db.execute("ATTACH ? AS pkg", (str(vault.out / ".cardgen" / "notes.anki2"),))
        db.execute("UPDATE pkg.notes SET data = ''")
        db.execute("DELETE FROM meta WHERE name = 'keys_in_deck'")
        db.commit()
    from cardgen.recover import deck_cards
    assert deck_cards(vault.out / "notes.apkg")  # the deck as built holds the keys
    vault.write("other.md", NOTE.replace("Solar sails", "Other sails"))  # any change: a real build
    vault.build(T0 + 100)
    with contextlib.closing(sqlite3.connect(vault.out / ".cardgen" / "notes.anki2")) as db:
        assert db.execute("SELECT count(*) FROM notes WHERE data = ''").fetchone()[0] == 0
    keys = {c.key: c.guid for c in deck_cards(vault.out / "notes.apkg")}
    assert keys and set(keys.values()) == {c["guid"] for c in vault.cards()}


TWO_TAKEAWAYS = """
---
title: Kitchen
videoId: Sa1LpRz0-Qk
---

## Browning

> [!summary] Key takeaways
> Browning needs dry heat above 140 degrees, so pat the meat dry first.

## Emulsions

> [!summary] Key takeaways
> Add oil slowly while whisking, so that the droplets stay small and apart.
"""


def test_a_card_told_apart_by_rank_never_takes_a_retired_siblings_note(vault):
    """Delete the first of two same-titled callouts: the second keeps its note, the first retires;
    and no later build moves the second onto the first's retired note (its GUID, its reviews)."""
    path = vault.write("k.md", TWO_TAKEAWAYS)
    vault.build(T0)
    second = guid_of(vault, "takeaways about <b>Emulsions", "basic")
    first = guid_of(vault, "takeaways about <b>Browning", "basic")
    path.write_text(path.read_text().split("## Browning")[0] + "## Emulsions" + TWO_TAKEAWAYS.split("## Emulsions")[1])
    assert vault.build(T0 + 100).changes["retired"] == 2  # the callout and its section's heading card
    for n, extra in enumerate(["\nAn edit elsewhere.\n", "\nAnother edit.\n"]):
        path.write_text(path.read_text() + extra)
        vault.build(T0 + 200 + 100 * n)
        assert guid_of(vault, "takeaways about <b>Emulsions", "basic") == second
    # a new callout of that title takes a key of its own, not the retired one's
    path.write_text(path.read_text() + "\n## Sauces\n\n> [!summary] Key takeaways\n> Reduce the stock by half.\n")
    vault.build(T0 + 500)
    assert guid_of(vault, "takeaways about <b>Sauces", "basic") not in (first, second)
    assert guid_of(vault, "takeaways about <b>Emulsions", "basic") == second


def test_two_decks_from_one_folder_never_take_each_others_state(vault):
    """--deck A, then --deck B from the same notes: B is a deck of its own, said so, and A's state
    stays A's (before, each build took the other's state in turn, and the two decks shared GUIDs)."""
    vault.write("sails.md", NOTE)
    vault.build(T0, deck="A")
    a = {c["guid"] for c in vault.cards("A")}
    report = vault.build(T0 + 100, deck="B")
    assert any("built before as the deck 'A'" in d.message for d in report.warnings)
    assert not {c["guid"] for c in vault.cards("B")} & a
    report = vault.build(T0 + 200, deck="A")
    assert not any("deck 'B'" in d.message for d in report.warnings) and report.changes["new"] == 0
    assert {c["guid"] for c in vault.cards("A")} == a


def test_a_shared_term_no_note_defines_after_a_lost_state_retires(vault):
    a = vault.write("sails.md", NOTE)
    b = vault.write("sails-2.md", NOTE.replace("Solar sails", "Sails again").replace("IKAROS", "The probe"))
    vault.build(T0)
    assert any("<br>" in c["fields"]["Source"] for c in vault.cards())  # the one card of the shared term
    shutil.rmtree(vault.out / ".cardgen")
    for path in (a, b):
        path.write_text(path.read_text().split("> [!info]")[0] + "## Missions" + path.read_text().split("## Missions")[1])
    report = vault.build(T0 + 100)
    assert any("taken back from the deck itself" in d.message for d in report.warnings)
    assert report.changes["retired"] == 1 and report.changes["new"] == 0
    [retired] = [c for c in vault.cards() if "cardgen::retired" in c["tags"]]
    assert "Radiation pressure" in retired["fields"]["Front"]


def test_a_pruned_cards_guid_given_back_never_doubles_another_cards(vault):
    """The returning card's GUID was inherited from a key that is back too: each keeps a GUID of its own."""
    path = vault.write("sails.md", NOTE)
    vault.build(T0)
    path.write_text(NOTE.replace("## Photon Pressure", "## Pressure of Photons"))
    vault.build(T0 + 100)
    studied = guid_of(vault, "key points about <b>Pressure of Photons", "basic")
    path.unlink()
    vault.build(T0 + 200)
    vault.build(T0 + 200 + 61 * 86400)  # pruned: nothing is left in the state
    both = NOTE.replace("## Photon Pressure", "## Pressure of Photons") + "\n## Photon Pressure\n\nA second section.\n"
    path.write_text(both)
    vault.build(T0 + 300 + 61 * 86400)
    guids = [c["guid"] for c in vault.cards()]
    assert len(guids) == len(set(guids))
    assert guid_of(vault, "key points about <b>Pressure of Photons", "basic") == studied


def test_a_deck_that_cannot_give_identities_back_still_builds(vault):
    """A lost state beside a deck that is damaged, or whose notes repeat a key: a warning, never a failure."""
    vault.write("sails.md", NOTE)
    vault.build(T0)
    deck = vault.out / "notes.apkg"
    with contextlib.closing(sqlite3.connect(vault.out / ".cardgen" / "notes.anki2")) as db:
        db.execute("UPDATE notes SET data = (SELECT data FROM notes ORDER BY id LIMIT 1)")  # every note one key
        db.commit()
    from cardgen.apkg.package import write_apkg
    write_apkg(vault.out / ".cardgen" / "notes.anki2", deck)
    shutil.rmtree(vault.out / ".cardgen")
    report = vault.build(T0 + 100)
    assert not report.failed and len(vault.cards()) == 5
    deck.write_bytes(b"PK\x03\x04 not a zip")
    shutil.rmtree(vault.out / ".cardgen")
    report = vault.build(T0 + 200)
    assert not report.failed and any("no build state" in d.message for d in report.warnings)
