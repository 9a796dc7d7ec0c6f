"""The catalogue of bad input: each case gets a one-line message with file:line, and the good note
in the same vault still builds. Never a traceback."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import read_apkg
from typer.testing import CliRunner

from cardgen.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "bad"
GOOD = """---
title: Good note
videoId: G00dN0te123
---

## Photosynthesis

Plants turn sunlight into sugar through photosynthesis <a class="yt-timestamp" data-t="00:01:05">[00:01:05]</a>.
"""


def deep_quotes(d: Path) -> None:
    (d / "deep-quotes.md").write_text("---\ntitle: Deep\n---\n\n## Deep\n\n" + "> " * 10_000 + "the bottom\n")


def deep_lists(d: Path) -> None:
    (d / "deep-lists.md").write_text("---\ntitle: Deep\n---\n\n## Deep\n\n" + "- " * 10_000 + "the bottom\n")


def huge(d: Path) -> None:
    line = "Filler sentence for a very large note that someone pasted by mistake [00:00:01].\n"
    (d / "huge.md").write_text("---\ntitle: Huge\n---\n\n## Huge\n\n" + line * (20 * 1024 * 1024 // len(line) + 1))


def binary(d: Path) -> None:
    (d / "binary.md").write_bytes(bytes(range(256)) * 64)


def symlink_loop(d: Path) -> None:
    (d / "sub").mkdir()
    (d / "sub" / "inner.md").write_text(GOOD.replace("Good note", "Inner note"))
    os.symlink("..", d / "sub" / "loop")


def unreadable(d: Path) -> None:
    os.symlink("nowhere.md", d / "unreadable.md")  # tests run as root, who can read any mode


def named_pipe(d: Path) -> None:
    os.mkfifo(d / "pipe.md")  # before, the build waited on it for ever, holding its lock


def device(d: Path) -> None:
    os.symlink("/dev/zero", d / "zero.md")  # before, read until the memory ran out


def duplicate_key(d: Path) -> None:
    for name in ("one", "two"):
        (d / f"{name}.md").write_text(f"---\ntitle: {name}\nid: same\n---\n\n## Point\n\nA point from note {name}.\n")


def huge_t(d: Path) -> None:
    (d / "huge-t.md").write_text("---\ntitle: T\nvideoId: OxGsU8oIWjY\n---\n\n## T\n\nGradient descent minimizes "
                                 "the loss step by step [12:34](https://youtu.be/OxGsU8oIWjY?t=18446744073709551616).\n")


def impossible_date(d: Path) -> None:
    (d / "dated.md").write_text("---\ntitle: Dated\ncreated: 2024-02-30\ndate: 0000-00-00\n---\n\n## Point\n\n"
                                "A point worth a card.\n")


def fixture(name: str):
    def setup(d: Path) -> None:
        shutil.copy(FIXTURES / name, d / name)
    return setup


# (case, setup, level, message pattern or None when the note simply builds)
CATALOGUE = [
    ("broken YAML", fixture("broken-yaml.md"), "error",
     r"broken-yaml\.md:3: error: frontmatter is not valid YAML .*; fix it or remove the --- block"),
    ("frontmatter is a list", fixture("frontmatter-list.md"), "error",
     r"frontmatter-list\.md:1: error: frontmatter is not a mapping"),
    ("malformed videoId", fixture("bad-video-id.md"), "warning",
     r"bad-video-id\.md:3: warning: videoId '12345' is not a YouTube video id"),
    ("stamps but no videoId", fixture("stamps-without-video.md"), "warning",
     r"stamps-without-video\.md:7: warning: has timestamps but no video: add 'videoId:"),
    ("not UTF-8", fixture("latin1.md"), "error",
     r"latin1\.md:5: error: not UTF-8 \(byte 0xe9\); re-save the note as UTF-8"),
    ("byte order mark", fixture("bom.md"), None, None),
    ("CRLF line endings", fixture("crlf.md"), None, None),
    ("lone CR line endings", fixture("lone-cr.md"), None, None),
    ("empty file", fixture("empty.md"), "warning", r"empty\.md:1: warning: makes no cards"),
    ("20 MB note", huge, "error", r"huge\.md:1: error: the note is 20\.0 MB; notes over 10 MB are not read"),
    ("binary file named .md", binary, "error", r"binary\.md:1: error: this is a binary file"),
    ("symlink loop", symlink_loop, "warning", r"sub/loop:1: warning: this folder links back .*symlink loop"),
    ("unreadable file", unreadable, "error", r"unreadable\.md:1: error: cannot read the file"),
    ("a named pipe named .md", named_pipe, "error", r"pipe\.md:1: error: this is no file of text \(a named pipe"),
    ("a link to a device named .md", device, "error", r"zero\.md:1: error: this is no file of text"),
    ("timestamps out of range", fixture("bad-stamps.md"), "warning",
     r"bad-stamps\.md:8: warning: stamp \[99:99\] is not a valid time, so it links nowhere; write it as"),
    ("callout with no body", fixture("callout-no-body.md"), "warning",
     r"callout-no-body\.md:8: warning: callout \[!info\] has no body"),
    ("heading with no text", fixture("heading-no-text.md"), "warning",
     r"heading-no-text\.md:\d+: warning: heading has no text"),
    ("10,000 nested blockquotes", deep_quotes, None, None),
    ("10,000 nested lists", deep_lists, None, None),
    ("unbalanced HTML", fixture("unbalanced-html.md"), None, None),
    ("t= past any video's length", huge_t, None, None),
    ("impossible date in the frontmatter", impossible_date, None, None),
    ("two cards with one key", duplicate_key, "error",
     r"two\.md:6: error: card identity 'id:same#headings#point' is already used by one\.md:6"),
]


@pytest.mark.parametrize("case,setup,level,pattern", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_is_reported_and_the_rest_builds(tmp_path, case, setup, level, pattern):
    notes, out = tmp_path / "notes", tmp_path / "decks"
    notes.mkdir()
    (notes / "good.md").write_text(GOOD)
    setup(notes)
    result = CliRunner().invoke(app, [str(notes), "--out", str(out), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    messages = [d["text"] for d in report["diagnostics"]]
    if pattern is None:
        assert not [m for m in messages if ": error: " in m], messages
    else:
        assert any(re.search(pattern, m) for m in messages), messages
        assert all("\n" not in m for m in messages)  # one line each
    assert result.exit_code == (1 if level == "error" else 0)
    cards = read_apkg(out / "notes.apkg")
    assert any("photosynthesis" in c["fields"].get("Text", "") for c in cards), "the good note did not build"


@pytest.mark.parametrize("name,seconds", [("bom.md", 5), ("crlf.md", 7), ("lone-cr.md", 9)])
def test_encodings_and_line_endings_read_like_any_note(tmp_path, name, seconds):
    (tmp_path / "notes").mkdir()
    shutil.copy(FIXTURES / name, tmp_path / "notes" / name)
    result = CliRunner().invoke(app, [str(tmp_path / "notes"), "--out", str(tmp_path / "out"), "--json"])
    assert json.loads(result.stdout)["diagnostics"] == []
    [cloze] = [c for c in read_apkg(tmp_path / "out" / "notes.apkg") if c["notetype"] == "cardgen cloze"]
    assert f"t={seconds}s" in cloze["fields"]["Moment"]


def test_unbalanced_html_is_balanced_in_the_card(tmp_path):
    (tmp_path / "notes").mkdir()
    shutil.copy(FIXTURES / "unbalanced-html.md", tmp_path / "notes")
    CliRunner().invoke(app, [str(tmp_path / "notes"), "--out", str(tmp_path / "out")])
    for card in read_apkg(tmp_path / "out" / "notes.apkg"):
        for value in card["fields"].values():
            for tag in ("b", "i", "div"):
                assert value.count(f"<{tag}>") == value.count(f"</{tag}>"), value


def test_strict_turns_every_warning_in_the_catalogue_into_failure(tmp_path):
    (tmp_path / "notes").mkdir()
    shutil.copy(FIXTURES / "callout-no-body.md", tmp_path / "notes")
    args = [str(tmp_path / "notes"), "--out", str(tmp_path / "out")]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert CliRunner().invoke(app, args + ["--strict"]).exit_code == 1
