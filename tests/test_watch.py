"""--watch as a user runs it: a real process, real file events, Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

from conftest import read_apkg

NOTE = """---
title: Watched
videoId: Wa7cHeD-v1d
---

## Idea

Plants turn sunlight into sugar through photosynthesis <a class="yt-timestamp" data-t="00:01:05">[00:01:05]</a>.
"""


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_watch_rebuilds_after_an_edit_survives_a_broken_save_and_stops_on_ctrl_c(vault):
    note = vault.write("watched.md", NOTE)
    deck = vault.out / "notes.apkg"
    proc = subprocess.Popen([sys.executable, "-m", "cardgen", str(vault.dir), "--out", str(vault.out), "--watch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        assert wait_for(deck.exists), "the first build did not happen"  # the watcher runs from before it
        note.write_bytes(b"---\ntitle: [half\n\xff")  # an editor's half-written save
        assert wait_for(lambda: any("watched.md:3: error: not UTF-8" in e for e in errors)), errors
        note.write_text(NOTE.replace("sugar", "glucose"))

        def rebuilt() -> bool:
            try:
                return any("glucose" in c["fields"]["Back"] for c in read_apkg(deck))
            except Exception:  # a reader may race the atomic replace on slow disks
                return False

        assert wait_for(rebuilt), "the edit did not reach the deck"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        reader.join(timeout=5)
        proc.stderr.close()
    err = "".join(errors)
    assert proc.returncode == 130, err  # as an interrupted build ends
    assert "stopped watching" in err and "Traceback" not in err


def watching(vault, reports: list):
    """watch() in a thread, as --watch runs it; returns its stop event and thread."""
    from cardgen.pipeline import BuildOptions
    from cardgen.watch import watch

    stop = threading.Event()
    opts = BuildOptions(notes_dir=vault.dir, out_dir=vault.out)
    thread = threading.Thread(target=watch, args=(opts, reports.append, stop), daemon=True)
    thread.start()
    return stop, thread


def test_a_burst_of_saves_is_built_once(vault):
    """An editor saving many times in a second (autosave, a sync tool): before, 30 saves 20 ms apart gave 7
    builds, as watchfiles yields after 50 ms of quiet; a burst now ends after 700 ms of quiet."""
    note = vault.write("watched.md", NOTE)
    reports: list = []
    stop, thread = watching(vault, reports)
    try:
        assert wait_for(lambda: len(reports) == 1), "the first build did not happen"
        for i in range(30):
            with note.open("a") as f:
                f.write(f"\nAnother line {i}.\n")
            time.sleep(0.02)
        assert wait_for(lambda: len(reports) >= 2), "the burst was not built"
        time.sleep(2)
        assert len(reports) <= 3, [type(r).__name__ for r in reports]  # one build (two if the machine stalled)
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_notes_folder_deleted_and_made_again_is_watched_again(vault, tmp_path):
    """A backup restored or a repository cloned anew: before, the watcher said the folder did not exist once
    and then never built again."""
    vault.write("watched.md", NOTE)
    backup = tmp_path / "backup"
    shutil.copytree(vault.dir, backup)
    reports: list = []
    stop, thread = watching(vault, reports)
    try:
        assert wait_for(lambda: len(reports) == 1), "the first build did not happen"
        shutil.rmtree(vault.dir)
        assert wait_for(lambda: any("is gone" in str(r) for r in reports)), reports
        shutil.copytree(backup, vault.dir)
        (vault.dir / "watched.md").write_text(NOTE.replace("sugar", "glucose"))

        def rebuilt() -> bool:
            try:
                return any("glucose" in c["fields"]["Back"] for c in read_apkg(vault.out / "notes.apkg"))
            except Exception:  # a reader may race the atomic replace on slow disks
                return False

        assert wait_for(rebuilt), reports
    finally:
        stop.set()
        thread.join(timeout=10)


def test_watching_a_folder_that_does_not_exist_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cardgen", str(tmp_path / "nope"), "--watch"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"error: notes folder {tmp_path / 'nope'} does not exist" in result.stderr
