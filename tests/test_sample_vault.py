"""End to end on the repo's sample vault, checked by regexes independent of cardgen's parser."""

from __future__ import annotations

import html
import re
from collections import defaultdict

import pytest
from conftest import REPO, read_apkg

from cardgen.pipeline import BuildOptions, build_deck

STAMP = r"\d{1,2}(?::\d{2}){1,2}"
ANCHOR = re.compile(r'<a[^>]*data-t="(' + STAMP + r')"[^>]*>.*?</a>')
LINKED = re.compile(r"\[(" + STAMP + r")\]\((?:#[^)]*|https?://[^)]*)\)")
BARE = re.compile(r"\[(" + STAMP + r"(?:,\s*" + STAMP + r")*)\](?!\()")
CALLOUT = re.compile(r"^(?:>\s*)+\[!\w+\][+-]?\s*(.*)$")
HEADING = re.compile(r"^#{2,6}\s+(.+?)\s*$")
DEBRIS = re.compile(r"\[\[|\]\]|\[![a-zA-Z]+\]|\]\(#t=|\*\*\S|(^|\n|>)#{1,6} |â€|<script|onerror=|yt-timestamp")
MOMENT = re.compile(r"[?&](?:amp;)?t=(\d+)s|\.mp3#t=(\d+)")  # YouTube, or the podcast note's audio


def seconds(stamp: str, slip: bool) -> int:
    parts = [int(p) for p in stamp.split(":")]
    if len(parts) == 3 and slip and parts[2] == 0:
        parts = parts[:2]
    total = 0
    for p in parts:
        total = total * 60 + p
    return total


def plain(s: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", s))).strip().lower()


def read_note(text: str) -> dict:
    body = text.split("\n---", 1)[1] if text.startswith("---") else text
    lines, in_fence = [], False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        elif not in_fence:
            lines.append(line)
    raw = [m for line in lines for m in ANCHOR.findall(line)]
    rest = [ANCHOR.sub(" ", line) for line in lines]
    raw += [m for line in rest for m in LINKED.findall(line)]
    raw += [s.strip() for line in rest for m in BARE.findall(line) for s in m.split(",")]
    triples = [r for r in raw if r.count(":") == 2]
    slip = len(triples) >= 3 and all(r.endswith(":00") for r in triples)
    headings = []
    for i, line in enumerate(lines):
        m = HEADING.match(line)
        if m:
            following = next((x for x in lines[i + 1:] if x.strip()), "")
            if not HEADING.match(following):  # has content of its own
                headings.append(readable(m.group(1)))
    callouts = [CALLOUT.match(line).group(1) for line in lines if CALLOUT.match(line)]
    return {"stamps": {seconds(r, slip) for r in raw}, "headings": headings,
            "callouts": [readable(c) for c in callouts if c.strip()]}


def readable(md: str) -> str:
    """Markdown as a card shows it: no stamps, no bold markers, wikilinks as their alias."""
    md = ANCHOR.sub("", LINKED.sub("", BARE.sub("", md)))
    md = re.sub(r"\[\[[^]|]*\|\s*([^]]*)\]\]", r"\1", md).replace("**", "")
    return re.sub(r"\s+([.,;:])", r"\1", md).strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("decks")
    report = build_deck(BuildOptions(notes_dir=REPO / "notes", out_dir=out, timestamp=1_760_000_000))
    return report, read_apkg(out / "notes.apkg")


def test_sample_vault_has_enough_notes_and_builds_clean(built):
    report, cards = built
    assert report.notes >= 5 and report.errors == []
    assert len(cards) == sum(report.cards.values())


def test_every_card_is_clean_and_complete(built):
    _, cards = built
    for card in cards:
        fields = card["fields"]
        text = "\x1f".join(fields.values())
        assert not DEBRIS.search(text), (DEBRIS.search(text).group(0), text[:200])
        first = fields.get("Front") or fields.get("Text")
        assert plain(first)
        if card["notetype"] == "cardgen cloze":
            hidden = re.findall(r"\{\{c1::(.+?)\}\}", first)
            assert len(hidden) == 1, first
            rest = plain(re.sub(r"\{\{c1::.+?\}\}", " ", first))
            assert not re.search(r"\b" + re.escape(plain(hidden[0])) + r"\b", rest), first
        else:
            assert plain(fields["Back"]), first
            assert len(plain(fields["Back"]).split()) <= 70


def test_every_stamp_heading_and_callout_reaches_a_card(built):
    _, cards = built
    by_note = defaultdict(list)
    for card in cards:
        by_note[plain(card["fields"]["Source"]).rsplit(":", 1)[0]].append(card)
    for path in sorted((REPO / "notes").rglob("*.md")):
        rel = path.relative_to(REPO / "notes").as_posix()
        note = read_note(path.read_text())
        mine = by_note[rel]
        linked = {int(a or b) for c in mine for a, b in MOMENT.findall(c["fields"]["Moment"])}
        assert note["stamps"] <= linked | {0}, (rel, sorted(note["stamps"] - linked))
        text = " ".join(plain(" ".join(c["fields"].values())) for c in mine)
        for heading in note["headings"]:
            assert plain(heading) in text, (rel, heading)
        for title in note["callouts"]:
            assert plain(title) in text, (rel, title)
