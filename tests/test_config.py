"""cardgen.toml: precedence, every validation message, `build-deck config`, and the settings reaching the deck."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from conftest import read_apkg
from typer.testing import CliRunner

from cardgen import cli
from cardgen.config import SETTINGS, load_config
from cardgen.errors import ConfigError
from cardgen.pipeline import BuildOptions
from cardgen.settings import ANSWER_WORDS, DECK_TEMPLATE, EXTRACTOR_NAMES

runner = CliRunner()
NOTE = """
---
title: {title}
videoId: abcdefghijk
{extra}
---

## Vectors

A vector grows by **doubling** its capacity when it is full [00:01:05].
"""


def note(title: str = "Vectors in C++", extra: str = "") -> str:
    return NOTE.format(title=title, extra=extra)


def build(vault, *args: str):
    return runner.invoke(cli.app, [str(vault.dir), "--out", str(vault.out), *args])


def test_defaults_without_a_file(tmp_path):
    config = load_config(tmp_path)
    assert config.file is None
    assert set(config.sources.values()) == {"default"}
    options = BuildOptions(notes_dir=tmp_path, **config.build_options())
    assert options == BuildOptions(notes_dir=tmp_path, out_dir=Path("decks"))  # the same as building with no file


def test_file_over_defaults_and_flags_over_file(tmp_path):
    (tmp_path / "cardgen.toml").write_text('deck = "FromFile"\nretire_after = 5\nwait = 3\n')
    config = load_config(tmp_path, {"deck": "FromFlag", "retire_after": 60})
    assert config["deck"] == "FromFlag" and config.sources["deck"] == "flag"
    # a flag equal to the default still wins over the file: what was typed counts, not its value
    assert config["retire_after"] == 60 and config.sources["retire_after"] == "flag"
    assert config["wait"] == 3.0 and config.sources["wait"] == "file"
    assert config["strict"] is False and config.sources["strict"] == "default"


def test_cli_flags_override_the_file(vault):
    vault.write("a.md", note())
    vault.write("cardgen.toml", 'deck = "FromFile"\n')
    assert build(vault).exit_code == 0
    assert (vault.out / "FromFile.apkg").is_file()
    result = build(vault, "--deck", "FromFlag")
    assert result.exit_code == 0, result.output
    assert (vault.out / "FromFlag.apkg").is_file()


def test_paths_in_the_file_are_relative_to_it(vault):
    vault.write("a.md", note())
    vault.write("cardgen.toml", 'out = "../built"\n')
    result = runner.invoke(cli.app, [str(vault.dir)])
    assert result.exit_code == 0, result.output
    assert (vault.dir.parent / "built" / "notes.apkg").is_file()


def test_strict_from_the_file_fails_on_a_warning(vault):
    vault.write("a.md", note(extra="videoId: not-an-id"))  # a second videoId key: YAML keeps the last
    assert build(vault).exit_code == 0
    vault.write("cardgen.toml", "strict = true\n")
    assert build(vault).exit_code == 1


def test_pyproject_table_and_cardgen_toml_first(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "v"\n\n[tool.cardgen]\ntags = ["from-pyproject"]\n')
    assert load_config(tmp_path)["tags"] == ("from-pyproject",)
    (tmp_path / "cardgen.toml").write_text('tags = ["from-cardgen-toml"]\n')
    config = load_config(tmp_path)
    assert config["tags"] == ("from-cardgen-toml",) and config.file == tmp_path / "cardgen.toml"


def test_pyproject_without_the_table_is_ignored(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "v"\n')
    assert load_config(tmp_path).file is None


@pytest.mark.parametrize(("text", "message"), [
    ('dek = "x"\n', ":1: unknown key 'dek' (did you mean 'deck'?); known keys: deck, deck_template, tags"),
    ('tags = ["a"]\n\n[extractors]\nanswer_word = 30\n',
     ":4: unknown key 'extractors.answer_word' (did you mean 'extractors.answer_words'?)"),
    ("deck = 3\n", ':1: deck: expected a string (e.g. deck = "Videos"), got 3'),
    ('retire_after = "60"\n', ':1: retire_after: expected a whole number (e.g. retire_after = 60), got "60"'),
    ("retire_after = 1.5\n", ":1: retire_after: expected a whole number"),
    ("strict = 1\n", ":1: strict: expected true or false (e.g. strict = false), got 1"),
    ('tags = "videos"\n', ':1: tags: expected a list of strings (e.g. tags = ["videos"]), got "videos"'),
    ('tags = ["ok", "a b"]\n', ":1: tags: tag 'a b' is empty or has a space"),
    ('tags = ["a::::b"]\n', ":1: tags: tag 'a::::b' has an empty level"),
    ("wait = -1\n", ":1: wait: must be from 0 to 86400, got -1"),
    ('deck_template = "{deck}::{chanel}"\n',
     ":1: deck_template: unknown placeholder {chanel}; use {deck}, {folder}, {title}, {channel}"),
    ('deck_template = "{title!r}"\n', ":1: deck_template: unknown placeholder {title!r}"),
    ('deck_template = "{deck"\n', ":1: deck_template: expected '}' before end of string"),
    ('templates = "nowhere"\n', ":1: templates: no folder "),
    ('\n[extractors]\nskip = ["claim"]\n',
     ":3: extractors.skip: unknown value 'claim'; choose from headings, callouts, claims"),
    ('[extractors]\nskip = "claims"\n', ':2: extractors.skip: expected a list of strings (e.g. skip = ["claims"])'),
    ("extractors.answer_words = 2\n", ":1: extractors.answer_words: must be from 5 to 500, got 2"),
    ("extractors = 3\n", ":1: extractors must be a table"),
    ("deck = \n", ":1: not valid TOML (Invalid value)"),
])
def test_each_bad_setting_is_named_with_file_and_line(tmp_path, text, message):
    (tmp_path / "cardgen.toml").write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path)
    assert str(e.value).startswith(f"{tmp_path / 'cardgen.toml'}{message.split(' ')[0]}"), str(e.value)
    assert message in str(e.value)


def test_a_bad_setting_in_pyproject_names_its_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nwait = "x"\n\n[tool.cardgen]\nwait = -1\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml:5: wait: must be from 0"):
        load_config(tmp_path)


def test_cli_reports_a_bad_file_in_one_line_with_exit_1(vault):
    vault.write("a.md", note())
    vault.write("cardgen.toml", 'dek = "x"\n')
    result = build(vault)
    assert result.exit_code == 1
    assert "cardgen.toml:1: unknown key 'dek'" in result.output and "Traceback" not in result.output
    assert not vault.out.exists()


def test_config_prints_the_effective_settings_with_their_sources(vault):
    vault.write("cardgen.toml", 'tags = ["videos"]\n\n[extractors]\nanswer_words = 30\n')
    result = runner.invoke(cli.config_app, [str(vault.dir), "--deck", "Mine", "--skip", "claims", "--out", str(vault.out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("# effective configuration (") and "cardgen.toml" in lines[0]
    assert 'deck = "Mine"  # flag --deck' in lines
    assert 'out = "../decks"  # flag --out' in lines  # as the file would say it: relative to the notes folder
    assert 'tags = ["videos"]  # file' in lines
    assert 'vault = "notes"  # default: the notes folder\'s name' in lines
    assert f'deck_template = "{DECK_TEMPLATE}"  # default' in lines
    assert "[extractors]" in lines
    assert 'skip = ["claims"]  # flag --skip' in lines and "answer_words = 30  # file" in lines
    # what it prints is a cardgen.toml that gives the same settings
    [templates] = [line for line in lines if line.startswith("# templates = ")]
    assert templates.endswith("# default: no such folder, so not used")
    printed = tomllib.loads(result.output)
    assert '# link_template = ""  # default: unset' in lines  # unset settings are shown, commented out
    assert len(printed) + len(printed["extractors"]) - 1 == len(SETTINGS) - 2
    (vault.dir / "cardgen.toml").write_text(result.output)
    again = load_config(vault.dir)
    assert again["deck"] == "Mine" and again["extractors.skip"] == ("claims",) and again["tags"] == ("videos",)
    assert again["out"].resolve() == vault.out.resolve()


def test_config_subcommand_is_dispatched_from_main(vault, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["build-deck", "config", str(vault.dir), "--retire-after", "7"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 0
    assert "retire_after = 7  # flag --retire-after" in capsys.readouterr().out.splitlines()


def test_config_with_a_bad_file_exits_1(vault):
    vault.write("cardgen.toml", "wait = true\n")
    result = runner.invoke(cli.config_app, [str(vault.dir)])
    assert result.exit_code == 1 and "cardgen.toml:1: wait: expected a number" in result.output


def decks(vault, name: str = "notes") -> set[str]:
    return {c["deck"] for c in read_apkg(vault.out / f"{name}.apkg")}


def test_deck_template_names_decks_from_frontmatter(vault):
    vault.write("sub/a.md", note("C++::STL tour", "channel: Cpp  Weekly"))
    vault.write("b.md", note("No channel here"))
    vault.write("c.md", note("Pinned", "deck: Own::Deck"))
    vault.write("cardgen.toml", 'deck = "Videos"\ndeck_template = "{deck}::{channel}::{title}"\n')
    result = build(vault)
    assert result.exit_code == 0, result.output
    # "::" in a title is no extra level; no channel leaves that level out; frontmatter deck: wins
    assert decks(vault, "Videos") == {"Videos::Cpp Weekly::C++ STL tour", "Videos::No channel here", "Own::Deck"}


def test_default_template_keeps_folder_subdecks(vault):
    vault.write("science/physics/a.md", note())
    vault.write("top.md", note("Top"))
    vault.build()
    assert decks(vault) == {"notes::science::physics", "notes"}


def test_folder_placeholder_inside_a_template(vault):
    vault.write("science/physics/a.md", note("Waves"))
    vault.build(deck_template="Study::{folder}::{title}")
    assert decks(vault) == {"Study::science::physics::Waves"}


def test_bad_template_in_build_options_is_a_config_error(vault):
    vault.write("a.md", note())
    with pytest.raises(ConfigError, match=r"unknown placeholder \{nope\}"):
        vault.build(deck_template="{nope}")


def test_tags_from_the_file_reach_every_card(vault):
    vault.write("a.md", note())
    vault.write("cardgen.toml", 'tags = ["videos", "lang::cpp"]\n')
    assert build(vault).exit_code == 0
    cards = read_apkg(vault.out / "notes.apkg")
    assert cards and all({"videos", "lang::cpp", "cardgen"} <= set(c["tags"]) for c in cards)


def test_extractor_settings_from_the_file(vault):
    long_sentences = " ".join(f"Sentence number {i} adds five words." for i in range(12))
    vault.write("a.md", note() + f"\n## Long\n\n{long_sentences}\n")
    vault.write("cardgen.toml", "[extractors]\nskip = [\"claims\"]\nanswer_words = 12\n")
    assert build(vault).exit_code == 0
    cards = read_apkg(vault.out / "notes.apkg")
    assert {c["notetype"] for c in cards} == {"cardgen basic"}
    [long] = [c for c in cards if "Long" in c["fields"].get("Front", "")]
    assert long["fields"]["Back"].count("Sentence number") == 2  # 12 words: two 6-word sentences
    vault.write("cardgen.toml", "")
    assert build(vault).exit_code == 0
    cards = read_apkg(vault.out / "notes.apkg")
    [long] = [c for c in cards if "Long" in c["fields"].get("Front", "")]
    assert long["fields"]["Back"].count("Sentence number") == ANSWER_WORDS // 6
    assert "cardgen cloze" in {c["notetype"] for c in cards}


def test_hidden_words_limits_the_cloze(vault):
    vault.write("a.md", note() + "\n## More\n\nThe [[x | very long linked phrase here]] matters a lot [00:02:00].\n")
    vault.build()
    texts = [c["fields"]["Text"] for c in vault.cards() if c["notetype"] == "cardgen cloze"]
    assert any("{{c1::long linked phrase}}" in t for t in texts)  # "very" and "here" are stop words
    vault.build(hidden_words=2)
    texts = [c["fields"]["Text"] for c in vault.cards() if c["notetype"] == "cardgen cloze"]
    assert not any("long linked phrase}}" in t for t in texts) and len(texts) == 2


def test_every_setting_with_a_flag_is_a_build_option():
    fields = set(BuildOptions.__dataclass_fields__)
    params = set(cli.build.__code__.co_varnames[:cli.build.__code__.co_argcount])
    for s in SETTINGS:
        assert s.field is None or s.field in fields, s.key
        assert s.flag is None or s.flag in params, s.key
    assert {s.key for s in SETTINGS if s.choices} == {"extractors.skip"}
    assert next(s for s in SETTINGS if s.key == "extractors.skip").choices == EXTRACTOR_NAMES


def test_preview_follows_the_file(vault):
    vault.write("a.md", note())
    vault.write("cardgen.toml", '[extractors]\nskip = ["claims"]\n')
    result = runner.invoke(cli.preview_app, [str(vault.dir), "--html", str(vault.dir.parent / "p.html")])
    assert result.exit_code == 0, result.output
    assert "1 note -> 1 card" in result.output  # the heading card only


def test_player_and_link_template_from_the_file_reach_the_cards_and_flags_override_them(vault):
    vault.write("a.md", note())
    (vault.dir / "cardgen.toml").write_text(
        'player = true\nlink_template = "https://yewtu.be/watch?v={id}&t={seconds}"\n')
    assert build(vault).exit_code == 0
    [card] = [c for c in read_apkg(vault.out / "notes.apkg") if c["notetype"] == "cardgen cloze"]
    assert "https://yewtu.be/watch?v=abcdefghijk&amp;t=65" in card["fields"]["Moment"]
    assert "youtube-nocookie.com/embed/abcdefghijk" in card["fields"]["Media"]
    assert build(vault, "--no-player").exit_code == 0
    [card] = [c for c in read_apkg(vault.out / "notes.apkg") if c["notetype"] == "cardgen cloze"]
    assert card["fields"]["Media"] == "" and "yewtu.be" in card["fields"]["Moment"]


def test_a_bad_link_template_in_the_file_names_its_line(vault):
    vault.write("a.md", note())
    (vault.dir / "cardgen.toml").write_text('deck = "X"\nlink_template = "https://example.org/{video}"\n')
    result = build(vault)
    assert result.exit_code == 1
    assert "cardgen.toml:2: link_template: unknown placeholder {video}; use {id}" in result.output


def test_build_deck_config_shows_the_player_and_link_template_flags(vault):
    result = runner.invoke(cli.config_app, [str(vault.dir), "--player",
                                            "--link-template", "https://yewtu.be/watch?v={id}"])
    assert result.exit_code == 0, result.output
    assert "player = true  # flag --player" in result.output
    assert 'link_template = "https://yewtu.be/watch?v={id}"  # flag --link-template' in result.output
