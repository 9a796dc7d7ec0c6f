"""The build-deck command as a user runs it: output, JSON, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO
from typer.testing import CliRunner

from cardgen.cli import app
from cardgen.extract import EXTRACTORS

runner = CliRunner()
OPTIONS = ("--out", "--deck", "--vault", "--skip", "--templates", "--dry-run", "--watch", "--json", "--verbose", "--strict",
           "--quiet", "--retire-after", "--wait", "--player", "--link-template", "--into", "--suspend-retired",
           "--anki-connect", "--anki-connect-url", "--report")
GOOD = """
---
title: Good note
videoId: abcdefghijk
---

## Section

A claim about **photosynthesis** worth studying <a class="yt-timestamp" data-t="00:01:05">[00:01:05]</a>.
"""


def run(*args: str):
    return runner.invoke(app, list(args))


def test_help_documents_every_option():
    result = run("--help")
    assert result.exit_code == 0
    for option in OPTIONS + ("--version",):
        assert option in result.output
    for name in EXTRACTORS:
        assert name in result.output


def test_readme_documents_every_option_and_extractor():
    readme = (REPO / "README.md").read_text()
    for word in (*OPTIONS, *EXTRACTORS):
        assert f"`{word}" in readme, word


def test_build_prints_summary_and_writes_deck(vault):
    vault.write("good.md", GOOD)
    result = run(str(vault.dir), "--out", str(vault.out))
    assert result.exit_code == 0, result.output
    assert "1 note -> 2 cards (1 headings, 0 callouts, 1 claims)" in result.output
    assert "changes: 2 new, 0 updated, 0 unchanged, 0 re-attached, 0 retired" in result.output
    assert (vault.out / "notes.apkg").is_file()
    again = run(str(vault.dir), "--out", str(vault.out), "--verbose")
    assert "changes: 0 new, 0 updated, 2 unchanged" in again.output
    assert "good.md: 2 unchanged" in again.output and "is up to date" in again.output


def test_dry_run_writes_nothing(vault):
    vault.write("good.md", GOOD)
    result = run(str(vault.dir), "--out", str(vault.out), "--dry-run")
    assert result.exit_code == 0
    assert "dry run: nothing written" in result.output
    assert not vault.out.exists()


def test_json_report_for_scripts(vault):
    vault.write("good.md", GOOD)
    vault.write("plain.md", "---\ntitle: No video\n---\n\n## Idea\n\nAn idea without a video.\n")
    result = run(str(vault.dir), "--out", str(vault.out), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["notes"] == 2
    assert report["cards"] == {"headings": 2, "callouts": 0, "claims": 1}
    assert report["notes_without_video"] == ["plain.md"]
    assert report["cards_without_link"] == 1


def test_bad_note_is_reported_with_file_and_line_and_others_still_build(vault):
    vault.write("good.md", GOOD)
    vault.write("broken.md", "---\ntitle: [unclosed\nvideoId: abcdefghijk\n---\n\n## A\n\nText.\n")
    result = run(str(vault.dir), "--out", str(vault.out))
    assert result.exit_code == 1
    # named from the current folder, where an editor opens file:line (the notes folder here)
    assert f"{vault.dir / 'broken.md'}:2: error: frontmatter is not valid YAML" in result.output
    assert "Traceback" not in result.output
    assert "1 note failed and was left out" in result.output and "1 error" in result.output
    assert (vault.out / "notes.apkg").is_file()


def test_strict_turns_warnings_into_failure(vault):
    vault.write("bad-id.md", "---\ntitle: X\nvideoId: not-an-id\n---\n\n## A\n\nText here.\n")
    assert run(str(vault.dir), "--out", str(vault.out)).exit_code == 0
    result = run(str(vault.dir), "--out", str(vault.out), "--strict")
    assert result.exit_code == 1
    assert "bad-id.md:3: warning: videoId 'not-an-id' is not a YouTube video id" in result.output


def test_skip_turns_an_extractor_off(vault):
    vault.write("good.md", GOOD)
    report = json.loads(run(str(vault.dir), "--out", str(vault.out), "--json", "--skip", "claims").stdout)
    assert report["cards"] == {"headings": 1, "callouts": 0}


def test_unknown_extractor_is_a_usage_error(vault):
    result = run(str(vault.dir), "--skip", "nope")
    assert result.exit_code == 2
    assert "unknown extractor 'nope'" in result.output


def test_missing_notes_folder_is_a_clear_error(tmp_path):
    result = run(str(tmp_path / "missing"), "--out", str(tmp_path / "decks"))
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_a_bug_is_one_clear_line_not_a_traceback_and_the_last_deck_stands(vault, monkeypatch):
    import cardgen.changes

    vault.write("good.md", GOOD)
    assert run(str(vault.dir), "--out", str(vault.out)).exit_code == 0
    deck = vault.out / f"{vault.dir.name}.apkg"
    before = deck.read_bytes()

    def broken(self):
        raise KeyError("lecture-1#headings#introduction")

    monkeypatch.setattr(cardgen.changes.Planner, "finish", broken)
    vault.write("other.md", GOOD.replace("Good note", "Other note"))
    result = run(str(vault.dir), "--out", str(vault.out))
    assert result.exit_code == 1
    assert "cardgen failed (KeyError: 'lecture-1#headings#introduction'): this is a bug" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert deck.read_bytes() == before
    monkeypatch.undo()
    assert run(str(vault.dir), "--out", str(vault.out)).exit_code == 0  # and the next build carries on


def test_out_of_range_numbers_are_usage_errors_as_in_cardgen_toml(vault):
    vault.write("good.md", GOOD)
    for args in (("--retire-after", "-3"), ("--wait", "-1"), ("--retire-after", "40000")):
        result = run(str(vault.dir), "--out", str(vault.out), *args)
        assert result.exit_code == 2 and "Invalid value" in result.output, args
    assert not vault.out.exists()


def test_a_deck_name_with_no_word_is_a_usage_error_as_in_cardgen_toml(vault):
    """Before, --deck "::" built a deck named "_" into cardgen.apkg, and --deck "" the folder's deck while
    `config` showed deck = ""."""
    vault.write("good.md", GOOD)
    for name in ("::", "", " :: "):
        result = run(str(vault.dir), "--out", str(vault.out), "--deck", name)
        assert result.exit_code == 2 and "is empty; name the top deck with a word" in result.output, name
    assert not vault.out.exists()
    (vault.dir / "cardgen.toml").write_text('deck = "::"\n')
    result = run(str(vault.dir), "--out", str(vault.out))
    assert result.exit_code == 1 and "cardgen.toml:1: deck: deck name '::' is empty" in result.output
    (vault.dir / "cardgen.toml").unlink()
    assert run(str(vault.dir), "--out", str(vault.out), "--deck", "Physics").exit_code == 0
    assert [p.name for p in vault.out.glob("*.apkg")] == ["Physics.apkg"]


def test_quiet_and_verbose_together_is_a_usage_error(vault):
    vault.write("good.md", GOOD)
    result = run(str(vault.dir), "--out", str(vault.out), "-q", "-v")
    assert result.exit_code == 2 and "cannot be used with --quiet" in result.output
    assert not vault.out.exists()


def test_an_emptied_notes_folder_says_so(vault):
    """An unmounted or half-synced vault seen by a scheduled build: before, every card retired silently."""
    note = vault.write("good.md", GOOD)
    assert run(str(vault.dir), "--out", str(vault.out)).exit_code == 0
    note.unlink()
    result = run(str(vault.dir), "--out", str(vault.out), "--quiet")
    assert "no Markdown notes here: every card of the deck retires" in result.output


def test_a_folder_that_cannot_be_read_keeps_its_cards_and_fails_the_build(vault, tmp_path, monkeypatch):
    """A linked folder whose drive is not mounted, or a folder the build may not read: before, every card of
    its notes retired (suspended with --suspend-retired) and the build exited 0 with no word of it."""
    elsewhere = tmp_path / "drive" / "physics"
    elsewhere.mkdir(parents=True)
    (elsewhere / "waves.md").write_text(GOOD.replace("Good note", "Waves"))
    (vault.dir / "physics").symlink_to(elsewhere, target_is_directory=True)
    vault.write("bio/cells.md", GOOD.replace("Good note", "Cells"))
    vault.write("good.md", GOOD)
    assert run(str(vault.dir), "--out", str(vault.out)).exit_code == 0
    guids = {c["guid"] for c in vault.cards()}

    elsewhere.parent.rename(tmp_path / "unmounted")  # the link now leads nowhere
    real_scandir = os.scandir

    def denied(path):  # and bio/ may not be read (chmod 000 does not stop root, who runs CI)
        if str(path).endswith("bio"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    for _ in range(2):  # and again, with nothing changed since
        result = run(str(vault.dir), "--out", str(vault.out))
        assert result.exit_code == 1
        assert "physics:1: error: this folder could not be read (it links to a folder that is not there)" in result.output
        assert "bio:1: error: this folder could not be read (Permission denied)" in result.output
        assert "0 retired" in result.output and "cardgen failed" not in result.output
    monkeypatch.undo()
    (tmp_path / "unmounted").rename(elsewhere.parent)
    result = run(str(vault.dir), "--out", str(vault.out))
    assert result.exit_code == 0 and "0 new" in result.output and "0 retired" in result.output
    assert {c["guid"] for c in vault.cards()} == guids and not any("retired" in c["tags"] for c in vault.cards())


def test_a_notes_path_that_is_a_file_is_named_as_one(vault):
    note = vault.write("good.md", GOOD)
    result = run(str(note), "--out", str(vault.out))
    assert result.exit_code == 1 and "is a file, not a folder" in result.output


def test_a_log_that_cannot_show_a_notes_letters_gets_question_marks(vault):
    """A cron log in latin-1 (or LANG=C): before, a traceback ending in UnicodeEncodeError, after the deck was written."""
    vault.write("Ünïcødé nöte 日本.md", GOOD)
    result = subprocess.run([sys.executable, "-m", "cardgen", str(vault.dir), "--out", str(vault.out), "-v"],
                            capture_output=True, env={**os.environ, "PYTHONIOENCODING": "latin-1"}, timeout=120)
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    assert b"n\xf6te ??.md: 2 new" in result.stdout


def test_a_full_log_disk_is_one_line(vault):
    vault.write("good.md", GOOD)
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "cardgen", str(vault.dir), "--out", str(vault.out)],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().endswith("error: build-deck could not write its messages (No space left on device); "
                                          "the deck and its build state are whole")


def test_json_when_the_build_cannot_run_is_json(tmp_path):
    """Before, --json printed nothing on stdout, and a script's json.load failed."""
    result = run(str(tmp_path / "nope"), "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": f"notes folder {tmp_path / 'nope'} does not exist", "written": False}


