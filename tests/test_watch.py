"""--watch as a user runs it: a real process, real file events, Ctrl-C."""

from __future__ import annotations

import os
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
