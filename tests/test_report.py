"""--report: each kind of weak card found on a crafted note, none on a clean one, same from the cache."""

from __future__ import annotations

import json

from conftest import T0
from typer.testing import CliRunner

from cardgen.cli import app
from cardgen.pipeline import BuildOptions, build_deck
from cardgen.report import KINDS, PAIR_CARDS, Weak, find_weak, near_duplicates
from cardgen.settings import ANSWER_WORDS
from cardgen.state import StoredCard

runner = CliRunner()
HEAD = "---\ntitle: {title}\nvideoId: abcdefghijk\n---\n\n"
CLEAN = HEAD.format(title="Photosynthesis basics") + """\
## Light reactions

Chlorophyll absorbs mostly **blue** and red wavelengths [00:01:05].

> [!info] Stomata
> Pores on leaves through which gases enter and leave the plant.
"""
LONG = " ".join(["Plants"] + ["grow"] * (ANSWER_WORDS + 5)) + "."


def weak_of(vault, answer_words: int = ANSWER_WORDS) -> list[Weak]:
    cards: list[StoredCard] = []
    report = build_deck(BuildOptions(notes_dir=vault.dir, out_dir=vault.out, timestamp=T0, answer_words=answer_words,
                                     on_cards=cards.extend))
    return find_weak(cards, report.hints, answer_words)


def kinds(found: list[Weak]) -> list[tuple[str, int, str]]:
    return [(w.path, w.line, w.kind) for w in found]


def test_a_clean_note_has_no_weak_cards(vault):
    vault.write("clean.md", CLEAN)
    assert weak_of(vault) == []


def test_long_answer(vault):
    vault.write("long.md", HEAD.format(title="Botany") + f"## Growth [00:00:05]\n\n{LONG}\n")
    [w] = weak_of(vault)
    assert (w.path, w.line, w.kind) == ("long.md", 6, "long-answer")
    assert w.detail == f"the answer has {ANSWER_WORDS + 6} words (limit {ANSWER_WORDS}): split or trim it"
    assert weak_of(vault, answer_words=60) == []  # the limit is the answer_words setting


def test_long_cloze_sentence(vault):
    vault.write("long.md", HEAD.format(title="Botany") + f"{LONG[:-1]} **sunlight** [00:00:10].\n")
    assert [(w.kind, w.detail.split(" has")[0]) for w in weak_of(vault)] == [("long-answer", "the cloze sentence")]


def test_answer_repeating_its_question_gives_it_away(vault):
    vault.write("away.md", HEAD.format(title="Counting") + "## Non-zero digits are significant [00:00:05]\n\n"
                                                          "All non-zero digits are always significant.\n")
    [w] = weak_of(vault)
    assert (w.path, w.line, w.kind) == ("away.md", 6, "gives-away")
    assert w.detail == "4 of the answer's 5 words are on the front: digit, non, significant, zero"


def test_cloze_hiding_a_word_of_the_title_gives_it_away(vault):
    vault.write("multics.md", HEAD.format(title="The Multics project") + "Multics inspired the design of **Unix** "
                "at Bell Labs [00:01:00]. Later the **Multics** team split up over budgets [00:02:00].\n")
    found = weak_of(vault)
    assert kinds(found) == [("multics.md", 6, "gives-away")]
    assert found[0].detail == "the hidden “Multics” shows in the breadcrumb (note title › section)"


def test_claim_with_no_key_term(vault):
    vault.write("vague.md", HEAD.format(title="Vague") + "## Talk\n\nSome words first.\n\n"
                                                        "It was all of this and that [00:01:00].\n")
    found = weak_of(vault)
    assert kinds(found) == [("vague.md", 10, "no-key-term")]
    assert found[0].detail == "nothing to hide in “It was all of this and that.”"


def test_note_with_no_moments(vault):
    vault.write("plain.md", HEAD.format(title="Plain") + "## Idea\n\nA thought about gardens worth keeping.\n")
    found = weak_of(vault)
    assert kinds(found) == [("plain.md", 1, "no-moments")]


def test_near_duplicate_across_notes_not_within_one(vault):
    claim = "Chlorophyll absorbs mostly **blue** and red wavelengths of visible light [00:01:05].\n"
    vault.write("a.md", HEAD.format(title="Plants") + claim)
    vault.write("b.md", HEAD.format(title="Leaves") + "Intro line here.\n\n" + claim.replace("mostly ", ""))
    found = weak_of(vault)
    assert kinds(found) == [("b.md", 8, "near-duplicate")]
    assert found[0].detail == "88% the same words as a.md:6"
    vault.write("b.md", HEAD.format(title="Leaves") + "Gardens need water and patience all through summer [00:03:00].\n")
    vault.write("a.md", HEAD.format(title="Plants") + claim + "\n" + claim.replace("[00:01:05]", "[00:04:00]"))
    assert weak_of(vault) == []  # the same claim twice in one note is that note's business


