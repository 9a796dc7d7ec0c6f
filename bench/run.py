#!/usr/bin/env python3
"""Benchmark build-deck against the genanki floor on synthetic vaults; prints a table.

    .venv/bin/python bench/run.py [--sizes 1000 5000 20000] [--repeat 3] [--shared ../shared]
                                  [--cliffs] [--peer PATH/TO/mdankideck [--peer-sizes 5000]]

For each size it generates a vault with the shared generator (``<shared>/bench/make_vault.py``),
then times whole processes (start-up and imports included), median of --repeat runs (floor and full
build in turns):

  floor      <shared>/bench/floor.py: read, mistune-parse, one genanki note per section, one .apkg
  full       build-deck into an empty output folder (every default extractor on)
  no change  build-deck again, nothing edited
  one note   build-deck after one note gained a timestamped sentence
  peer       (with --peer) markdown-anki-decks on the same vault, once

Peak memory is the process's maximum RSS; CPU s is the user and system time of the process and its
worker processes (both from os.wait4). Ratios are to floor in the same run, since these machines are
noisy. The floor runs on one core: "CPU × floor" says how much more work a build does, and so how
far two cores can take its wall time. The notes get modification times an hour in the past, as in a vault
edited earlier in the day: a file saved in the same second as a build is re-read on principle.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


class Run(NamedTuple):
    wall: float  # seconds
    mib: float  # peak RSS
    cpu: float  # seconds, user and system, workers included


def timed(cmd: list[str]) -> Run:
    """One process's run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return Run(wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def median_run(cmd: list[str], repeat: int, before=None) -> Run:
    return median_runs([(cmd, before)], repeat)[0]


def median_runs(jobs: list[tuple[list[str], Callable[[], None] | None]], repeat: int) -> list[Run]:
    """The median wall and CPU seconds and the peak MiB of each (command, setup) of ``jobs``, run in
    turns, so a machine that slows down or speeds up midway weighs on every command alike."""
    runs: list[list[Run]] = [[] for _ in jobs]
    for _ in range(repeat):
        for (cmd, before), found in zip(jobs, runs, strict=True):
            if before:
                before()
            found.append(timed(cmd))
    return [Run(statistics.median(r.wall for r in found), max(r.mib for r in found),
                statistics.median(r.cpu for r in found)) for found in runs]


