"""Packaging: frozen note types, decks by folder, tags, atomic and deterministic writes."""

from __future__ import annotations

import zipfile

import genanki
import pytest

from cardgen.apkg import package
from cardgen.apkg.models import BASIC_MODEL_ID, CLOZE_MODEL_ID, build_models
from cardgen.apkg.templates import load_templates
from cardgen.errors import PackageError

NOTE = """
---
title: Solar sails
videoId: Sa1LpRz0-Qk
tags: [space, physics/optics]
---

From: [[Space Desk]] <br/>

## Photon Pressure

Light pushes a mirror away from the Sun with about **9 micronewtons** per square metre <a class="yt-timestamp" data-t="00:01:40">[00:01:40]</a>.
"""


def test_note_types_are_frozen():
    """Changing any of this makes Anki skip every update of existing notes: never change it."""
    basic, cloze = build_models(load_templates())
    assert (basic.model_id, cloze.model_id) == (BASIC_MODEL_ID, CLOZE_MODEL_ID) == (1764083297, 1764083298)
    assert [f["name"] for f in basic.fields] == ["Front", "Back", "Context", "Moment", "Source", "Status", "Media", "Reserved"]
    assert [f["name"] for f in cloze.fields] == ["Text", "Back Extra", "Context", "Moment", "Source", "Status", "Media", "Reserved"]
    assert [t["name"] for t in basic.templates] == ["Card 1"]
    assert [t["name"] for t in cloze.templates] == ["Cloze"]
    assert basic.sort_field_index == cloze.sort_field_index == 0
    assert cloze.model_type == genanki.Model.CLOZE


def test_template_override_changes_html_not_fields(tmp_path):
    (tmp_path / "style.css").write_text(".card { color: red; }")
    basic, _ = build_models(load_templates(tmp_path))
    assert basic.css == ".card { color: red; }"
    assert [f["name"] for f in basic.fields][0] == "Front"


def test_decks_follow_folders_and_tags_are_hierarchical(vault):
    vault.write("space/propulsion/sails.md", NOTE)
    vault.write("other.md", "---\ntitle: Other\ndeck: Custom::Deck\n---\n\n## A\n\nSome text here.\n")
    vault.build()
    cards = vault.cards()
    decks = {c["fields"]["Context"].split(" › ")[0]: c["deck"] for c in cards}
    assert decks == {"Solar sails": "notes::space::propulsion", "Other": "Custom::Deck"}
    sail = next(c for c in cards if c["notetype"] == "cardgen cloze")
    assert sorted(sail["tags"]) == ["cardgen", "channel::space_desk", "physics::optics", "space", "video::Sa1LpRz0-Qk"]
    assert sail["fields"]["Moment"] == '<a href="https://www.youtube.com/watch?v=Sa1LpRz0-Qk&amp;t=100s">▶ 1:40</a>'
    assert sail["fields"]["Source"] == ('<a href="obsidian://open?vault=notes&amp;file=space%2Fpropulsion%2Fsails'
                                        '%23Photon%20Pressure">space/propulsion/sails.md:11</a>')
    assert sail["fields"]["Text"].startswith("Light pushes a mirror away from the Sun with about <b>{{c1::9 micronewtons}}</b>")


def test_same_notes_give_same_bytes_cards_and_order(vault):
    vault.write("a.md", NOTE)
    vault.write("b/c.md", NOTE.replace("Solar sails", "Second"))
    vault.build(timestamp=1_700_000_000)
    first = (vault.out / "notes.apkg").read_bytes()
    vault.build(timestamp=1_700_000_000)
    assert (vault.out / "notes.apkg").read_bytes() == first
    assert [c["guid"] for c in vault.cards()] == [c["guid"] for c in vault.cards()]