def card(i: int, text: str) -> StoredCard:
    return StoredCard(key=f"k{i}", note=f"n{i}.md", extractor="headings", kind="basic", deck="d", tags=[],
                      fields=["q", text, "", "", "", "", "", ""], moments=[], line=1)


def test_near_duplicates_among_stock_phrases():
    """A word pair in very many cards is no sign of a duplicate; the cards that share it are not compared."""
    cards = [card(i, f"neural network topic{i} detail{i} example{i} remark{i}") for i in range(PAIR_CARDS + 10)]
    assert near_duplicates(cards) == []
    twins = [card(100, "neural network gradient descent lowers training error over many small careful steps"),
             card(101, "neural network gradient descent lowers training error over many small careful strides")]
    [w] = near_duplicates(cards + twins)
    assert (w.path, w.detail) == ("n101.md", "82% the same words as n100.md:1")


def test_boilerplate_in_many_notes_is_a_duplicate_in_each():
    """The same text in more cards than a word pair may be in (a stock callout pasted into every note)."""
    text = "Subscribe to the channel for weekly videos about gardening and plants"
    found = near_duplicates([card(i, text) for i in range(PAIR_CARDS + 10)])
    assert len(found) == PAIR_CARDS + 9 and {w.detail for w in found} == {"100% the same words as n0.md:1"}


def test_a_short_stamped_sentence_is_a_hint(vault):
    """Before, "Mitochondria produce most ATP. [13:05]" made no card and said nothing (a format trial's find)."""
    vault.write("cell.md", HEAD.format(title="Cells") + "## Energy\n\nMitochondria produce most ATP. [00:13:05]\n"
                                                       "Welcome back [00:13:10]\n")
    found = weak_of(vault)
    assert kinds(found) == [("cell.md", 8, "short-claim")]  # not the greeting
    assert found[0].detail == ("“Mitochondria produce most ATP.” has 4 words, under the 6 a claim needs: no cloze "
                               "(say more, or drop its stamp)")


def test_hints_come_back_from_the_cache(vault):
    vault.write("vague.md", HEAD.format(title="Vague") + "## Talk\n\nSome words first.\n\n"
                                                        "It was all of this and that [00:01:00].\n")
    vault.write("plain.md", HEAD.format(title="Plain") + "## Idea\n\nA thought about gardens worth keeping.\n")
    first = weak_of(vault)
    again = weak_of(vault)  # nothing changed: every note comes from the cache
    assert again == first and {w.kind for w in again} == {"no-key-term", "no-moments"}


def test_hints_are_not_warnings(vault):
    vault.write("vague.md", HEAD.format(title="Vague") + "## Talk\n\nSome words first.\n\n"
                                                        "It was all of this and that [00:01:00].\n")
    report = vault.build()
    assert report.diagnostics == [] and report.warnings == []
    result = runner.invoke(app, [str(vault.dir), "--out", str(vault.out), "--strict", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["diagnostics"] == []


def test_cli_report_lists_by_kind_with_counts(vault):
    vault.write("clean.md", CLEAN)
    vault.write("plain.md", HEAD.format(title="Plain") + "## Idea\n\nA thought about gardens worth keeping.\n")
    vault.write("long.md", HEAD.format(title="Botany") + f"## Growth\n\n{LONG}\n")
    args = [str(vault.dir), "--out", str(vault.out)]
    assert "quality report" not in runner.invoke(app, args).output
    result = runner.invoke(app, [*args, "--report"])  # the deck is up to date: the report still reads every card
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("quality report: 3 weak cards and notes")
    here = vault.dir  # notes are named from the current folder, where an editor opens file:line
    assert lines[at + 1:] == [
        "long-answer:",
        f"  {here / 'long.md'}:6: long-answer: the answer has 46 words (limit 40): split or trim it",
        "no-moments:",
        f"  {here / 'long.md'}:1: no-moments: the note has no timestamp, so its cards link to the start of the video or nowhere",
        f"  {here / 'plain.md'}:1: no-moments: the note has no timestamp, so its cards link to the start of the video or nowhere",
        "weak: 1 long-answer, 0 gives-away, 0 no-key-term, 0 short-claim, 2 no-moments, 0 near-duplicate",
    ]


def test_cli_report_in_json(vault):
    vault.write("plain.md", HEAD.format(title="Plain") + "## Idea\n\nA thought about gardens worth keeping.\n")
    result = runner.invoke(app, [str(vault.dir), "--out", str(vault.out), "--report", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["report"]
    assert list(report["counts"]) == list(KINDS) and report["counts"]["no-moments"] == 1
    assert report["weak"] == [{"path": "plain.md", "line": 1, "kind": "no-moments",
                               "detail": "the note has no timestamp, so its cards link to the start of the video "
                                         "or nowhere"}]
    assert "report" not in json.loads(runner.invoke(app, [str(vault.dir), "--out", str(vault.out), "--json"]).stdout)


def test_report_and_watch_do_not_mix(vault):
    result = runner.invoke(app, [str(vault.dir), "--report", "--watch"])
    assert result.exit_code == 2 and "--report" in result.output