def test_an_up_to_date_deck_is_named_as_this_run_names_it(vault, monkeypatch):
    """Before, a no-change build reported the path the last build was given, relative to where that one ran."""
    note = vault.write("good.md", GOOD)
    os.utime(note, (note.stat().st_mtime - 3600,) * 2)  # saved an hour ago: the next build takes the no-change path
    monkeypatch.chdir(vault.dir.parent)
    assert run("notes", "--out", "decks").exit_code == 0
    monkeypatch.chdir("/")
    result = run(str(vault.dir), "--out", str(vault.out), "--json")
    assert json.loads(result.stdout)["written"] is False  # (it was up to date)
    assert json.loads(result.stdout)["output"] == str(vault.out / "notes.apkg")


def test_strict_says_why_it_failed_and_delivers_nothing(vault, tmp_path):
    """Before, --strict wrote the deck, put it into Anki and exited 1 with no word of why."""
    from anki.collection import Collection

    (tmp_path / "anki").mkdir()
    Collection(str(tmp_path / "anki" / "collection.anki2")).close()
    vault.write("good.md", GOOD)
    vault.write("warned.md", GOOD.replace("abcdefghijk", "short"))  # not a video id: a warning
    result = run(str(vault.dir), "--out", str(vault.out), "--strict", "--into", str(tmp_path / "anki" / "collection.anki2"))
    assert result.exit_code == 1
    assert "failed: --strict, and the build had 2 warnings (not delivered to Anki)" in result.output  # (and no link)
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        assert col.note_count() == 0
    finally:
        col.close()


def test_quiet_runs_that_find_nothing_changed_repeat_no_warning_but_every_error(vault):
    """A cron job: before, -q printed the same warnings every 15 minutes, so a mail every 15 minutes."""
    for name, text in (("warned.md", GOOD.replace("abcdefghijk", "short")), ("broken.md", "---\ntitle: [\n---\n")):
        note = vault.write(name, text)
        os.utime(note, (note.stat().st_mtime - 3600,) * 2)  # saved an hour ago: reruns take the no-change path
    first = run(str(vault.dir), "--out", str(vault.out), "-q")
    assert "warned.md:3: warning" in first.output and "broken.md:3: error" in first.output
    again = run(str(vault.dir), "--out", str(vault.out), "-q")
    assert again.exit_code == 1 and "warning" not in again.output and "broken.md:3: error" in again.output
    assert "warned.md:3: warning" in run(str(vault.dir), "--out", str(vault.out)).output  # not quiet: all of them
