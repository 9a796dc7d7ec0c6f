"""The preview renders cards as Anki does (Anki's own renderer is the oracle), and template
overrides reach both the preview and, after a re-import, the notes already in a collection."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest
from anki.collection import Collection
from conftest import REPO
from test_anki_import import import_apkg

from cardgen import cli
from cardgen.apkg.templates import load_templates
from cardgen.errors import ConfigError
from cardgen.media import MediaOptions
from cardgen.pipeline import BuildOptions, BuildReport, build_deck
from cardgen.preview import cloze, page, parse, render, render_card
from cardgen.state import StoredCard

FIXTURE = REPO / "tests" / "fixtures" / "preview"
T0 = float(int(time.time()) - 3600)  # in the past: Anki keeps a future mod and then blocks updates
STYLE = re.compile(r"^<style>.*?</style>", re.S)
DATA_CLOZE = re.compile(r'\sdata-cloze="[^"]*"')  # Anki encodes this attribute its own way; it is not shown

# every construct of Anki's template language the renderer knows, in one set of templates
TRICKY = {
    "basic_front.html": "{{^Moment}}<p>no moment</p>{{/Moment}}{{#Moment}}<i>has {{Moment}}</i>{{/Moment}}\n"
                        "<div>{{ Front }}</div>{{#Reserved}}never{{/Reserved}}",
    "basic_back.html": "{{FrontSide}}<hr id=answer>{{Back}}<small>{{text:Context}}</small>{{^Media}}-{{/Media}}"
                       "<p>{{text:Back}}</p>",
    "cloze_front.html": "{{cloze:Text}}{{#Back Extra}}[{{Back Extra}}]{{/Back Extra}}",
    "cloze_back.html": "{{cloze:Text}}<br>{{Back Extra}}{{#Media}}<div>{{Media}}</div>{{/Media}}",
}


def build_with_cards(notes: Path, out: Path, timestamp: float, **kw: object) -> tuple[BuildReport, list[StoredCard]]:
    cards: list[StoredCard] = []
    report = build_deck(BuildOptions(notes_dir=notes, out_dir=out, timestamp=timestamp, on_cards=cards.extend,
                                     **kw))  # type: ignore[arg-type]
    assert not report.errors, [str(d) for d in report.errors]
    return report, cards


def anki_sides(col: Collection, guid: str) -> tuple[str, str]:
    nid = col.db.scalar("select id from notes where guid = ?", guid)
    card = col.get_note(nid).cards()[0]
    return STYLE.sub("", card.question()), STYLE.sub("", card.answer())


@pytest.mark.parametrize("override", [False, True], ids=["shipped", "tricky"])
@pytest.mark.parametrize("notes", [REPO / "notes", FIXTURE], ids=["sample-vault", "media-fixture"])
def test_preview_renders_every_card_as_anki_does(tmp_path: Path, col: Collection, notes: Path, override: bool) -> None:
    templates_dir = None
    if override:
        templates_dir = tmp_path / "templates"
        templates_dir.mkdir()
        for name, text in TRICKY.items():
            (templates_dir / name).write_text(text, encoding="utf-8")
    report, cards = build_with_cards(notes, tmp_path / "out", T0, templates_dir=templates_dir,
                                     media=MediaOptions(player=True))
    assert len(cards) == sum(report.cards.values()) > 5
    import_apkg(col, report.output)
    templates = load_templates(templates_dir)
    for card in cards:
        ours = render_card(card, templates)
        theirs = anki_sides(col, card.guid)
        assert (DATA_CLOZE.sub("", ours[0]), DATA_CLOZE.sub("", ours[1])) == \
               (DATA_CLOZE.sub("", theirs[0]), DATA_CLOZE.sub("", theirs[1])), card.key


def test_cloze_shows_a_gap_or_hint_on_the_front_and_the_words_on_the_back() -> None:
    text = "The {{c1::mitochondria::organelle}} and the {{c2::nucleus}}"
    assert cloze(text, 1, question=True) == (
        'The <span class="cloze" data-cloze="mitochondria" data-ordinal="1">[organelle]</span> and the '
        '<span class="cloze-inactive" data-ordinal="2">nucleus</span>')
    assert cloze(text, 2, question=False) == (
        'The <span class="cloze-inactive" data-ordinal="1">mitochondria</span> and the '
        '<span class="cloze" data-ordinal="2">nucleus</span>')


def test_sections_and_filters() -> None:
    nodes = parse("{{#A}}a={{A}}{{/A}}{{^A}}no a{{/A}}|{{text:B}}", "t.html")
    assert render(nodes, {"A": "<br> ", "B": "<b>x</b> &amp; y<br>z"}, question=True) == "no a|x & y z"
    assert render(nodes, {"A": "1", "B": ""}, question=True) == "a=1|"


@pytest.mark.parametrize("template, message", [
    ("{{#Moment}}open", r"basic_back\.html: \{\{#Moment\}\} is never closed"),
    ("{{/Moment}}", r"basic_back\.html: \{\{/Moment\}\} closes a section that is not open"),
    ("{{#A}}{{/B}}", r"basic_back\.html: \{\{/B\}\} closes a section that is not open"),
])
def test_broken_template_is_named(template: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(template, "basic_back.html")


def test_unknown_field_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"no field called 'Answer'"):
        render(parse("{{Answer}}", "x"), {"Back": ""}, question=False)


def test_preview_command_writes_the_page_and_no_deck(tmp_path: Path, monkeypatch, capsys) -> None:
    out, target = tmp_path / "decks", tmp_path / "site" / "cards.html"
    monkeypatch.setattr(sys, "argv", ["build-deck", "preview", str(FIXTURE), "--out", str(out), "--html", str(target)])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 0
    assert "3 notes -> 11 cards; wrote" in capsys.readouterr().out
    assert not out.exists(), "the preview wrote the deck or its state"
    text = target.read_text(encoding="utf-8")
    assert text.count('<article class="pv-card"') == 11
    assert "https://media.example.org/episodes/ep12.mp3#t=250" in text
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//(?!www\.youtube\.com/watch|vimeo\.com/|media\.example)""",
                         text), "the page loads something from the network"


