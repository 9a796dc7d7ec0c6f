#!/usr/bin/env python3
"""Fuzz the parser and extractors with mutated real-format notes; print how many inputs were tried.

    .venv/bin/python bench/fuzz.py [--inputs 100000] [--seed 1] [--jobs 2]

Seeds are the sample vault (notes/) and the test fixtures. Each input is a seed mutated 1-8 times
(insert syntax fragments, delete, duplicate or swap spans, flip bytes, splice two seeds), then read
exactly as the build reads a file: bytes -> decode -> parse -> extract -> Anki fields. The only
allowed failure is the project's own NoteError (a message for the user); anything else is a crash,
and its input is saved under fuzz-crashes/.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from multiprocessing import Pool
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cardgen.errors import NoteError  # noqa: E402
from cardgen.extract import EXTRACTORS, run_extractors  # noqa: E402
from cardgen.media import MediaOptions  # noqa: E402
from cardgen.parse import parse_note  # noqa: E402
from cardgen.vault import Recipe, decode_note, stored_cards  # noqa: E402

RECIPE = Recipe(tuple(EXTRACTORS), "fuzz", "vault", MediaOptions())
FRAGMENTS = [
    "[00:47:47](#t=00:47:47)", "[05:30]", "[99:99]", "[53:18:00]", "[01:09:09, 01:09:11]", "[00:01:12](#)",
    '<a class="yt-timestamp" data-t="00:02:03">[00:02:03]</a>', '<a class="yt-timestamp" data-t="">', "</a>",
    "[[slug | alias]]", "[[t]]", "[[", "]]", "> [!info] Term\n> body", "> [!NOTE]", "> > [!MATH] x", "\n## ", "\n# ",
    "\n---\n", "---\ntitle: [\n---\n", "$x^2$", "$$", "\\(", "\\[", "$8 ", "```", "\n```js\n", "`", "**", "*", "_",
    "{{c1::x}}", "{{", "}}", "<script>", "<b>", "</div>", "<!--", "&amp;", "\u00e2\u20ac\u201c", "\ufeff", "\r\n", "\r",
    "\t", "\x00", "|", "| a | b |\n| --- | --- |\n", "\n* ", "\n1. ", "    ", "\n> ", "[x](javascript:alert(1))",
    "From: [[channel]] <br/>", "![[embed.png]]", "\\", "](", "[", "(", ")", ":", "::", "\n\n", "é", "🙂",
    "%%", "%%note%%", "\n%%\n", "==", "==mark==", "[^1]", "\n[^1]: aside\n", "\n$$\nx\n$$ [00:01:00]\n", "$$ ",
    "\\[00:01:00\\]", "**[00:02:00]**", "[00:00:00]-[00:01:03]", '\n<div class="admonition">\n', "<details>",
    "<summary>", "<p>", "</p>", "<style>", "[[sources/kvzQJ3wFaZs|Talk 2]]", "\nTitle\n-----\n", "σ ", "Это ",
    "## Sponsor\n",
]


def seeds() -> list[bytes]:
    paths = sorted((REPO / "notes").rglob("*.md")) + sorted((REPO / "tests" / "fixtures").rglob("*.md"))
    return [p.read_bytes() for p in paths]


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(6)
        i, j = sorted(rng.randrange(len(data) + 1) for _ in range(2)) if data else (0, 0)
        if op == 0:
            data = data[:i] + rng.choice(FRAGMENTS).encode() + data[i:]
        elif op == 1:
            data = data[:i] + data[j:]
        elif op == 2:
            data = data[:j] + data[i:j] + data[j:]
        elif op == 3 and data:
            k = rng.randrange(len(data))
            data = data[:k] + bytes([rng.randrange(256)]) + data[k + 1:]
        elif op == 4:
            other = rng.choice(pool)
            data = data[:i] + other[rng.randrange(len(other) + 1):]
        else:
            data = data[:i] + rng.choice(FRAGMENTS).encode() * rng.randint(2, 200) + data[j:]
    return data


def one(data: bytes) -> str | None:
    """None when the input was handled; the traceback when it crashed."""
    try:
        note, _ = parse_note("fuzz.md", decode_note(data, "fuzz.md"), "fuzz")
        if note is not None:
            stored_cards(run_extractors(note, EXTRACTORS), note, RECIPE)
    except NoteError:
        pass
    except Exception:  # noqa: BLE001 - counting every crash is the point
        return traceback.format_exc()
    return None


def work(args: tuple[int, int]) -> tuple[int, list[tuple[bytes, str]]]:
    seed, count = args
    rng = random.Random(seed)
    pool = seeds()
    crashes = []
    for _ in range(count):
        data = mutate(rng, rng.choice(pool), pool)
        error = one(data)
        if error:
            crashes.append((data, error))
    return count, crashes


def run(inputs: int, seed: int, jobs: int) -> tuple[int, list[tuple[bytes, str]]]:
    chunk = 500
    tasks = [(seed * 1_000_003 + n, min(chunk, inputs - n)) for n in range(0, inputs, chunk)]
    tried, crashes = 0, []
    if jobs == 1:
        results = map(work, tasks)
        for count, found in results:
            tried += count
            crashes += found
        return tried, crashes
    with Pool(jobs) as pool:
        for count, found in pool.imap_unordered(work, tasks):
            tried += count
            crashes += found
    return tried, crashes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    start = time.perf_counter()
    tried, crashes = run(args.inputs, args.seed, args.jobs)
    print(f"fuzz: {tried} inputs tried in {time.perf_counter() - start:.0f} s, {len(crashes)} crashes")
    if crashes:
        out = REPO / "fuzz-crashes"
        out.mkdir(exist_ok=True)
        for n, (data, error) in enumerate(crashes[:20]):
            (out / f"crash-{n}.md").write_bytes(data)
            (out / f"crash-{n}.txt").write_text(error)
        print(crashes[0][1])
        sys.exit(1)


if __name__ == "__main__":
    main()