def test_failed_write_keeps_the_previous_deck_whole(vault, monkeypatch):
    vault.write("a.md", NOTE)
    vault.build()
    before = (vault.out / "notes.apkg").read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(package.zipfile.ZipFile, "writestr", disk_full)
        vault.write("b.md", NOTE.replace("Solar sails", "New"))
        with pytest.raises(PackageError, match="No space left on device; the previous deck is unchanged"):
            vault.build(timestamp=2_000_000_000)
    assert (vault.out / "notes.apkg").read_bytes() == before
    assert sorted(p.name for p in vault.out.iterdir()) == [".cardgen", ".cardgen.lock", "notes.apkg"]
    with zipfile.ZipFile(vault.out / "notes.apkg") as z:
        assert z.testzip() is None
    # the state already holds b.md: the next build knows the deck lags behind it and writes it
    report = vault.build(timestamp=2_000_000_100)
    assert report.written and report.changes["new"] == 0
    assert any("New" in c["fields"].get("Front", c["fields"].get("Text")) for c in vault.cards())


def test_cards_of_notes_without_video_have_no_link_and_are_counted(vault):
    vault.write("book.md", "---\ntitle: Book\n---\n\n## Idea\n\nA book has no video.\n")
    report = vault.build()
    assert report.notes_without_video == ["book.md"]
    assert report.cards_without_link == 1
    assert vault.cards()[0]["fields"]["Moment"] == ""


def test_parsing_on_several_cores_gives_the_same_bytes(tmp_path):
    from cardgen.pipeline import BuildOptions, build_deck

    notes = tmp_path / "notes"
    for i in range(80):  # enough to use the worker pool
        (notes / f"f{i % 4}").mkdir(parents=True, exist_ok=True)
        (notes / f"f{i % 4}" / f"n{i}.md").write_text(NOTE.replace("Solar sails", f"Note {i}"))
    decks = []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        report = build_deck(BuildOptions(notes_dir=notes, out_dir=out, timestamp=1_700_000_000, jobs=jobs))
        assert report.notes == 80 and not report.errors
        decks.append((out / "notes.apkg").read_bytes())
    assert decks[0] == decks[1]


def test_a_worker_killed_mid_build_fails_the_build_instead_of_hanging_it(tmp_path, monkeypatch):
    """multiprocessing's Pool replaces a dead worker and waits for ever on the notes it held: a worker
    the kernel kills for want of memory would hang a scheduled build, holding the output's lock."""
    import os
    import signal

    from cardgen import vault
    from cardgen.errors import CardgenError
    from cardgen.pipeline import BuildOptions, build_deck

    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(vault.PARALLEL_FROM + 16):
        (notes / f"n{i:03d}.md").write_text(NOTE.replace("Solar sails", f"Note {i}"))
    out = tmp_path / "out"
    build_deck(BuildOptions(notes_dir=notes, out_dir=out, timestamp=1_700_000_000, jobs=2))
    deck = (out / "notes.apkg").read_bytes()
    (notes / "n070.md").write_text(NOTE.replace("Solar sails", "Edited"))

    real = vault.build_note

    def killed_on_one_note(notes_dir, rel, *args):
        if rel == "n070.md":  # in a worker: the fork inherits this patch
            os.kill(os.getpid(), signal.SIGKILL)
        return real(notes_dir, rel, *args)

    monkeypatch.setattr(vault, "build_note", killed_on_one_note)
    monkeypatch.setattr(vault, "WORKER_CHECK_SECONDS", 0.1)

    def hung(*_):
        raise TimeoutError("the build hung on its dead worker")

    signal.signal(signal.SIGALRM, hung)  # so that a regression fails here rather than hangs the suite
    signal.alarm(30)
    try:
        with pytest.raises(CardgenError, match="killed by signal 9"):
            build_deck(BuildOptions(notes_dir=notes, out_dir=out, timestamp=1_700_000_100, jobs=2))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    assert (out / "notes.apkg").read_bytes() == deck  # the last good deck stands
    monkeypatch.setattr(vault, "build_note", real)
    report = build_deck(BuildOptions(notes_dir=notes, out_dir=out, timestamp=1_700_000_200, jobs=2))
    assert report.notes == vault.PARALLEL_FROM + 16 and report.changes["updated"] > 0