def age(vault: Path, seconds: int = 3600) -> None:
    past = time.time() - seconds
    for p in vault.rglob("*.md"):
        os.utime(p, (past, past))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--cliffs", action="store_true",
                    help="also time one 1.25 MB note against one 5 MB note, 5,000 against 20,000 tiny notes, "
                         "and rebuilds of vaults and notes four times bigger (see cliffs)")
    ap.add_argument("--peer", type=Path, metavar="MDANKIDECK",
                    help="also time markdown-anki-decks, run once as MDANKIDECK VAULT OUTDIR on the vaults of "
                         "--peer-sizes (it takes minutes; install it in a venv of its own with "
                         "pip install markdown-anki-decks 'click<8.1')")
    ap.add_argument("--peer-sizes", type=int, nargs="+", default=[5000])
    args = ap.parse_args()
    make_vault, floor = args.shared / "bench" / "make_vault.py", args.shared / "bench" / "floor.py"
    if not make_vault.exists():
        sys.exit(f"no vault generator at {make_vault}; pass --shared")
    build = [PY, "-m", "cardgen"]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.repeat} runs\n")
    print(f"{'notes':>6} {'run':<10} {'wall s':>7} {'peak MiB':>9} {'cards/s':>8} {'× floor':>8} {'× full':>7} "
          f"{'CPU s':>6} {'CPU × floor':>11}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="cardgen-bench-") as tmp:
            vault, out = Path(tmp) / "vault", Path(tmp) / "decks"
            subprocess.run([PY, str(make_vault), "--n", str(n), "--out", str(vault)], check=True,
                           stdout=subprocess.DEVNULL)
            cards = json.loads((vault / "manifest.json").read_text())["cards"]
            age(vault)
            floor_run, full = median_runs([
                ([PY, str(floor), str(vault), "-o", str(Path(tmp) / "floor.apkg")], None),
                (build + [str(vault), "-o", str(out), "-q"], functools.partial(shutil.rmtree, out, ignore_errors=True)),
            ], args.repeat)
            built = json.loads(subprocess.run(build + [str(vault), "-o", str(out), "--json"], check=True,
                                              capture_output=True, text=True).stdout)
            same = median_run(build + [str(vault), "-o", str(out), "-q"], args.repeat)
            target = sorted(vault.rglob("*.md"))[n // 2]
            counter = iter(range(10**6))

            def edit_one(target: Path = target, counter=counter, n: int = n) -> None:
                with target.open("a") as f:
                    f.write(f"\n\nA freshly added claim number {next(counter)} about benchmarks [00:00:0{n % 10}].\n")

            one = median_run(build + [str(vault), "-o", str(out), "-q"], args.repeat, before=edit_one)
            total = sum(built["cards"].values())
            for name, run in (("floor", floor_run), ("full", full), ("no change", same), ("one note", one)):
                rate = (cards if name == "floor" else total) / run.wall
                print(f"{n:>6} {name:<10} {run.wall:>7.2f} {run.mib:>9.0f} {rate:>8.0f} "
                      f"{run.wall / floor_run.wall:>8.2f} {run.wall / full.wall:>7.1%} {run.cpu:>6.2f} "
                      f"{run.cpu / floor_run.cpu:>11.2f}")
            print(f"{'':>6} ({cards} sections for floor; build-deck made {total} cards, "
                  f"{full.wall / n * 1000:.2f} ms per note)")
            if args.peer and n in args.peer_sizes:
                peer_out = Path(tmp) / "peer"
                peer_out.mkdir()
                peer = median_run([str(args.peer), str(vault), str(peer_out)], 1)
                if not any(peer_out.glob("*.apkg")):
                    sys.exit(f"{args.peer} wrote no deck")
                print(f"{n:>6} {'peer':<10} {peer.wall:>7.2f} {peer.mib:>9.0f} {'':>8} "
                      f"{peer.wall / floor_run.wall:>8.2f} {peer.wall / full.wall:>7.1%} {peer.cpu:>6.2f} "
                      f"{peer.cpu / floor_run.cpu:>11.2f}   "
                      f"(markdown-anki-decks, one run: build-deck is {peer.wall / full.wall:.1f}x faster)")
        sys.stdout.flush()
    if args.cliffs:
        cliffs(build, args.repeat, make_vault)


def cliffs(build: list[str], repeat: int, make_vault: Path) -> None:
    """Cost must grow in line with the input: 4x the input, about 4x the time, whatever its shape.
    First builds of a big note and of many tiny notes; then rebuilds, each timed after a first build of
    the vault: half a vault's notes deleted while the others gain a claim (every gone card is a
    candidate for every new one), every stamp of a long transcript shifted (each claim is matched with
    the earlier ones by its words), one claim reworded among many at one moment (cards told apart by
    rank)."""
    body = ("## Topic {i}\n\nA sentence about topic {i} that is long enough to be a claim [{m:02d}:{s:02d}].\n\n"
            "> [!info] Term {i}\n> The definition of term {i}.\n\n")
    head = "---\ntitle: {t}\nvideoId: abcdefghijk\n---\n\n"

    def one_note(folder: Path, mb: float) -> None:
        folder.mkdir(parents=True)
        parts, size, i = [head.format(t="Huge")], 0, 0
        while size < mb * 1_000_000:
            parts.append(body.format(i=i, m=i // 60 % 60, s=i % 60))
            size, i = size + len(parts[-1]), i + 1
        (folder / "huge.md").write_text("".join(parts))

    def tiny_notes(folder: Path, n: int) -> None:
        folder.mkdir(parents=True)
        for i in range(n):
            (folder / f"tiny-{i:05d}.md").write_text(head.format(t=f"Tiny {i}") + body.format(i=i, m=1, s=5))
        age(folder)

    def synthetic(folder: Path, n: int) -> None:
        subprocess.run([PY, str(make_vault), "--n", str(n), "--out", str(folder)], check=True,
                       stdout=subprocess.DEVNULL)
        (folder / "manifest.json").unlink()
        age(folder)

    def halve(folder: Path) -> None:
        for i, note in enumerate(sorted(folder.rglob("*.md"))):
            if i % 2:
                note.unlink()
            else:
                with note.open("a") as f:
                    f.write(f"\nA freshly added claim number {i} about benchmarks [00:0{i % 10}:1{i % 10}].\n")

    def transcript(n: int, shift: int, same_moment: bool = False, reworded: int | None = None) -> str:
        words = ("signal", "memory", "protein", "orbit", "market", "neuron", "carbon", "engine", "galaxy", "theory")
        lines = []
        for i in range(n):
            at = 10 + shift + (0 if same_moment else 3 * i)
            pick = random.Random(i)  # claims in words of their own, as in a real talk
            said = " ".join(f"{pick.choice(words)}{pick.randrange(100)}" for _ in range(6))
            said = "reworded entirely in other words now" if i == reworded else said
            lines.append(f"The {said} claim [{at // 3600:02d}:{at // 60 % 60:02d}:{at % 60:02d}].")
        return head.format(t="Transcript") + "## Transcript\n\n" + "\n".join(lines) + "\n"

    def claims(folder: Path) -> int:
        return sum(line.startswith("The ") for line in (folder / "talk.md").read_text().splitlines())

    def long_transcript(folder: Path, n: int) -> None:
        folder.mkdir(parents=True)
        (folder / "talk.md").write_text(transcript(n, 0))

    def shift(folder: Path) -> None:
        (folder / "talk.md").write_text(transcript(claims(folder), 2))

    def one_moment(folder: Path, n: int) -> None:
        folder.mkdir(parents=True)
        (folder / "talk.md").write_text(transcript(n, 0, same_moment=True))

    def reword(folder: Path) -> None:
        n = claims(folder)
        (folder / "talk.md").write_text(transcript(n, 0, same_moment=True, reworded=n // 2))

    print(f"\n{'cliffs':<54} {'wall s':>7} {'peak MiB':>9} {'× smaller':>10}")
    for name, make, edit, small, large in (
            ("one note, 1.25 MB -> 5 MB", one_note, None, 1.25, 5.0),
            ("tiny notes, 5,000 -> 20,000", tiny_notes, None, 5000, 20000),
            ("rebuild, half deleted, 1,000 -> 4,000 notes", synthetic, halve, 1000, 4000),
            ("rebuild, stamps shifted, 5,000 -> 20,000 claims", long_transcript, shift, 5000, 20000),
            ("rebuild, 1 of 500 -> 2,000 at one moment", one_moment, reword, 500, 2000)):
        times = []
        for size in (small, large):
            with tempfile.TemporaryDirectory(prefix="cardgen-cliff-") as tmp:
                vault, out = Path(tmp) / "vault", Path(tmp) / "out"
                cmd = build + [str(vault), "-o", str(out), "-q"]
                make(vault, size)  # type: ignore[operator]
                if edit is None:
                    run = median_run(cmd, repeat, before=functools.partial(shutil.rmtree, out, ignore_errors=True))
                else:  # each run from the same first build (the copies keep the files' times)
                    subprocess.run(cmd, check=True)
                    shutil.copytree(vault, Path(tmp) / "vault.built")
                    shutil.copytree(out, Path(tmp) / "out.built")

                    def again(tmp: Path = Path(tmp), edit=edit) -> None:
                        for name in ("vault", "out"):
                            shutil.rmtree(tmp / name)
                            shutil.copytree(tmp / f"{name}.built", tmp / name)
                        edit(tmp / "vault")

                    run = median_run(cmd, repeat, before=again)
                times.append(run.wall)
                print(f"{name + f' ({size:g})':<54} {run.wall:>7.2f} {run.mib:>9.0f} {run.wall / times[0]:>10.2f}")


if __name__ == "__main__":
    main()
