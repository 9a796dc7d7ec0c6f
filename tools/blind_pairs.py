#!/usr/bin/env python3
"""Blind pairs of the cards two versions of cardgen make differently, for a judge; then the tally.

    python tools/blind_pairs.py make OLD_REV NEW_REV NOTES_DIR... --out pairs.json --key key.json
    (a judge writes verdicts.txt: one line a pair, "<n> <1|2|=> why")
    python tools/blind_pairs.py tally key.json verdicts.txt

A change to which words a cloze hides, or to what an answer shows, is a matter of judgement: this
is how it was measured (session 9: a topic rule for cloze terms, 26 pairs better, 22 worse, 44 alike,
so it was dropped; the sentence shown before an It/This claim, 99 better, 5 worse, 15 alike). Each
pair is one card key whose card differs between the two revisions, its two versions in random order
(seeded: the same pairs every run); the key file says which side is the old one. Keys that only one
revision makes are left out (a moment read differently changes a claim's key).
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# run in a child process with the revision's cardgen first on its path: the cards of every note
_DUMP = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from cardgen.extract import EXTRACTORS, run_extractors
from cardgen.parse import parse_note
out = {}
for folder in sys.argv[2:]:
    for path in sorted(Path(folder).rglob("*.md")):
        note, _ = parse_note(path.name, path.read_text(encoding="utf-8", errors="replace"), path.stem)
        for card in run_extractors(note, EXTRACTORS) if note is not None else []:
            out[f"{path}|{card.key}"] = [card.kind, card.context, card.front, card.back]
json.dump(out, sys.stdout)
"""


def cards_of(rev: str, folders: list[str]) -> dict[str, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "cardgen"], capture_output=True, check=True)
        with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        found = subprocess.run([sys.executable, "-c", _DUMP, tmp, *folders], capture_output=True, text=True,
                               check=True, cwd=tmp)
    return json.loads(found.stdout)


def readable(field: str) -> str:
    """A field as a reader sees it: the sentence shown before a claim marked, a cloze as "[...](words)"."""
    field = re.sub(r'<div class="cg-before">(.*?)</div>', r"\n(shown above, muted) \1", field)
    field = re.sub(r"<br\s*/?>|</li>|</p>", "\n", field)
    field = html.unescape(re.sub(r"<(?!/?b>)[^>]+>", "", field))
    return re.sub(r"\{\{c\d+::(.*?)\}\}", r"[...](\1)", field).strip()


_CLOZE_BACK = "(cloze: the hidden words are in the brackets)"


def make(args: argparse.Namespace) -> None:
    old, new = cards_of(args.old, args.folders), cards_of(args.new, args.folders)
    pairs, key = [], []
    rnd = random.Random(args.seed)
    for k in sorted(old.keys() & new.keys()):
        if old[k] == new[k]:
            continue
        old_first = rnd.random() < 0.5
        sides = (old[k], new[k]) if old_first else (new[k], old[k])
        pairs.append({"n": len(pairs) + 1, "note": k.partition("|")[0], **{
            f"card_{i}": {"context": readable(c[1]), "front": readable(c[2]),
                          "back": readable(c[3]) if c[0] == "basic" else _CLOZE_BACK}
            for i, c in enumerate(sides, 1)}})
        key.append({"n": len(pairs), "old_is": 1 if old_first else 2})
    Path(args.out).write_text(json.dumps(pairs, indent=1, ensure_ascii=False) + "\n")
    Path(args.key).write_text(json.dumps(key) + "\n")
    print(f"{len(pairs)} pairs of {len(old.keys() & new.keys())} cards both make; the key is in {args.key}")


def tally(args: argparse.Namespace) -> None:
    old_is = {k["n"]: k["old_is"] for k in json.loads(Path(args.key).read_text())}
    counts = {"new": 0, "old": 0, "alike": 0}
    for line in Path(args.verdicts).read_text().splitlines():
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].isdigit() or int(parts[0]) not in old_is:
            continue
        verdict = parts[1]
        counts["alike" if verdict == "=" else "old" if verdict == str(old_is[int(parts[0])]) else "new"] += 1
    print(f"new better {counts['new']}, old better {counts['old']}, alike {counts['alike']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("old")
    m.add_argument("new")
    m.add_argument("folders", nargs="+")
    m.add_argument("--out", default="pairs.json")
    m.add_argument("--key", default="key.json")
    m.add_argument("--seed", type=int, default=11)
    t = sub.add_parser("tally")
    t.add_argument("key")
    t.add_argument("verdicts")
    args = ap.parse_args()
    (make if args.command == "make" else tally)(args)


if __name__ == "__main__":
    main()