def test_preview_command_default_path_and_bad_template(tmp_path: Path, monkeypatch, capsys) -> None:
    bad = tmp_path / "templates"
    bad.mkdir()
    (bad / "cloze_back.html").write_text("{{#Media}}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["build-deck", "preview", str(FIXTURE)])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1
    assert "cloze_back.html: {{#Media}} is never closed" in capsys.readouterr().err
    bad.joinpath("cloze_back.html").unlink()
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 0
    assert (tmp_path / "decks" / "preview.preview.html").is_file()
    assert not (tmp_path / "decks" / "preview.apkg").exists()


def test_page_groups_by_note_and_shows_counts_and_warnings(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "b.md").write_text("---\ntitle: B note\nvideoId: abcdefghijk\n---\n\n## Two\n\nSecond [00:02:00].\n\n"
                                "## One\n\nFirst [00:01:00].\n")
    (notes / "a.md").write_text("---\ntitle: A note\nvideoId: 'bad'\n---\n\n## Idea\n\nA thing.\n")
    report, cards = build_with_cards(notes, tmp_path / "out", T0, dry_run=True)
    text = page(cards, report, load_templates(), "notes")
    assert text.index("A note") < text.index("B note")
    assert text.index("Second") < text.index("First"), "cards follow the note's order"
    assert "a.md:3: warning: videoId &#x27;bad&#x27; is not a YouTube video id" in text
    assert "2 notes → <b>3</b> cards (3 headings, 0 callouts, 0 claims)" in text
    assert "1 cards without a video link" in text and text.count("no video link</span>") == 1


def test_template_override_updates_existing_notes_in_place(tmp_path: Path, col: Collection) -> None:
    """A changed template reaches notes already studied: same note types, same notes, new look."""
    out, templates = tmp_path / "out", tmp_path / "templates"
    first, cards = build_with_cards(FIXTURE, out, T0)
    import_apkg(col, first.output)
    nids = sorted(col.find_notes(""))
    types = sorted((n.id, n.name) for n in col.models.all_names_and_ids())
    nid = next(n for n in nids if col.get_note(n).note_type()["name"] == "cardgen basic")
    assert "OVERRIDDEN" not in col.get_note(nid).cards()[0].answer()

    templates.mkdir()
    shipped = load_templates()
    (templates / "basic_back.html").write_text(shipped["basic_back.html"] + '<p class="mine">OVERRIDDEN</p>')
    (templates / "style.css").write_text(shipped["style.css"] + "\n.mine { color: rebeccapurple; }\n")
    second, again = build_with_cards(FIXTURE, out, T0 + 60, templates_dir=templates)
    assert second.written and second.changes["unchanged"] == len(cards)
    assert "OVERRIDDEN" in render_card(next(c for c in again if c.kind == "basic"), load_templates(templates))[1]

    log = import_apkg(col, second.output)
    # the fields did not change, so every note imports as a no-op ("duplicate"); the note type updates
    assert (len(log.new), len(log.conflicting), len(log.missing_notetype)) == (0, 0, 0)
    assert len(log.duplicate) == len(cards)
    assert sorted(col.find_notes("")) == nids, "notes were added or replaced"
    assert sorted((n.id, n.name) for n in col.models.all_names_and_ids()) == types, "a note type was added"
    col.models._clear_cache()  # the Python side caches note types; the import changed them in the backend
    basic = col.models.by_name("cardgen basic")
    assert basic is not None
    assert basic["tmpls"][0]["afmt"].endswith('<p class="mine">OVERRIDDEN</p>')
    assert ".mine { color: rebeccapurple; }" in basic["css"]
    assert [f["name"] for f in basic["flds"]][:2] == ["Front", "Back"]
    assert "OVERRIDDEN" in col.get_note(nid).cards()[0].answer()
    cloze_type = col.models.by_name("cardgen cloze")
    assert cloze_type is not None and "OVERRIDDEN" not in cloze_type["tmpls"][0]["afmt"]


def test_preview_refuses_a_folder_and_writes_through_a_symlink(tmp_path: Path, monkeypatch, capsys) -> None:
    """Before: a raw "[Errno 21]" and a temp file left behind; a symlink replaced by a file; and as root
    --html /dev/full replaced the device."""
    import os
    import stat

    def preview(target: Path) -> int:
        monkeypatch.setattr(sys, "argv", ["build-deck", "preview", str(FIXTURE), "--out", str(tmp_path / "d"),
                                          "--html", str(target)])
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        return int(exit_.value.code or 0)

    (tmp_path / "adir").mkdir()
    assert preview(tmp_path / "adir") == 1
    assert "cannot write the preview to" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    real, link = tmp_path / "real.html", tmp_path / "link.html"
    link.symlink_to(real)
    assert preview(link) == 0
    assert link.is_symlink() and "<!DOCTYPE html>" in real.read_text()
    assert stat.S_IMODE(os.stat(real).st_mode) & 0o044  # readable by others, as any page
