"""Crash safety: kill the build (SIGKILL) at every checkpoint of three builds; each time the previous
deck and state must stay whole and importable, and the next build must recover exactly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import T0, read_apkg

from cardgen.apkg import package
from cardgen.apkg.collection import create_collection
from cardgen.pipeline import BuildOptions, build_deck
from cardgen.state import open_store

SCRIPT = """
import sys
from pathlib import Path
from cardgen.apkg import package
from cardgen.pipeline import BuildOptions, build_deck
package.FRAME_BYTES = int(sys.argv[4])  # as in the test's own builds (conftest)
build_deck(BuildOptions(notes_dir=Path(sys.argv[1]), out_dir=Path(sys.argv[2]), timestamp=float(sys.argv[3])))
"""


def note(i: int, version: int = 0) -> str:
    return (f"---\ntitle: Note {i}\nvideoId: CrashTest{i:02d}\n---\n\n## Topic {i}\n\n"
            f"Statement {i} version {version} explains how crash safety keeps decks whole "
            f"<a class=\"yt-timestamp\" data-t=\"00:0{i % 10}:1{version}\">[00:0{i % 10}:1{version}]</a>.\n\n"
            f"> [!info] Term {i}\n> Definition {i} in version {version}.\n")


def write_vault(root: Path, versions: dict[int, int]) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for i, v in versions.items():
        (root / f"note-{i}.md").write_text(note(i, v))
    return root


def build(notes: Path, out: Path, ts: float) -> None:
    build_deck(BuildOptions(notes_dir=notes, out_dir=out, timestamp=ts))


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} if out.exists() else {}


def crash(notes: Path, out: Path, ts: float, at: int) -> int:
    env = {**os.environ, "CARDGEN_CRASH_AT": str(at)}
    return subprocess.run([sys.executable, "-c", SCRIPT, str(notes), str(out), str(ts), str(package.FRAME_BYTES)],
                          env=env,
                          capture_output=True).returncode


def check_whole(out: Path, decks: set[bytes], where: str) -> None:
    deck = out / "notes.apkg"
    if deck.exists():
        assert deck.read_bytes() in decks, f"{where}: the deck is neither the old one nor the new one"
        with zipfile.ZipFile(deck) as z:
            assert z.testzip() is None, where
        read_apkg(deck)  # the collection inside opens and reads
    assert identities(out) is not None, f"{where}: the state is damaged"


def identities(out: Path) -> dict[str, tuple] | None:
    """Every card's key -> (GUID, fingerprint, mod) in the state; None when the state is damaged."""
    store, problem = open_store(out, "notes", create_collection)
    try:
        return None if problem else {k: (g, f, m) for k, g, f, m in store.conn.execute(
            "SELECT key, guid, fp, mod FROM cards")}
    finally:
        store.conn.close()


def test_killed_at_any_point_loses_nothing_and_the_next_build_recovers(tmp_path):
    first = {i: 0 for i in range(6)}
    second = {**{i: 0 for i in range(6)}, 1: 1, 2: 1}
    second.pop(3)
    second[9] = 0
    scenarios = [("first build", {}, first, T0), ("rebuild", first, second, T0 + 100),
                 ("rebuild after a rebuild", second, {**second, 4: 1, 5: 1}, T0 + 200)]
    kill_points = 0
    for name, before, after, ts in scenarios:
        base_out = tmp_path / name / "base"
        if before:
            build(write_vault(tmp_path / name / "notes", before), base_out, ts - 100)
        base = files(base_out)
        notes = write_vault(tmp_path / name / "notes", after)
        ref_out = tmp_path / name / "ref"
        if base:
            shutil.copytree(base_out, ref_out)
        build(notes, ref_out, ts)
        ref = files(ref_out)
        decks = {ref["notes.apkg"]} | ({base["notes.apkg"]} if base else set())

        def run(at: int, name=name, base_out=base_out, notes=notes, ts=ts) -> tuple[int, Path]:
            out = tmp_path / name / f"crash-{at}"
            if base_out.exists():
                shutil.copytree(base_out, out)
            return crash(notes, out, ts, at), out

        at, done = 1, False
        while not done:
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(run, range(at, at + 8)))
            for offset, (code, out) in enumerate(results):
                if code == 0:  # past the last checkpoint: the build finished
                    done = True
                    continue
                assert code == -9, f"{name}, kill point {at + offset}: exit {code}"
                kill_points += 1
                check_whole(out, decks, f"{name}, kill point {at + offset}")
                build(notes, out, ts)  # the next build recovers ...
                assert files(out)["notes.apkg"] == ref["notes.apkg"], f"{name}, kill point {at + offset}"
                assert identities(out) == identities(ref_out), f"{name}, kill point {at + offset}"
            at += 8
    print(f"\nkilled the build at {kill_points} points; every time nothing was lost")
    assert kill_points >= 50


def test_ctrl_c_during_a_parallel_build_says_so_and_the_next_build_carries_on(tmp_path):
    """Ctrl-C reaches the whole process group: the workers leave it to the build, which stops with one
    line (no traceback from any process), and the next build completes as if nothing happened."""
    import signal
    import time

    notes, out = tmp_path / "notes", tmp_path / "out"
    notes.mkdir()
    for i in range(1500):  # enough for the worker pool, and for the build to take a while
        (notes / f"n{i:04d}.md").write_text(note(i))
    cmd = [sys.executable, "-m", "cardgen", str(notes), "-o", str(out), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    state = out / ".cardgen" / "notes.state.db"
    deadline = time.monotonic() + 30
    while not state.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # the workers are parsing notes by now
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.startswith("interrupted:") and "Traceback" not in err and "Process" not in err, err
    done = subprocess.run(cmd[:-1], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1500 notes -> 4500 cards" in done.stdout and "changes: 4500 new" in done.stdout  # rolled back
