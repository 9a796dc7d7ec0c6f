"""The parse stage: every format variation of real video notes -> the typed Note model.

The variations are those catalogued for the "From: [[channel]]" family of Obsidian video notes
(anchors, bare stamps, links, the mm:ss:00 slip, callouts, wikilinks, frontmatter, unsafe text).
All note text is written here or in tests/fixtures/parse/.

Most snippets are put under a heading (``## Section``) so the content starts on file line 3 and is
read as an ordinary section; the part before the first heading is tested on its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cardgen.errors import NoteError
from cardgen.model import Block, Diagnostic, Note, Section, Sentence, Text
from cardgen.parse import parse_note
from cardgen.timestamps import Moment

FIXTURES = Path(__file__).parent / "fixtures" / "parse"
PATH = "videos/note.md"
HEAD = "## Section\n\n"  # content after it starts on line 3
VID = "8Sz7OleIb04"


# -- helpers ------------------------------------------------------------------------------------
def A(t: str, label: str | None = None) -> str:
    """The yt-timestamp anchor most family notes use; ``label`` defaults to ``[t]``."""
    return f'<a class="yt-timestamp" data-t="{t}">{f"[{t}]" if label is None else label}</a>'


def parse(text: str, stem: str = "note") -> tuple[Note, list[Diagnostic]]:
    note, diagnostics = parse_note(PATH, text, stem)
    assert note is not None
    return note, diagnostics


def section(md: str) -> Section:
    """``md`` as the body of one ``## Section``; the only section of the note."""
    note, _ = parse(HEAD + md)
    assert len(note.sections) == 1, [s.heading for s in note.sections]
    return note.sections[0]


def only_claim(md: str) -> Sentence:
    claims = section(md).claims
    assert len(claims) == 1, [c.text.plain for c in claims]
    return claims[0]


def seconds(moments: tuple[Moment, ...] | list[Moment]) -> tuple[int, ...]:
    return tuple(m.seconds for m in moments)


def claim_list(s: Section) -> list[tuple[str, tuple[int, ...]]]:
    return [(c.text.plain, seconds(c.moments)) for c in s.claims]


def units(s: Section) -> list[str]:
    return [t.plain for b in s.blocks for _, t in b.units]


def _texts(note: Note) -> list[Text]:
    """Every Text of a note: headings, callout titles, the units of blocks (answers), claims."""
    texts: list[Text] = []
    for s in note.sections:
        texts.extend(t for t in [s.heading] + [c.title for c in s.callouts] if t is not None)
        blocks = list(s.blocks) + [b for c in s.callouts for b in c.blocks]
        texts.extend(t for b in blocks for _, t in b.units)
        texts.extend(c.text for c in s.claims)
    return texts


def html_of(block: Block) -> str:
    """What of a block can reach a card: its units' HTML."""
    return " ".join(t.html for _, t in block.units)


def all_html(note: Note) -> list[str]:
    return [t.html for t in _texts(note)]


def all_plain(note: Note) -> list[str]:
    return [t.plain for t in _texts(note)]


STAMP_DEBRIS = re.compile(r"yt-timestamp|data-t|\]\(|\[\d|#t=|\x00")


# ==============================================================================================
# Timestamp styles
# ==============================================================================================
STYLES = [
    pytest.param("Aligned systems stay aligned under pressure [00:47:47](#t=00:47:47).",
                 "Aligned systems stay aligned under pressure.", (Moment(2867),), id="link-hh:mm:ss"),
    pytest.param("Aligned systems stay aligned under pressure [00:47:40](#t=00:47:47).",
                 "Aligned systems stay aligned under pressure.", (Moment(2867),), id="link-target-wins-over-label"),
    pytest.param("The show opens with the usual welcome segment [05:30](#t=05:30).",
                 "The show opens with the usual welcome segment.", (Moment(330),), id="link-mm:ss"),
    pytest.param(f"The blue LED needed a much better crystal {A('00:02:03')}.",
                 "The blue LED needed a much better crystal.", (Moment(123),), id="anchor"),
    pytest.param(f"Unity and Unreal differ in their rendering pipelines {A('01:02:07', '')}.",
                 "Unity and Unreal differ in their rendering pipelines.", (Moment(3727),), id="anchor-empty-label"),
    pytest.param(f"The label and the data attribute disagree in this note {A('00:02:53', '[00:02:56]')}.",
                 "The label and the data attribute disagree in this note.", (Moment(173),),
                 id="anchor-label-differs-data-t-wins"),
    pytest.param(f"The standard deviation measures the spread of the data {A('05:30')}.",
                 "The standard deviation measures the spread of the data.", (Moment(330),), id="anchor-mm:ss"),
    pytest.param("The OpenTelemetry project instruments large language model applications [00:06:16].",
                 "The OpenTelemetry project instruments large language model applications.", (Moment(376),),
                 id="bare-hh:mm:ss"),
    pytest.param("The OpenTelemetry project instruments large language model applications [06:16].",
                 "The OpenTelemetry project instruments large language model applications.", (Moment(376),),
                 id="bare-mm:ss"),
    pytest.param("The speaker repeats the argument several times in a row [01:09:09, 01:09:11].",
                 "The speaker repeats the argument several times in a row.", (Moment(4149), Moment(4151)),
                 id="bare-several-in-one-bracket"),
    pytest.param("The analysis covers the opening scene of the film [00:34-02:42].",
                 "The analysis covers the opening scene of the film.", (Moment(34), Moment(162)),
                 id="bare-range"),
    pytest.param("The ARC benchmark resists memorisation by design [00:01:12](#).",
                 "The ARC benchmark resists memorisation by design.", (Moment(72),), id="link-empty-fragment"),
    pytest.param("The ARC benchmark resists memorisation by design ([00:01:12](#), [00:08:08](#)).",
                 "The ARC benchmark resists memorisation by design.", (Moment(72), Moment(488)),
                 id="links-empty-fragment-in-parens"),
    pytest.param(f"The model keeps its context across the whole session [00:39:52]({A('00:39:52')}.",
                 "The model keeps its context across the whole session.", (Moment(2392),),
                 id="malformed-hybrid"),
    pytest.param("The presenter introduces the new build system here "
                 f"[01:31](https://www.youtube.com/watch?v={VID}&t=91).",
                 "The presenter introduces the new build system here.", (Moment(91, VID),), id="youtube-link"),
    pytest.param(f"The presenter introduces the new build system here "
                 f"[01:31 Opens in a new window ](http://www.youtube.com/watch?v={VID}&t=91).",
                 "The presenter introduces the new build system here.", (Moment(91, VID),),
                 id="youtube-link-opens-in-new-window"),
    pytest.param(f"The presenter introduces the new build system here [▶ 01:31](https://youtu.be/{VID}?t=91).",
                 "The presenter introduces the new build system here.", (Moment(91, VID),), id="icon-in-label"),
    pytest.param(f"The presenter introduces the new build system here [⏱️ 01:31](https://youtu.be/{VID}?t=91).",
                 "The presenter introduces the new build system here.", (Moment(91, VID),), id="emoji-in-label"),
    pytest.param("Solomonoff first described "
                 "[inductive inference](https://www.youtube.com/watch?v=11-YE-A9etM&t=12m28s) in a famous paper.",
                 "Solomonoff first described inductive inference in a famous paper.",
                 (Moment(748, "11-YE-A9etM"),), id="youtube-prose-link-12m28s"),
]


@pytest.mark.parametrize(("md", "plain", "moments"), STYLES)
def test_stamp_styles(md: str, plain: str, moments: tuple[Moment, ...]) -> None:
    s = section(md)
    assert len(s.claims) == 1
    claim = s.claims[0]
    assert claim.text.plain == plain
    assert claim.moments == moments
    assert claim.line == 3
    assert s.moments == moments
    assert not STAMP_DEBRIS.search(claim.text.html), claim.text.html
    assert not STAMP_DEBRIS.search(claim.text.plain)
    assert "(" not in claim.text.html and "<a" not in claim.text.html


@pytest.mark.parametrize("sep", ["", " ", ", "], ids=["no-separator", "space", "comma"])
def test_anchor_run_after_the_sentence_at_line_end(sep: str) -> None:
    run = sep.join(A(t) for t in ("00:57:29", "00:57:56", "00:58:03"))
    claim = only_claim(f"Validators post their data into block and blob space. {run}")
    assert claim.text.plain == "Validators post their data into block and blob space."
    assert claim.text.html == "Validators post their data into block and blob space."
    assert seconds(claim.moments) == (3449, 3476, 3483)


@pytest.mark.parametrize("sep", ["", " ", ", "], ids=["no-separator", "space", "comma"])
def test_anchor_run_before_the_period(sep: str) -> None:
    run = sep.join(A(t) for t in ("00:00:07", "00:00:08"))
    s = section(f"The anchors of this sentence sit before its period {run}. Then another sentence follows it here.")
    assert claim_list(s) == [("The anchors of this sentence sit before its period.", (7, 8))]
    assert units(s) == ["The anchors of this sentence sit before its period.", "Then another sentence follows it here."]


@pytest.mark.parametrize("sep", [
    pytest.param("", id="no-separator"),
    pytest.param(" ", id="space"),
    pytest.param(", ", id="comma"),
])
def test_anchor_run_after_the_period_then_next_sentence(sep: str) -> None:
    run = sep.join(A(t) for t in ("00:00:01", "00:00:02"))
    s = section(f"The run of anchors follows this first sentence. {run} Then another sentence follows it here.")
    assert claim_list(s) == [("The run of anchors follows this first sentence.", (1, 2))]
    assert units(s) == ["The run of anchors follows this first sentence.", "Then another sentence follows it here."]


@pytest.mark.parametrize("dash", ["-", " - ", "–", " — "])
def test_a_range_of_two_stamps_leaves_no_dash(dash: str) -> None:
    """From a real note: ``[00:00:00]-[00:01:03]``; before, every card of it ended in " -"."""
    s = section(f"Subscribers acknowledge every message they have processed [00:00:00]{dash}[00:01:03]\n\n"
                f"- [00:02:00]{dash}[00:03:00] Pull delivery lets subscribers set their own pace.\n"
                "- A dash - inside a sentence stays where it is [00:04:00].")
    assert claim_list(s) == [("Subscribers acknowledge every message they have processed", (0, 63)),
                             ("Pull delivery lets subscribers set their own pace.", (120, 180)),
                             ("A dash - inside a sentence stays where it is.", (240,))]


LINES = ["Gradient descent minimizes the loss function step by step",
         "Momentum accelerates convergence in narrow ravines of the surface",
         "Adam combines momentum with per-parameter learning rate scaling"]


@pytest.mark.parametrize("stop", [".", ""], ids=["full-stop", "no-full-stop"])
@pytest.mark.parametrize("stamp", [
    pytest.param(lambda t: f"[{t}]", id="bare"),
    pytest.param(lambda t: f"[{t}](#t={t})", id="link"),
    pytest.param(lambda t: f"[{t}](https://www.youtube.com/watch?v=OxGsU8oIWjY&t={int(t[:2]) * 60 + int(t[3:])})",
                 id="youtube-link"),
])
def test_a_stamp_at_the_start_of_each_line_marks_that_line(stamp, stop: str) -> None:
    """Transcript-style notes: before, each claim took the next line's moment and the last had none."""
    s = section("\n".join(f"{stamp(t)} {line}{stop}" for t, line in zip(("12:34", "13:10", "14:20"), LINES, strict=True)))
    assert claim_list(s) == [(line + stop, (t,)) for line, t in zip(LINES, (754, 790, 860), strict=True)]


@pytest.mark.parametrize("intro", ["Key moments from the video:", "The speaker makes three points here"])
def test_lines_that_open_with_stamps_after_a_line_of_introduction(intro: str) -> None:
    """Before, the intro ran into the first claim, each claim took the next line's moment too, and
    the last claim made no card."""
    s = section("\n".join([intro] + [f"[{t}] {line}." for t, line in zip(("12:34", "13:10", "14:20"), LINES, strict=True)]))
    assert claim_list(s) == [(line + ".", (t,)) for line, t in zip(LINES, (754, 790, 860), strict=True)]


def test_a_stamp_alone_on_its_line_is_no_layout_of_stamps_first() -> None:
    s = section(f"{LINES[0]}.\n[12:34]\n{LINES[1]} [13:10].")
    assert claim_list(s) == [(LINES[0] + ".", (754,)), (LINES[1] + ".", (790,))]


@pytest.mark.parametrize("stamp", [lambda t: f"[{t}]", A], ids=["bare", "anchor"])
def test_a_line_that_ends_with_a_stamp_ends_its_claim(stamp) -> None:
    """Claims written one a line with no full stop: before, the lines ran on into one claim."""
    s = section("\n".join(f"{line} {stamp(t)}" for t, line in zip(("00:12:34", "00:13:10", "00:14:20"), LINES, strict=True)))
    assert claim_list(s) == [(line, (t,)) for line, t in zip(LINES, (754, 790, 860), strict=True)]


def test_a_line_ending_in_a_stamp_runs_on_into_a_lowercase_line() -> None:
    s = section("The model that the speaker trained on the small data [00:01:00]\nset turned out to work well.")
    assert claim_list(s) == [("The model that the speaker trained on the small data set turned out to work well.",
                              (60,))]


@pytest.mark.parametrize(("md", "plain", "moments"), [
    ("At [12:34], the speaker explains why gradient descent converges slowly.",
     "At 12:34, the speaker explains why gradient descent converges slowly.", (754,)),
    ("From [12:34] to [13:10] the lecturer derives the momentum update rule.",
     "From 12:34 to 13:10 the lecturer derives the momentum update rule.", (754, 790)),
    ("The optimizer was introduced around [14:00] and quickly became popular.",
     "The optimizer was introduced around 14:00 and quickly became popular.", (840,)),
    ("Adam adapts learning rates per parameter (see [13:10]) for faster training.",
     "Adam adapts learning rates per parameter (see 13:10) for faster training.", (790,)),
    # not after such a word, nor where the sentence ends with it: the stamp leaves it, as anywhere else
    ("He points to [16:00] the graph of the loss surface here.", "He points to the graph of the loss surface here.",
     (960,)),
    ("The speaker made this exact argument a few minutes before [1:10].",
     "The speaker made this exact argument a few minutes before.", (70,)),
])
def test_a_stamp_that_is_a_word_of_the_sentence_stays_as_its_time(md: str, plain: str, moments: tuple) -> None:
    """Before, "At [12:34], the speaker ..." read "At the speaker ...", "(see [13:10])" read "(see)"."""
    assert claim_list(section(md)) == [(plain, moments)]


@pytest.mark.parametrize(("md", "plain", "tags"), [
    ("Gradient descent minimizes the loss function step by step [12:34]. #important #ml/basics",
     "Gradient descent minimizes the loss function step by step.", ("important", "ml::basics")),
    ("#optimization #ml I wrote a #python script that plots the loss curve [13:10].",
     "I wrote a #python script that plots the loss curve.", ("optimization", "ml", "python")),
    # a single tag is a word, as Obsidian shows it
    ("#include pulls a header file into the translation unit before compiling [3:00].",
     "#include pulls a header file into the translation unit before compiling.", ("include",)),
    ("Issue #42 and C# stay as they are in this sentence about compilers [14:00].",
     "Issue #42 and C# stay as they are in this sentence about compilers.", ()),
])
def test_obsidian_tags_become_the_notes_tags(md: str, plain: str, tags: tuple) -> None:
    """A run of #tags that opens or closes a sentence or heading is metadata and leaves it."""
    note, _ = parse("---\ntitle: T\ntags: [course]\n---\n## Optimizers #ml #todo\n\n" + md)
    (s,) = note.sections
    assert s.heading is not None and s.heading.plain == "Optimizers"
    assert [c for c, _ in claim_list(s)] == [plain]
    assert note.tags == tuple(dict.fromkeys(("course", "ml", "todo", *tags)))


def test_a_tag_after_a_sentences_full_stop_is_metadata() -> None:
    """Before, "… in 1885. [01:12] #history" kept "#history" in the card."""
    note, _ = parse("## Curve\n\nEbbinghaus measured memory retention with nonsense syllables in 1885. [01:12] #history\n\n"
                    "A #python script reads the review log of every card once a day [01:20].")
    assert [c.text.plain for c in note.sections[0].claims] == [
        "Ebbinghaus measured memory retention with nonsense syllables in 1885.",
        "A #python script reads the review log of every card once a day."]
    assert "history" in note.tags


def test_a_single_tag_in_a_heading_is_a_word() -> None:
    note, _ = parse("## #include and #define\n\nSome text.")
    assert note.sections[0].heading.plain == "#include and #define"


@pytest.mark.parametrize(("heading", "plain", "moment"), [
    ("12:34 - Gradient descent", "Gradient descent", 754),
    ("02:34 Gradient descent", "Gradient descent", 154),
    ("0:00 Gradient descent", "Gradient descent", 0),
    ("(12:34) Gradient descent", "Gradient descent", 754),
    ("Gradient descent (12:34)", "Gradient descent", 754),
    ("1:02:03 – Wrap-up", "Wrap-up", 3723),
    ("01:02:03 Wrap-up", "Wrap-up", 3723),  # was 1:02 with "03 Wrap-up": the time's own colon taken for a dash
    ("01:02:03: Wrap-up", "Wrap-up", 3723),
    ("[01:02:03]", "1:02:03", 3723),  # a chapter's time alone: its own section, named by the time
    ("01:02:03", "1:02:03", 3723),  # was "00", at 1:02
    ("(12:34)", "12:34", 754),
    ("Gradient descent — 02:34", "Gradient descent", 154),  # was the section before's moment, "— 02:34" text
    ("Gradient descent - 1:02:03", "Gradient descent", 3723),
    ("⏱️ 12:34 Gradient descent", "Gradient descent", 754),  # after a clock icon, any time
    ("▶ 02:34 - Gradient descent", "Gradient descent", 154),
    ("Identity-based habits (12:10–18:30)", "Identity-based habits", 730),  # a chapter's span: its start
    ("00:50:00 - 01:20:00", "50:00", 3000),  # was "what are the key points about 01:20:00?"
])
def test_a_chapter_time_in_a_heading_is_the_sections_moment(heading: str, plain: str, moment: int) -> None:
    """YouTube chapter lists as headings: before, the time stayed in the question and the card linked
    the section before's moment."""
    note, _ = parse(f"## Intro [00:01]\n\nWords.\n\n## {heading}\n\nThe section's own text is here.")
    s = note.sections[1]
    assert s.heading is not None and s.heading.plain == plain
    assert seconds(s.moments) == (moment,)


def test_a_claim_in_a_sub_item_knows_the_item_it_is_about() -> None:
    """"- dominates the total compute budget [04:20]" under "1. Pretraining": before, its card said nothing of it."""
    s = section("1. Pretraining [04:00]\n"
                "   - uses next-token prediction over a huge unlabeled corpus [04:10]\n"
                "2. **Fine-tuning:** on curated instruction data\n"
                "   - makes the model follow the requests of its users [05:10]\n"
                "3. Evaluation: measured on held-out benchmarks of many kinds\n"
                "   - saturated benchmarks tell the models apart no longer [06:10]\n"
                "- The last claim of the list is an item of its own [07:00]\n")
    assert [(c.text.plain, c.lead) for c in s.claims] == [
        ("uses next-token prediction over a huge unlabeled corpus", "Pretraining"),
        ("makes the model follow the requests of its users", "Fine-tuning"),
        ("saturated benchmarks tell the models apart no longer", "Evaluation"),
        ("The last claim of the list is an item of its own", "")]


def test_dataview_fields_are_the_notes_metadata_not_its_content() -> None:
    """Before, "category:: behaviour design" ran into the next sentence's claim and answers showed "topic:: habits"."""
    s = section("category:: behaviour design\n"
                "Making a cue invisible removes the temptation before willpower is needed [03:10].\n\n"
                "- topic:: habits\n- Habit stacking links a new habit to an existing one [04:20].\n\n"
                "The two-minute rule keeps a habit small enough to start [rating:: 5] every day [05:30].\n\n"
                "map :: (a -> b) -> [a] -> [b] is the type of a function the talk uses.\n\n"
                "```\nkey:: in code it stays\n```\n")
    assert [text for text, _ in claim_list(s)] == [
        "Making a cue invisible removes the temptation before willpower is needed.",
        "Habit stacking links a new habit to an existing one.",
        "The two-minute rule keeps a habit small enough to start every day."]
    shown = " ".join(t.plain for b in s.blocks for _, t in b.units)
    assert "::" not in shown.replace("map ::", "").replace("key:: in code", "")
    assert "map :: (a -> b)" in shown and "key:: in code it stays" in shown


def test_a_list_of_chapters_with_unbracketed_times_marks_each_item() -> None:
    """As a video's description lists its chapters: before, no item was a claim and the times stayed text."""
    s = section("- 03:30 - The kubelet on each node makes sure the pod's containers are running.\n"
                "- 1:02:03 Wrap-up of the whole talk with questions from the audience.\n"
                "- 12:34 people attended the conference where this talk was recorded live.\n")
    assert claim_list(s) == [("The kubelet on each node makes sure the pod's containers are running.", (210,)),
                             ("Wrap-up of the whole talk with questions from the audience.", (3723,))]


def test_a_heading_of_a_time_alone_starts_a_section_said_then() -> None:
    """Notes written as chapters ("## [12:00]" over what was said then): each heading of a time alone
    starts a section at that moment. Its text joined the section above, whose card then linked 12:00."""
    note, problems = parse("## Intro\n\nThe talk opens with a story.\n\n## [00:12:00]\n\nSleep spindles move memories.\n\n"
                           "## 00:20:00\n\nCaffeine blocks adenosine.")
    assert [(s.heading.plain if s.heading else None, seconds(s.moments)) for s in note.sections] == [
        ("Intro", ()), ("12:00", (720,)), ("20:00", (1200,))]
    assert [p.message for p in problems if "heading" in p.message] == []


@pytest.mark.parametrize("heading", ["Screens in 16:9 and 4:3 (ratios)", "16:10 displays", "12:34 Gradient descent",
                                     "🖥️ 16:10 displays", "Aspect ratio — 16:10"])
def test_a_time_inside_a_heading_is_words(heading: str) -> None:
    """A ratio reads like a time: with only a space after it, a chapter's time must start with 0 or have hours."""
    note, _ = parse(f"## {heading}\n\nSome text.")
    assert note.sections[0].heading.plain == heading
    assert note.sections[0].moments == ()


@pytest.mark.parametrize(("stamp", "moments"), [
    ("[00:12:34.500]", (754,)),  # WebVTT
    ("[00:12:34,500]", (754,)),  # SRT
    ("[00:14:20.000 --> 00:14:25.000]", (860, 865)),  # a cue's span
    ("[01:09:09,01:09:11]", (4149, 4151)),  # two stamps, no space: no fraction
])
def test_subtitle_style_stamps(stamp: str, moments: tuple[int, ...]) -> None:
    claim = only_claim(f"Gradient descent minimizes the loss function step by step {stamp}.")
    assert claim.text.plain == "Gradient descent minimizes the loss function step by step."
    assert seconds(claim.moments) == moments


def test_an_obsidian_inline_footnote_leaves_the_card() -> None:
    claim = only_claim("Momentum accelerates convergence in narrow ravines.^[An aside with [brackets] in it.] [13:10]")
    assert claim.text.plain == "Momentum accelerates convergence in narrow ravines."
    assert seconds(claim.moments) == (790,)


def test_obsidian_block_ids_leave_no_trace() -> None:
    s = section("Gradient descent minimizes the loss function step by step [12:34]. ^gd\n"
                "Momentum accelerates convergence in narrow ravines [13:10] ^mom-2\n\n"
                "- Adam combines momentum with per-parameter learning rate scaling [14:20] ^adam\n\n"
                "| a | b |\n|---|---|\n| x | y |\n\n^table-1\n\nThe exponent in x ^2 stays, as does e^x here.")
    assert [c for c, _ in claim_list(s)] == [
        "Gradient descent minimizes the loss function step by step.",
        "Momentum accelerates convergence in narrow ravines",
        "Adam combines momentum with per-parameter learning rate scaling"]
    assert not [u for u in units(s) if "^" in u and "x ^2" not in u]
    assert "The exponent in x ^2 stays, as does e^x here." in units(s)


def test_task_list_items_are_to_dos_not_content() -> None:
    s = section("Momentum accelerates convergence in narrow ravines of the surface [13:10].\n\n"
                "- [ ] Review the gradient descent derivation tonight [15:00]\n"
                "- [x] Read the original Adam paper from 2014 carefully [16:00]\n"
                "- Adam combines momentum with per-parameter learning rate scaling [14:20]")
    assert [c for c, _ in claim_list(s)] == [
        "Momentum accelerates convergence in narrow ravines of the surface.",
        "Adam combines momentum with per-parameter learning rate scaling"]
    assert not [u for u in units(s) if "Review" in u or "[x]" in u]


def test_anchor_glued_to_a_word() -> None:
    claim = only_claim(f"Syntactic analysis{A('00:03:07')} breaks a sentence into its grammatical parts.")
    assert claim.text.plain == "Syntactic analysis breaks a sentence into its grammatical parts."
    assert claim.moments == (Moment(187),)


def test_anchor_in_parentheses_leaves_no_empty_parens() -> None:
    s = section(f"The model reaches human level on this benchmark ({A('02:26:31')}). "
                "Critics disagree with that reading of the results.")
    assert claim_list(s) == [("The model reaches human level on this benchmark.", (8791,))]
    assert s.claims[0].text.html == "The model reaches human level on this benchmark."
    note, _ = parse(HEAD + f"Parenthesised stamps vanish without a trace ({A('02:26:31')}).")
    assert not any("()" in h or "( )" in h for h in all_html(note) + all_plain(note))


def test_stamp_before_and_after_the_period() -> None:
    s = section(f"The first claim puts its stamp before the period {A('00:00:10')}. "
                f"The second claim puts its stamp after the period. {A('00:00:20')} "
                "A third sentence carries no stamp at all.")
    assert claim_list(s) == [("The first claim puts its stamp before the period.", (10,)),
                             ("The second claim puts its stamp after the period.", (20,))]
    assert units(s)[-1] == "A third sentence carries no stamp at all."
    assert [c.line for c in s.claims] == [3, 3]


def test_stamp_in_heading_goes_to_the_section() -> None:
    note, _ = parse(f"## How it Works {A('00:04:39')}\n\nThe body paragraph of this section has no stamp.")
    (s,) = note.sections
    assert s.heading is not None
    assert s.heading.plain == "How it Works"
    assert s.heading.html == "How it Works"
    assert s.trail == ("How it Works",)
    assert s.moments == (Moment(279),)
    assert s.claims == ()
    assert s.line == 1 and s.level == 2


def test_stamp_range_in_heading() -> None:
    note, _ = parse("## [00:00 – 00:14] The Failure Cold Open\n\nThe episode opens with a failed launch.")
    (s,) = note.sections
    assert s.heading is not None and s.heading.plain == "The Failure Cold Open"
    assert seconds(s.moments) == (0, 14)


def test_stamp_in_callout_title() -> None:
    s = section(f"> [!TIP] Naming Convention {A('00:09:02')}\n> Use snake case for every column name.")
    (c,) = s.callouts
    assert c.kind == "tip"
    assert c.title is not None and c.title.plain == "Naming Convention" and c.title.html == "Naming Convention"
    assert c.moments == (Moment(542),)
    assert Moment(542) in s.moments


def test_stamp_in_list_item_after_bold_label() -> None:
    s = section(f"*   **Excessive Length and Space** {A('00:50:03')}: UUIDs take far more room than integer keys.\n"
                "*   A plain item without any stamp in it at all.")
    (claim,) = s.claims
    assert claim.text.plain == "Excessive Length and Space: UUIDs take far more room than integer keys."
    assert claim.text.html == "<b>Excessive Length and Space</b>: UUIDs take far more room than integer keys."
    assert claim.moments == (Moment(3003),)
    assert "Excessive Length and Space" in claim.terms
    assert claim.line == 3
    (block,) = s.blocks
    assert block.kind == "list"
    assert [t.plain for _, t in block.units] == [
        "Excessive Length and Space: UUIDs take far more room than integer keys.",
        "A plain item without any stamp in it at all."]


def test_nested_list_items_keep_their_own_lines() -> None:
    s = section("*   The first item of the list carries a stamp [00:00:06].\n"
                "    *   The nested item of the list carries another stamp [00:00:08].")
    assert [(c.text.plain, seconds(c.moments), c.line) for c in s.claims] == [
        ("The first item of the list carries a stamp.", (6,), 3),
        ("The nested item of the list carries another stamp.", (8,), 4)]


TABLE = ("| Term | Meaning |\n"
         "| :---- | :---- |\n"
         f"| **Alpha** | the first letter of the Greek alphabet {A('00:01:05')} |\n"
         "| Beta | the second letter of the Greek alphabet |")


def test_stamp_in_table_cell_makes_the_row_a_claim() -> None:
    s = section(TABLE)
    (claim,) = s.claims
    assert claim.text.plain == "Term: Alpha; Meaning: the first letter of the Greek alphabet"
    assert claim.moments == (Moment(65),)
    assert "<b>Alpha</b>" in claim.text.html and not STAMP_DEBRIS.search(claim.text.html)
    (block,) = s.blocks
    assert block.kind == "table"
    assert [t.plain for _, t in block.units] == ["Term: Alpha; Meaning: the first letter of the Greek alphabet",
                                                "Term: Beta; Meaning: the second letter of the Greek alphabet"]


@pytest.mark.parametrize("md", [
    "> [!info] Sorting complexity\n> | Algorithm | Worst |\n> |---|---|\n> | Quicksort | O(n²) |\n",
    "> [!info] Sorting complexity\n> How they compare:\n>\n> | Algorithm | Worst |\n> |---|---|\n> | Quicksort | O(n²) |\n",
    "> How they compare:\n>\n> | Algorithm | Worst |\n> |---|---|\n> | Quicksort | O(n²) |\n",
])
def test_a_table_in_a_callout_or_a_quote_is_a_table(md: str) -> None:
    """Before, its lines were one paragraph of pipes: "| Algorithm | Worst | |---|---| | Quicksort …"."""
    s = section(md)
    blocks = [b for c in s.callouts for b in c.blocks] + list(s.blocks)
    assert "Algorithm: Quicksort; Worst: O(n²)" in [t.plain for b in blocks for _, t in b.units]
    assert not any("|" in t.plain for b in blocks for _, t in b.units)


def test_table_row_claim_line_is_the_row_line() -> None:
    s = section(TABLE)
    assert [c.line for c in s.claims] == [5]


def test_stamp_in_fenced_code_stays_code() -> None:
    code = f"return NextResponse.redirect('/settings'); {A('00:05:01')}"
    s = section(f"```typescript\n{code}\n```")
    assert s.claims == () and s.moments == () and s.loose == ()
    (block,) = s.blocks
    assert block.kind == "code"
    assert block.units[0][1].plain == code
    assert "&lt;a class=&quot;yt-timestamp&quot; data-t=&quot;00:05:01&quot;&gt;[00:05:01]&lt;/a&gt;" in html_of(block)


def test_stamp_in_inline_code_stays_code() -> None:
    s = section("Write `mark [00:06:01]` to note the moment in your own code.")
    assert s.claims == () and s.moments == ()
    (block,) = s.blocks
    assert block.units[0][1].plain == "Write mark [00:06:01] to note the moment in your own code."
    assert "<code>mark [00:06:01]</code>" in html_of(block)


def test_anchor_alone_on_its_line_is_loose() -> None:
    s = section(f"{A('00:07:23')}\n> V - E + F = 2")
    assert s.loose == (Moment(443),)
    assert s.moments == (Moment(443),)
    assert s.claims == ()
    assert [(b.kind, b.units[0][1].plain) for b in s.blocks] == [("quote", "V - E + F = 2")]


def test_anchor_line_after_table_is_not_a_row() -> None:
    s = section(f"| a | b |\n| - | - |\n| 2 | 3 |\n{A('00:04:48')}")
    (block,) = s.blocks
    assert block.kind == "table"
    assert [t.plain for _, t in block.units] == ["a: 2; b: 3"]
    assert s.loose == (Moment(288),)
    assert s.claims == ()


def test_invalid_bare_stamp_is_text() -> None:
    note, diagnostics = parse(HEAD + "The stamp [99:99] is not a valid time at all.")
    (s,) = note.sections
    assert s.moments == () and s.claims == ()
    assert units(s) == ["The stamp [99:99] is not a valid time at all."]


def test_invalid_anchor_is_dropped_with_a_warning() -> None:
    note, diagnostics = parse(HEAD + f"The anchor here {A('99:99')} holds an impossible time value.")
    (s,) = note.sections
    assert s.moments == () and s.claims == ()
    assert units(s) == ["The anchor here holds an impossible time value."]
    bad = [d for d in diagnostics if "not a valid time" in d.message]
    assert len(bad) == 1 and bad[0].level == "warning" and bad[0].path == PATH
    assert 'data-t="99:99"' in bad[0].message


def test_stamp_after_display_math() -> None:
    s = section(f"$$ x^2 + y^2 = r^2 $$ {A('00:02:29')}")
    assert s.moments == (Moment(149),)
    (block,) = s.blocks
    assert html_of(block) == "\\[x^2 + y^2 = r^2\\]"
    assert [t.plain for _, t in block.units] == ["x^2 + y^2 = r^2"]


def test_a_stamp_after_the_closing_dollars_of_a_formula_ends_the_formula() -> None:
    """``$$ <a ...>`` closes a multi-line formula; before, the formula ran on to the next ``$$``,
    swallowing the prose and its stamps, and the next formula became a cloze."""
    s = section("$$\nF(s) = \\int_0^\\infty e^{-st} f(t) dt\n$$ " + A("00:02:29") + "\n\n"
                "The improper integral can be written as a limit of proper integrals [00:03:35]:\n\n"
                "$$\nF(s) = \\lim_{A \\to \\infty} \\int_0^A e^{-st} f(t) dt\n$$ [00:03:40]\n")
    assert [b.kind for b in s.blocks] == ["math", "paragraph", "math"]
    assert s.blocks[0].units[0][1].plain == "F(s) = \\int_0^\\infty e^{-st} f(t) dt"
    assert s.blocks[2].units[0][1].plain == "F(s) = \\lim_{A \\to \\infty} \\int_0^A e^{-st} f(t) dt"
    assert claim_list(s) == [("The improper integral can be written as a limit of proper integrals:", (215,))]
    assert seconds(s.loose) == (149, 220)
    assert seconds(s.moments) == (149, 215, 220)


def test_a_closing_dollars_line_with_more_dollars_is_no_close() -> None:
    s = section("$$\na\n$$b$$\nc\n$$\n")
    assert [(b.kind, b.units[0][1].plain) for b in s.blocks] == [("math", "a\n$$b$$\nc")]


def test_moment_of_own_video_link_without_video_id() -> None:
    """Without a videoId in the frontmatter the link's video is the only one known."""
    claim = only_claim(f"The presenter introduces the new build system here [01:31](https://youtu.be/{VID}?t=91).")
    assert claim.moments == (Moment(91, VID),)


def test_link_to_the_notes_own_video_has_no_video() -> None:
    note, _ = parse(f"---\nvideoId: {VID}\n---\n" + HEAD +
                    "The presenter introduces the build system here "
                    f"[01:31](https://www.youtube.com/watch?v={VID}&t=91).")
    assert note.sections[0].claims[0].moments == (Moment(91),)


def test_link_to_another_video_keeps_its_video() -> None:
    note, _ = parse(f"---\nvideoId: {VID}\n---\n" + HEAD +
                    "This earlier talk covered the same ground [02:00](https://youtu.be/11-YE-A9etM?t=120).")
    assert note.sections[0].claims[0].moments == (Moment(120, "11-YE-A9etM"),)


def test_stamp_labelled_link_elsewhere_is_a_plain_link() -> None:
    s = section("The transcript on [01:31](https://example.com/transcript) is not a video link at all.")
    assert s.moments == () and s.claims == ()
    assert units(s) == ["The transcript on 01:31 is not a video link at all."]


# ==============================================================================================
# The mm:ss:00 slip
# ==============================================================================================
def _slip_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if "mm:ss:00 slip" in d.message]


def test_slip_single_impossible_hour() -> None:
    note, diagnostics = parse(HEAD + "The whole video is only twenty minutes long in total [53:18:00].")
    assert seconds(note.sections[0].claims[0].moments) == (53 * 60 + 18,)
    (d,) = _slip_diagnostics(diagnostics)
    assert d.level == "warning" and d.path == PATH
    assert "stamp [53:18:00] read as minutes:seconds" in d.message


@pytest.mark.parametrize("style", ["bare", "anchor"])
def test_slip_note_reads_three_part_stamps_as_mm_ss(style: str) -> None:
    stamp = (lambda t: f"[{t}]") if style == "bare" else A
    note, diagnostics = parse(HEAD + f"The first claim of the slipped note is here {stamp('01:07:00')}. "
                              f"The second claim of the slipped note is here {stamp('01:08:00')}. "
                              f"The third claim of the slipped note is here {stamp('01:09:00')}. "
                              "The fourth claim of the slipped note is here [05:10].")
    assert [seconds(c.moments) for c in note.sections[0].claims] == [(67,), (68,), (69,), (310,)]
    (d,) = _slip_diagnostics(diagnostics)
    assert "3 stamps such as [01:07:00]" in d.message
    assert "write [mm:ss] to silence this" in d.message


@pytest.mark.parametrize(("stamps", "expected"), [
    # a 22-minute talk: its first stamp has a third field, the others end in :00 (the slip)
    (("02:01:43", "07:51:00", "02:47:00", "03:06:00", "07:45:00", "07:34:00", "07:47:00", "09:18:00", "08:06:00",
      "09:39:00", "21:49:00"), (121, 471, 167, 186, 465, 454, 467, 558, 486, 579, 1309)),
    # an hour field of 24 or more tells the slip; [21:57:07] is then 21:57, not 21 hours
    (("01:39:07", "21:57:07", "38:57:00"), (99, 1317, 2337)),
])
def test_slip_note_reads_every_three_part_stamp_as_mm_ss(stamps: tuple[str, ...], expected: tuple[int, ...]) -> None:
    md = " ".join(f"The claim number {i} of this slipped note is here {A(t)}." for i, t in enumerate(stamps))
    note, diagnostics = parse(HEAD + md)
    assert [seconds(c.moments) for c in note.sections[0].claims] == [(e,) for e in expected]
    (d,) = _slip_diagnostics(diagnostics)
    assert f"{len(stamps)} stamps such as [{stamps[0]}]" in d.message


@pytest.mark.parametrize(("stamps", "expected"), [
    # a three-hour podcast, a ten-hour course: whole-minute chapters and one precise stamp are hours
    (("00:15:00", "01:10:00", "02:30:00", "02:47:12"), (900, 4200, 9000, 10032)),
    (("00:05:00", "01:30:00", "03:45:00", "06:10:00", "06:12:35"), (300, 5400, 13500, 22200, 22355)),
    (("01:07:00", "01:08:00", "01:09:05"), (4020, 4080, 4145)),  # one real second field
    (("01:07:00", "01:08:00", "00:47:47"), (4020, 4080, 2867)),
    (("01:07:00", "01:08:00"), (4020, 4080)),  # only two three-part stamps
])
def test_normal_note_reads_hours(stamps: tuple[str, ...], expected: tuple[int, ...]) -> None:
    md = " ".join(f"The claim number {i} of this ordinary note is here [{t}]." for i, t in enumerate(stamps))
    note, diagnostics = parse(HEAD + md)
    assert [seconds(c.moments) for c in note.sections[0].claims] == [(e,) for e in expected]
    assert _slip_diagnostics(diagnostics) == []


# ==============================================================================================
# Sentences and line numbers
# ==============================================================================================
@pytest.mark.parametrize("label", ["▶", "🔗", "**02:03**", "Watch at 4:10", "Time 0:12:34", "(12:34)"])
def test_a_link_to_a_moment_that_only_points_at_it_is_a_stamp(label: str) -> None:
    """Before, "[▶](…&t=62)" after a full stop gave its moment to the next sentence, and showed "▶"."""
    url = "https://www.youtube.com/watch?v=kCc8FmEb1nY&t=62"
    s = section(f"Layer normalization stabilises training of deep transformer stacks. [{label}]({url}) "
                "Positional encodings tell the model where each token sits in the sequence.")
    [claim] = s.claims
    assert claim.text.plain == "Layer normalization stabilises training of deep transformer stacks."
    assert seconds(claim.moments) == (62,)


def test_a_link_of_a_pointing_word_after_its_sentence_is_a_stamp_and_inside_it_a_word() -> None:
    """Before, "… 99 times in 100. [watch](…&t=242)" took the moment but ran on into the next sentence:
    "… in 100. watch {{c1::Marilyn}} vos Savant's …"."""
    url = "https://www.youtube.com/watch?v=kCc8FmEb1nY&t=242"
    s = section(f"With 100 doors, switching wins ninety-nine times in a hundred. [watch]({url})\n"
                "Marilyn vos Savant's column about the puzzle drew ten thousand letters. [06:50]\n"
                f"As the [video]({url.replace('242', '300')}) shows, the host never opens the door with the car.")
    assert [(c.text.plain, seconds(c.moments)) for c in s.claims] == [
        ("With 100 doors, switching wins ninety-nine times in a hundred.", (242,)),
        ("Marilyn vos Savant's column about the puzzle drew ten thousand letters.", (410,)),
        ("As the video shows, the host never opens the door with the car.", (300,))]


def test_a_link_to_a_fraction_of_a_second_is_a_stamp() -> None:
    """Before, "[▶](…#t=62.35)" (Media Extended's link to a web video) was no moment: its sentence made no
    claim, and "▶" led the next one."""
    s = section("Layer normalization stabilises training of deep transformer stacks. "
                "[▶](https://www.youtube.com/watch?v=kCc8FmEb1nY#t=62.35) "
                "Positional encodings tell the model where each token sits. [03:15](#t=03:15)")
    assert [(c.text.plain, seconds(c.moments)) for c in s.claims] == [
        ("Layer normalization stabilises training of deep transformer stacks.", (62,)),
        ("Positional encodings tell the model where each token sits.", (195,))]


def test_a_vimeo_stamp_link_is_a_moment_of_the_notes_video() -> None:
    """Before, "[02:30](https://vimeo.com/…#t=150s)" made no claim and showed as a link in the answer."""
    note, _ = parse("---\ntitle: Design Talk\nvideoUrl: https://vimeo.com/76979871\n---\n\n## Type\n\n"
                    "The measure of a line should be around sixty-six characters. [02:30](https://vimeo.com/76979871#t=150s)")
    [claim] = note.sections[0].claims
    assert claim.text.plain == "The measure of a line should be around sixty-six characters."
    assert claim.moments == (Moment(150),)


def test_media_extended_links_are_moments_of_the_notes_media() -> None:
    """Before, "[[lecture.mp4#t=1:30]]" showed "lecture.mp4" in the answer and made no claim, and
    "[01:45](lecture.mp4#t=105)" stayed a link: Media Extended's stamps for a video file in the vault."""
    s = section("Layer normalisation is applied before attention in most transformer blocks [[lecture.mp4#t=1:30]]. "
                "Warmup schedules reduce the variance of early optimiser updates [01:45](lecture.mp4#t=105). "
                "The slides plot the learning rate schedule as a curve. ![[lecture.mp4#t=125,130]]")
    assert [(c.text.plain, c.moments) for c in s.claims] == [
        ("Layer normalisation is applied before attention in most transformer blocks.", (Moment(90),)),
        ("Warmup schedules reduce the variance of early optimiser updates.", (Moment(105),)),
        ("The slides plot the learning rate schedule as a curve.", (Moment(125),))]  # (an embedded clip)
    assert not any("lecture.mp4" in text.plain for block in s.blocks for _, text in block.units)


@pytest.mark.parametrize(("label", "plain"), [
    ("the lecture explains", "As the lecture explains, layer normalization stabilises deep stacks by 92.3%."),
    ("92.3%", "As layer normalization stabilises deep stacks by 92.3%."),  # a number is a word (was dropped)
])
def test_a_link_to_a_moment_with_words_of_the_sentence_stays_text(label: str, plain: str) -> None:
    url = "https://www.youtube.com/watch?v=kCc8FmEb1nY&t=62"
    text = "As [the lecture explains](URL), layer normalization stabilises deep stacks by 92.3%."
    if label == "92.3%":
        text = "As layer normalization stabilises deep stacks by [92.3%](URL)."
    [claim] = section(text.replace("URL", url)).claims
    assert claim.text.plain == plain
    assert seconds(claim.moments) == (62,)


def test_chinese_and_japanese_sentences_end_at_their_full_stops() -> None:
    s = section("量子は粒子と波の両方の性質を持つ。シュレーディンガー方程式は波動関数の時間変化を記述する[03:45]。"
                "「神经网络由多层神经元组成！」每个神经元计算加权和？[04:10]")
    assert [c.text.plain for c in s.claims] == ["シュレーディンガー方程式は波動関数の時間変化を記述する。", "每个神经元计算加权和？"]
    assert [seconds(c.moments) for c in s.claims] == [(225,), (250,)]


@pytest.mark.parametrize("body", [
    # YouTube's transcript, copied: each time on its own line, what is said on the next
    "0:04\nThis is a three, sloppily written and rendered at a low resolution.\n"
    "0:11\nBut your brain has no trouble recognizing it as a three at all.",
    "00:04 - This is a three, sloppily written and rendered at a low resolution.\n"
    "00:11 - But your brain has no trouble recognizing it as a three at all.",
    "- 0:04 This is a three, sloppily written and rendered at a low resolution.\n"
    "- 0:11 But your brain has no trouble recognizing it as a three at all.",
    "- 10:04 This is a three, sloppily written and rendered at a low resolution.\n"
    "- 10:11 But your brain has no trouble recognizing it as a three at all.\n- 10:15 Where it ends.",
])
def test_lines_that_open_with_a_time_are_claims_said_then(body: str) -> None:
    """Before, these times were words: no claim, every card linked 0:00."""
    s = section(body)
    assert [c.text.plain for c in s.claims] == ["This is a three, sloppily written and rendered at a low resolution.",
                                               "But your brain has no trouble recognizing it as a three at all."]
    offset = 600 if "10:04" in body else 0
    assert [seconds(c.moments) for c in s.claims] == [(4 + offset,), (11 + offset,)]
    assert [c.line for c in s.claims] == ([3, 5] if body.startswith("0:04\n") else [3, 4])


@pytest.mark.parametrize("items", [
    "- 16:10 displays are taller than the 16:9 ones most laptops have.\n- A plain item follows it.",
    # times that are what is said, not in a video's order (a reviewer's case)
    "- 3:59 Bannister's time, the first mile under four minutes.\n- 3:43 El Guerrouj's world record, still "
    "standing.\n- 3:47 Another fast time run by a miler in the nineties.",
])
def test_list_items_that_open_with_times_that_are_words_stay_words(items: str) -> None:
    s = section(items)
    assert s.claims == () and s.blocks[0].units[0][1].plain[:4] in ("16:1", "3:59")


def test_list_items_that_close_with_times_in_order_are_claims_said_then() -> None:
    """Before, "- 💰 Wealth is what you don't see. 00:01:12" (a summary tool's highlights) made no claim,
    and its time showed in the section's answer."""
    s = section("- 💰 Wealth is what you don't see: money not spent. 00:01:12\n"
                "- 📈 Compounding rewards patience, not genius. 00:04:30\n"
                "- 🧠 Reasonable beats rational for most people. 09:05\n")
    assert [(c.text.plain, seconds(c.moments)) for c in s.claims] == [
        ("💰 Wealth is what you don't see: money not spent.", (72,)),
        ("📈 Compounding rewards patience, not genius.", (270,)),
        ("🧠 Reasonable beats rational for most people.", (545,))]


@pytest.mark.parametrize(("items", "expected"), [
    # a chat assistant's outline of a talk: the time in parentheses, before the full stop
    ("1. **Obvious** – design your environment so the cue is visible (4:30).\n"
     "2. **Attractive** – pair a habit you need with one you want (7:05).\n"
     "3. **Easy** – a new habit should take less than two minutes to start (9:20).\n",
     [("Obvious – design your environment so the cue is visible.", 270),
      ("Attractive – pair a habit you need with one you want.", 425),
      ("Easy – a new habit should take less than two minutes to start.", 560)]),
    # summarize.tech: the time in bold, opening the item
    ("- **00:00:00** In this section, a computational problem is a relation between inputs and outputs.\n"
     "- **00:05:00** In this section, an algorithm maps each input to a single output.\n"
     "- **00:10:00** In this section, the matching algorithm is proved correct by induction.\n",
     [("In this section, a computational problem is a relation between inputs and outputs.", 0),
      ("In this section, an algorithm maps each input to a single output.", 300),
      ("In this section, the matching algorithm is proved correct by induction.", 600)]),
])
def test_list_items_with_a_time_in_parentheses_or_in_bold_are_claims_said_then(items: str, expected) -> None:
    s = section(items)
    assert [(c.text.plain, c.moments[0].seconds) for c in s.claims] == expected


@pytest.mark.parametrize("items", [
    "- The shop opens at 9:30\n- The last train leaves at 23:10\n",  # two: times of day, maybe
    "- Bannister ran the mile in 3:59\n- El Guerrouj ran it in 3:43\n- Another miler ran 3:47\n",  # not in order
])
def test_list_items_that_close_with_times_that_are_words_stay_words(items: str) -> None:
    s = section(items)
    assert s.claims == () and ":" in s.blocks[0].units[0][1].plain


def test_the_timestamp_notes_plugins_blocks_give_the_video_and_the_moments() -> None:
    """Before, a note of Obsidian's Timestamp Notes plugin made no claim, no card linked its video, and
    the blocks' times showed in the answer ("01:02Attention weights …")."""
    text = ("---\ntitle: Attention\n---\n\n```timestamp-url\nhttps://www.youtube.com/watch?v=wjZofJX0v4M\n```\n\n"
            "## Attention\n\n```timestamp\n01:02\n```\nAttention weights are computed with a softmax over scaled "
            "dot products.\n\n```timestamp\ntimestamp: 1:03:15\n```\nMulti-head attention runs several attention "
            "operations in parallel.\n")
    note, diagnostics = parse(text)
    [s] = [s for s in note.sections if s.heading is not None]
    assert note.video == "wjZofJX0v4M" and diagnostics == []
    assert [(c.text.plain, seconds(c.moments), c.line) for c in s.claims] == [
        ("Attention weights are computed with a softmax over scaled dot products.", (62,), 14),
        ("Multi-head attention runs several attention operations in parallel.", (3795,), 19)]
    assert not any(":" in text.plain for block in s.blocks for _, text in block.units)
    # the frontmatter's video wins over the block's
    note, _ = parse(text.replace("title: Attention", "title: Attention\nvideoId: kCc8FmEb1nY"))
    assert note.video == "kCc8FmEb1nY"


def test_a_time_of_three_parts_in_parentheses_after_a_label_or_a_sentence_is_a_stamp() -> None:
    """Before, Rev-style transcripts ("Speaker 2 (00:02:30): …") and Readwise's "(Time 0:45:10)" made no
    claim. Two parts stay words, as does a time inside its sentence."""
    s = section("Speaker 2 (00:02:30): The unified memory architecture removes copies between CPU and GPU.\n\n"
                "The context window is the model's working memory for each request. (Time 0:45:10)\n"
                "Romulus and Remus were raised by a she-wolf near the Tiber (12:34).\n"
                "Kipchoge's marathon record (2:01:09) still stands after several years of attempts.")
    assert [(c.text.plain, seconds(c.moments)) for c in s.claims] == [
        ("Speaker 2: The unified memory architecture removes copies between CPU and GPU.", (150,)),
        ("The context window is the model's working memory for each request.", (2710,))]
    words = [text.plain for block in s.blocks for _, text in block.units]
    assert "Romulus and Remus were raised by a she-wolf near the Tiber (12:34)." in words
    assert "Kipchoge's marathon record (2:01:09) still stands after several years of attempts." in words


def test_a_line_that_names_a_sections_video_gives_its_bare_stamps_that_video() -> None:
    """Before, "[06:00]" under "Video: <week 1's video>" linked 6:00 of the note's video, and the line
    showed in the section's answer."""
    note, _ = parse("---\ntitle: CS50\nvideoId: 3LPJfIKxwWc\n---\n\n## Week 0\n\nScratch uses puzzle pieces "
                    "to build programs. [05:10]\n\n## Week 1\n\nVideo: https://www.youtube.com/watch?v=cwtpLIWylAw\n\n"
                    "Header files are included with the include directive. [06:00]\n\n"
                    "https://youtu.be/dQw4w9WgXcQ\n\nA link inside the section names no video. [07:00]\n")
    week0, week1 = note.sections
    assert week0.claims[0].moments == (Moment(310),)
    assert [c.moments for c in week1.claims] == [(Moment(360, "cwtpLIWylAw"),), (Moment(420, "cwtpLIWylAw"),)]
    assert not any("Video:" in text.plain for block in week1.blocks for _, text in block.units)


@pytest.mark.parametrize("line", ["Video: https://www.youtube.com/watch?v=VFIOSWy93H0",
                                  "![](https://www.youtube.com/watch?v=VFIOSWy93H0)",  # Obsidian's embed
                                  '<iframe width="560" src="https://www.youtube.com/embed/VFIOSWy93H0?si=x" '
                                  'allowfullscreen></iframe>'])
def test_a_line_above_the_first_section_names_the_video_of_a_note_without_one(line: str) -> None:
    note, diagnostics = parse(f"# Intro to Rust\n\n{line}\n\n"
                              "## Ownership\n\nEach value in Rust has exactly one owner at any given time. [00:12]\n")
    assert note.video == "VFIOSWy93H0" and diagnostics == []
    assert note.sections[-1].claims[0].moments == (Moment(12),)


def test_frontmatter_keys_are_read_whatever_their_case_but_not_the_identity() -> None:
    """Before, "Title:" and "URL:" (Notion's importer, many templates) were not read: the file name was the
    title and the note warned that it had no video, with "URL:" right there."""
    note, diagnostics = parse("---\nTitle: The Feynman Technique\nURL: https://www.youtube.com/watch?v=_f-qkGJBPts\n"
                              "Tags: [learning]\nID: 42\n---\n\n## Steps\n\nExplain the concept in plain words to a "
                              "twelve-year-old child. [01:40]\n", stem="feynman")
    assert (note.title, note.video, note.tags, note.key) == ("The Feynman Technique", "_f-qkGJBPts", ("learning",),
                                                             "feynman")
    assert diagnostics == []
    note, _ = parse("---\ntitle: Own case wins\nTitle: Other\n---\n\nText.\n")
    assert note.title == "Own case wins"


def test_where_stamps_come_first_a_line_says_what_is_said_then_whole() -> None:
    """Before, "[00:05] Sunlight contains all colours. Blue light …" was a claim of its first sentence only,
    too short to be a card: the line made none, and "So why is the sky {{c1::blue}}?" was all of its own."""
    s = section("[00:00] So why is the sky blue? The short answer is Rayleigh scattering by air molecules.\n"
                "[00:05] Sunlight contains all colours. Blue light has a much shorter wavelength than red light.\n")
    assert [(c.text.plain, seconds(c.moments)) for c in s.claims] == [
        ("So why is the sky blue? The short answer is Rayleigh scattering by air molecules.", (0,)),
        ("Sunlight contains all colours. Blue light has a much shorter wavelength than red light.", (5,))]


def test_full_width_brackets_hold_stamps_and_a_line_that_ends_a_sentence_ends_a_stamp_first_line() -> None:
    """Before, 【05:40】 and ［13:05］ were words. The first line opens with its stamp, the second ends with
    one: each is its own claim (the whole of a stamp's line, up to its end)."""
    s = section("【05:40】温度越高，原子的运动就越剧烈。\n水在一百摄氏度的时候沸腾。［13:05］")
    assert [(c.text.plain, seconds(c.moments)) for c in s.claims] == [
        ("温度越高，原子的运动就越剧烈。", (340,)), ("水在一百摄氏度的时候沸腾。", (785,))]


def test_otter_turns_open_with_their_speaker_and_time() -> None:
    """Before, an Otter.ai export ("Dr. Amy Chen  0:14", then what she said) made no claim at all."""
    s = section("Dr. Amy Chen  0:14\nThe key players are B cells, which make antibodies, and T cells.\n\n"
                "Dr. Amy Chen  1:12\nDendritic cells carry the antigen to the nearest lymph node.\n")
    assert [(c.text.plain, seconds(c.moments), c.line) for c in s.claims] == [
        ("The key players are B cells, which make antibodies, and T cells.", (14,), 4),
        ("Dendritic cells carry the antigen to the nearest lymph node.", (72,), 7)]
    one = section("Final score  3:2\nThe home side won after extra time in a tense final.\n")  # one: no transcript
    assert one.claims == ()


def test_a_stamp_in_bold_ends_its_sentence_as_a_plain_one_does() -> None:
    """Before, "… each day. **[12:34]**" at a line's end gave the next line's sentence to its claim."""
    s = section("Adenosine builds up in the brain the longer we stay awake each day. **[12:34]**\n"
                "Caffeine blocks adenosine receptors rather than removing adenosine itself. ==[13:05]==")
    assert [(c.text.plain, seconds(c.moments)) for c in s.claims] == [
        ("Adenosine builds up in the brain the longer we stay awake each day.", (754,)),
        ("Caffeine blocks adenosine receptors rather than removing adenosine itself.", (785,))]


def test_a_claim_that_refers_back_keeps_the_sentence_before_it() -> None:
    s = section("For a population, the standard deviation is denoted by sigma. "
                "It is calculated as the square root of the population variance [05:30]. "
                "The variance is the mean of the squared differences from the mean [05:40].\n\n"
                "This opens a paragraph, so nothing before it is in its paragraph [05:50].")
    assert [c.before.plain if c.before else None for c in s.claims] == [
        "For a population, the standard deviation is denoted by sigma.", None, None]


def test_claim_is_the_sentence_the_stamp_follows() -> None:
    s = section("The opening sentence sets the scene without a stamp. "
                "The middle sentence is the one that the stamp follows [00:01:05]. "
                "The closing sentence has nothing to add to the story.")
    assert claim_list(s) == [("The middle sentence is the one that the stamp follows.", (65,))]
    assert len(units(s)) == 3


@pytest.mark.parametrize(("md", "plain"), [
    (f"Although it downloaded the same file twice {A('00:11:03')}, it ultimately gave the right answer.",
     "Although it downloaded the same file twice, it ultimately gave the right answer."),  # was "twice it ultimately"
    ("Heat rises through the chimney here [00:01:00]; cold air sinks in its place.",
     "Heat rises through the chimney here; cold air sinks in its place."),
    ("The model claims one thing [00:01:00], [00:01:05] and another thing later on.",
     "The model claims one thing and another thing later on."),  # commas between stamps are the stamps'
    ("The model claims one thing, [00:01:00] and another thing later on.",
     "The model claims one thing, and another thing later on."),
])
def test_the_comma_after_a_stamp_is_the_sentences(md: str, plain: str) -> None:
    assert [c.text.plain for c in section(md).claims] == [plain]


@pytest.mark.parametrize("sentence", [
    "Use a compiled language, e.g. Rust or Go, for the hot loop.",
    "The loss is convex, i.e. Every local minimum is also global.",
    "The method was proposed by Dr. Smith in the late nineties.",
    "Compare the old model vs. The new model on the same data.",
    "The chip runs at 3.5 GHz in its turbo mode here.",
    "The result was published by J. Schmidhuber long before then.",
    "Doug McIlroy and J.F. Ossanna kept working on the ideas of the project.",  # initials: it was split after "J.F."
    "Prices in U.S. markets rose for the third quarter in a row.",
])
def test_abbreviations_do_not_split(sentence: str) -> None:
    s = section(sentence[:-1] + " [00:00:10]. The next sentence stands on its own here.")
    assert claim_list(s) == [(sentence, (10,))]


@pytest.mark.parametrize(("text", "expected"), [
    ("Is it real?! Yes it is.", ["Is it real?!", "Yes it is."]),  # the boundary is after the last mark
    ('He asked "why?" Then he left.', ['He asked "why?"', "Then he left."]),  # closing quote stays
    ("The end (of it.) Next one.", ["The end (of it.)", "Next one."]),  # closing bracket stays
    ("It ends here. (Then a remark.)", ["It ends here.", "(Then a remark.)"]),  # opening bracket starts
    ("Version 2.5 ships. 3 more follow.", ["Version 2.5 ships.", "3 more follow."]),  # a digit starts one
    ("It ends here. then lower case.", ["It ends here. then lower case."]),  # lower case does not
    ("By J. R. Smith and co. Done here.", ["By J. R. Smith and co.", "Done here."]),
    ("It is so.   Spaces   follow.", ["It is so.", "Spaces follow."]),
    # a sentence opens with a capital of any script, a letter of a script without case, a brand,
    # code, an amount or an emoji; before, each of these ran on into the sentence before it
    ("It ends here. Über alles geht es.", ["It ends here.", "Über alles geht es."]),
    ("It ends here. Éric en parle.", ["It ends here.", "Éric en parle."]),
    ("It ends here. Это новое предложение.", ["It ends here.", "Это новое предложение."]),
    ("It ends here. זה משפט חדש.", ["It ends here.", "זה משפט חדש."]),
    ("It ends here. iPhone sales doubled.", ["It ends here.", "iPhone sales doubled."]),
    ("It ends here. `git rebase` rewrites history.", ["It ends here.", "git rebase rewrites history."]),
    ("It ends here. $100 trillion is the sum.", ["It ends here.", "$100 trillion is the sum."]),
    ("It ends here. 🚀 Rockets go up.", ["It ends here.", "🚀 Rockets go up."]),
    ("It ends here. (see below) for more.", ["It ends here. (see below) for more."]),
    ("It ends here. - and a dash.", ["It ends here. - and a dash."]),
])
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert units(section(text)) == expected


def test_sentences_on_separate_lines_of_a_paragraph() -> None:
    s = section("The first sentence of this paragraph has no stamp.\n"
                "The second sentence carries the first stamp here [00:01:05].\n"
                "The third sentence carries another stamp here [00:01:06].")
    assert [(c.text.plain, seconds(c.moments), c.line) for c in s.claims] == [
        ("The second sentence carries the first stamp here.", (65,), 4),
        ("The third sentence carries another stamp here.", (66,), 5)]


def test_a_line_that_opens_with_a_symbol_is_a_sentence_of_its_own() -> None:
    """From a real note: the formula's line hid its number in a cloze that linked the line before."""
    s = section(f"The standard deviation is the square root of the variance {A('00:05:23')}.\n"
                f"σ = $\\sqrt{{7.76}}$ ≈ 2.79 and this is the value {A('00:11:59')}")
    assert claim_list(s) == [("The standard deviation is the square root of the variance.", (323,)),
                             ("σ = \\sqrt{7.76} ≈ 2.79 and this is the value", (719,))]


def test_fixture_note_structure_and_lines() -> None:
    text = (FIXTURES / "family_note.md").read_text(encoding="utf-8")
    assert not text.endswith("\n")
    note, diagnostics = parse(text, stem="blue-led")
    assert diagnostics == []
    assert note.title == "Challenges in creating the blue LED"
    assert note.video == "AF8d72mA41M"
    assert note.channel == "veritasium"
    assert note.key == "blue-led"
    assert note.path == PATH
    first, second = note.sections  # the From line alone makes no intro section

    assert first.heading is not None and first.heading.plain == "The Blue LED Problem"
    assert (first.line, first.level, first.trail) == (8, 2, ("The Blue LED Problem",))
    assert seconds(first.moments) == (41, 65, 130)
    assert [(c.text.plain, seconds(c.moments), c.line) for c in first.claims] == [
        ("Red and green LEDs existed for decades before anyone made a blue one.", (65,), 10),
        ("Shuji Nakamura worked on gallium nitride at Nichia for many years.", (130,), 10)]
    assert first.claims[1].terms == ("gallium nitride", "Nichia")
    assert first.claims[1].text.html == "Shuji Nakamura worked on <b>gallium nitride</b> at Nichia for many years."
    assert first.before is None

    assert second.heading is not None and second.heading.plain == "Growing the Crystal"
    assert (second.line, second.level, second.trail) == (12, 3, ("The Blue LED Problem", "Growing the Crystal"))
    assert second.before == Moment(130)
    assert [(c.text.plain, seconds(c.moments), c.line) for c in second.claims] == [
        ("Two-flow reactor: a second gas stream pressed the reactants onto the substrate.", (330,), 14),
        ("Annealing in nitrogen finally activated the p-type layer.", (432,), 15),
        ("The Nobel Prize in Physics went to Akasaki, Amano and Nakamura in 2014.", (620,), 23)]
    (callout,) = second.callouts
    assert (callout.kind, callout.line, callout.moments) == ("info", 17, (Moment(480),))
    assert callout.title is not None and callout.title.plain == "Why Blue Matters"
    assert [t.plain for b in callout.blocks for _, t in b.units] == [
        "Blue light completes the set of colours needed for white lighting."]
    assert second.loose == (Moment(555),)
    assert [(b.kind, b.line) for b in second.blocks] == [("list", 14), ("quote", 21), ("paragraph", 23)]
    assert seconds(second.moments) == (330, 432, 480, 555, 620)


@pytest.mark.parametrize("blank_lines", [0, 1, 3])
def test_claim_line_counts_frontmatter_lines(blank_lines: int) -> None:
    front = "---\ntitle: Counting lines\nvideoId: AF8d72mA41M\ntags: [a, b]\n---\n" + "\n" * blank_lines
    note, _ = parse(front + "## Heading\n\nThe claim of this note is written on this line [00:01:05].")
    (s,) = note.sections
    assert s.line == 6 + blank_lines
    assert s.claims[0].line == 8 + blank_lines


# ==============================================================================================
# Callouts and blockquotes
# ==============================================================================================
BODY = "The body line explains the idea in some detail."


@pytest.mark.parametrize(("marker", "kind", "title"), [
    ("[!info] Contribution and Open Source Strategy", "info", "Contribution and Open Source Strategy"),
    ("[!INFO] Key Points", "info", "Key Points"),
    ("[!NOTE] Something to Remember", "note", "Something to Remember"),
    ("[!definition] Entropy", "definition", "Entropy"),
    ("[!Definition] Entropy", "definition", "Entropy"),
    ("[!MATH] Population Standard Deviation", "math", "Population Standard Deviation"),
    ("[!seealso] Related Material", "seealso", "Related Material"),
    ("[!Example] Example 1: 0.00700 km", "example", "Example 1: 0.00700 km"),
    ("[!challenge] Try It Yourself", "challenge", "Try It Yourself"),
    ("[!info]- Folded Away", "info", "Folded Away"),
    ("[!tip]+ Folded Open", "tip", "Folded Open"),
    ('[!quote] "Users First"', "quote", '"Users First"'),
    ("[!info] **Composition of an AI Product Team**", "info", "Composition of an AI Product Team"),
])
def test_callout_kinds_and_titles(marker: str, kind: str, title: str) -> None:
    s = section(f"> {marker}\n> {BODY}")
    assert s.blocks == ()  # a callout is not a section block
    (c,) = s.callouts
    assert c.kind == kind
    assert c.title is not None and c.title.plain == title
    assert c.line == 3
    assert [(b.kind, [t.plain for _, t in b.units]) for b in c.blocks] == [("paragraph", [BODY])]


@pytest.mark.parametrize("separator", [">", "> "], ids=["bare", "trailing-space"])
def test_callout_separator_line(separator: str) -> None:
    s = section(f"> [!info] ARC Benchmark\n{separator}\n> François Chollet describes ARC as a test of skill.")
    (c,) = s.callouts
    assert c.title is not None and c.title.plain == "ARC Benchmark"
    assert [t.plain for b in c.blocks for _, t in b.units] == ["François Chollet describes ARC as a test of skill."]


@pytest.mark.parametrize("kind", ["WARNING", "IMPORTANT"])
def test_callout_without_title(kind: str) -> None:
    s = section(f"> [!{kind}]\n> The 1 billion and 3 billion models run on a phone.")
    (c,) = s.callouts
    assert c.kind == kind.lower()
    assert c.title is None
    assert [t.plain for b in c.blocks for _, t in b.units] == ["The 1 billion and 3 billion models run on a phone."]


def test_callout_body_on_the_title_line() -> None:
    s = section("> [!NOTE] Other methods for video compression exist, such as using VLC or HandBrake with many "
                "options [00:01:46]. For a more general guide, refer to "
                "[[step_by_step_video_compression | the tutorial]].")
    (c,) = s.callouts
    assert c.kind == "note"
    assert c.title is None
    assert [t.plain for b in c.blocks for _, t in b.units] == [
        "Other methods for video compression exist, such as using VLC or HandBrake with many options.",
        "For a more general guide, refer to the tutorial."]
    assert c.moments == (Moment(106),)
    assert s.moments == (Moment(106),)


@pytest.mark.parametrize("title", ["Morning sunlight within an hour of waking sets the circadian clock [22:05].",
                                   "Morning sunlight within an hour of waking sets the circadian clock."])
def test_callout_sentence_on_the_title_line_is_its_body(title: str) -> None:
    """A sentence of 12 words or fewer, stamped or ended with a full stop: before, 'has no body', no card."""
    s = section(f"> [!NOTE] {title}")
    (c,) = s.callouts
    assert c.title is None
    assert [t.plain for b in c.blocks for _, t in b.units] == [
        "Morning sunlight within an hour of waking sets the circadian clock."]


def test_callout_question_on_the_title_line_stays_a_title() -> None:
    (c,) = section("> [!question] Why does caffeine delay the feeling of tiredness?").callouts
    assert c.title is not None and c.blocks == ()


def test_callout_short_title_stays_a_title() -> None:
    s = section(f"> [!TIP] Naming Convention {A('00:12:34')}")
    (c,) = s.callouts
    assert c.title is not None and c.title.plain == "Naming Convention"
    assert c.blocks == ()
    assert c.moments == (Moment(754),)


def test_quote_callout_crammed_on_title_line() -> None:
    s = section('> [!QUOTE] "It\'s totally serverless. You only pay for when your graph is actually executing." '
                f"{A('00:12:34')}")
    (c,) = s.callouts
    assert c.kind == "quote" and c.title is None
    assert " ".join(t.plain for b in c.blocks for _, t in b.units) == (
        '"It\'s totally serverless. You only pay for when your graph is actually executing."')
    assert c.moments == (Moment(754),)


def test_nested_callout_in_plain_blockquote() -> None:
    s = section("> Some plain quote text comes first.\n"
                "> > [!MATH] Population Standard Deviation\n"
                "> > $\\sigma = \\sqrt{x}$\n"
                "> > *   $x_i$ represents one value of the data")
    (c,) = s.callouts
    assert c.kind == "math"
    assert c.title is not None and c.title.plain == "Population Standard Deviation"
    assert c.line == 4
    assert [b.kind for b in c.blocks] == ["paragraph", "list"]
    assert html_of(c.blocks[0]) == "\\(\\sigma = \\sqrt&#123;x&#125;\\)"
    assert [t.plain for _, t in c.blocks[1].units] == ["x_i represents one value of the data"]
    assert [(b.kind, units_) for b in s.blocks for units_ in [[t.plain for _, t in b.units]]] == [
        ("quote", ["Some plain quote text comes first."])]


def test_callout_multi_paragraph_with_list() -> None:
    s = section("> [!example] Example 1: 0.00700 km\n"
                "> This number has three significant figures in total.\n"
                ">\n"
                f"> * 0.00700 kilometers is written with leading zeros {A('00:03:10')}\n"
                "> * 7.00 meters is the same length")
    (c,) = s.callouts
    assert [b.kind for b in c.blocks] == ["paragraph", "list"]
    assert [t.plain for b in c.blocks for _, t in b.units] == [
        "This number has three significant figures in total.",
        "0.00700 kilometers is written with leading zeros",
        "7.00 meters is the same length"]
    assert c.moments == (Moment(190),)
    assert Moment(190) in s.moments


def test_bold_pseudo_callout() -> None:
    s = section("> **[!info] Definition**\n>\n> Solomonoff Induction is a theory of prediction.")
    (c,) = s.callouts
    assert c.kind == "info"
    assert c.title is not None and c.title.plain == "Definition"
    assert [t.plain for b in c.blocks for _, t in b.units] == ["Solomonoff Induction is a theory of prediction."]


def test_plain_blockquote_is_a_quote_not_a_callout() -> None:
    s = section(f'> "If you have an AI evaluating, you need to evaluate the eval now." {A("00:11:12")}')
    assert s.callouts == ()
    (block,) = s.blocks
    assert block.kind == "quote"
    assert claim_list(s) == [('"If you have an AI evaluating, you need to evaluate the eval now."', (672,))]


def test_callout_as_last_line_without_newline() -> None:
    note, _ = parse(HEAD + "Some text comes before the callout here.\n\n> [!QUOTE] Last One\n> Final body of the note")
    (c,) = note.sections[0].callouts
    assert (c.kind, c.line) == ("quote", 5)
    assert c.title is not None and c.title.plain == "Last One"
    assert [t.plain for b in c.blocks for _, t in b.units] == ["Final body of the note"]


def test_title_only_callout_as_last_line_without_newline() -> None:
    note, _ = parse(HEAD + "Some text comes before the callout here.\n\n> [!info] Only a Title")
    (c,) = note.sections[0].callouts
    assert (c.kind, c.line, c.blocks) == ("info", 5, ())
    assert c.title is not None and c.title.plain == "Only a Title"


# ==============================================================================================
# Wikilinks and terms
# ==============================================================================================
@pytest.mark.parametrize(("link", "shown"), [
    ("[[Bitcoin]]", "Bitcoin"),
    ("[[aligning with AI safety]]", "aligning with AI safety"),
    ("[[machine_learning_and_neural_networks|Neural Networks]]", "Neural Networks"),
    ("[[tensorflow_and_machine_learning_accelerators | TPUs]]", "TPUs"),
    ('[[AI takeover scenarios and mechanisms | "AI takeover"]]', '"AI takeover"'),
    ("[[shji_nakamuras_contributions | Shūji Nakamura]]", "Shūji Nakamura"),
])
def test_wikilinks_render_alias_else_target(link: str, shown: str) -> None:
    claim = only_claim(f"Researchers keep discussing {link} in this part of the talk [00:01:05].")
    assert claim.text.plain == f"Researchers keep discussing {shown} in this part of the talk."
    shown_html = shown.replace('"', "&quot;")
    assert claim.text.html == f"Researchers keep discussing {shown_html} in this part of the talk."
    assert shown in claim.terms
    for text in (claim.text.html, claim.text.plain):
        assert "[[" not in text and "]]" not in text and "|" not in text


def test_wikilink_then_suffix() -> None:
    claim = only_claim("[[groqs_lpu_technology_and_potential | Groq]]'s breakthrough made inference "
                       "much faster [00:01:05].")
    assert claim.text.plain == "Groq's breakthrough made inference much faster."
    assert claim.terms == ("Groq",)


def test_terms_collect_aliases_and_bold_phrases_in_order() -> None:
    claim = only_claim("**Gallium nitride** made the blue LED possible at [[nichia | Nichia]] "
                       "after years of **trial and error** [00:01:05].")
    assert claim.terms == ("Gallium nitride", "Nichia", "trial and error")
    assert claim.text.html == ("<b>Gallium nitride</b> made the blue LED possible at Nichia after years of "
                               "<b>trial and error</b>.")


def test_wikilink_in_heading() -> None:
    note, _ = parse("## [[customizing_invoice_templates | Customizing Invoice Templates]]\n\nBody text here.")
    (s,) = note.sections
    assert s.heading is not None
    assert s.heading.plain == s.heading.html == "Customizing Invoice Templates"
    assert s.trail == ("Customizing Invoice Templates",)


def test_embed_leaves_no_text() -> None:
    claim = only_claim("![[diagram.png]] The embed disappears from the sentence text here [00:01:06].")
    assert claim.text.plain == "The embed disappears from the sentence text here."


# ==============================================================================================
# Frontmatter
# ==============================================================================================
def test_frontmatter_title_and_video_id() -> None:
    note, diagnostics = parse("---\ntitle: Conways Game of Life\nvideoId: -UrdExQW0cs\n---\n\nSome text.", stem="s")
    assert (note.title, note.video, note.tags, note.deck, note.key) == (
        "Conways Game of Life", "-UrdExQW0cs", (), None, "s")
    assert diagnostics == []


def test_title_defaults_to_stem() -> None:
    note, _ = parse("Some text without any frontmatter.", stem="my-note")
    assert (note.title, note.video, note.key) == ("my-note", None, "my-note")


@pytest.mark.parametrize(("key", "url", "video"), [
    ("url", "https://youtu.be/8Sz7OleIb04", "8Sz7OleIb04"),
    ("url", "https://www.youtube.com/watch?v=8Sz7OleIb04", "8Sz7OleIb04"),
    ("source", "https://youtu.be/_kRg-ZP1vQc?t=3", "_kRg-ZP1vQc"),
    ("source", "https://www.youtube.com/watch?v=_kRg-ZP1vQc&t=3", "_kRg-ZP1vQc"),
    ("youtube_url", "https://youtu.be/-UrdExQW0cs", "-UrdExQW0cs"),
    ("youtube_url", "https://www.youtube.com/watch?v=-UrdExQW0cs&list=PL123", "-UrdExQW0cs"),
    ("url", "https://example.com/episode.mp3", None),
    # before, played as a video file: <video src="https://www.youtube.com/watch?v=...">, which cannot play
    ("videoUrl", "https://www.youtube.com/watch?v=OxGsU8oIWjY", "OxGsU8oIWjY"),
    ("mediaUrl", "https://youtu.be/OxGsU8oIWjY", "OxGsU8oIWjY"),
    ("video_url", "https://www.youtube.com/watch?v=OxGsU8oIWjY&t=3", "OxGsU8oIWjY"),
])
def test_frontmatter_video_url(key: str, url: str, video: str | None) -> None:
    note, _ = parse(f"---\ntitle: T\n{key}: {url}\n---\nSome text.")
    assert note.video == video
    assert note.media is None or video is None


def test_frontmatter_podcast_url_and_youtube_url() -> None:
    note, _ = parse("---\nnumber: 711\nurl: https://traffic.example.com/711.mp3\n"
                    "youtube_url: https://www.youtube.com/watch?v=8Sz7OleIb04\n---\nSome text.")
    assert note.video == "8Sz7OleIb04"


@pytest.mark.parametrize(("value", "tags"), [
    ("[a, b/c]", ("a", "b::c")),
    ('"#x/y z"', ("x::y", "z")),
    ("\n  - one\n  - two/three", ("one", "two::three")),
    ("[true, ml, {level: 2}]", ("true", "ml")),  # was "True", and "{'level':", "2}"
])
def test_frontmatter_tags(value: str, tags: tuple[str, ...]) -> None:
    note, _ = parse(f"---\ntitle: T\ntags: {value}\n---\nSome text.")
    assert note.tags == tags


def test_frontmatter_tags_as_a_mapping_are_no_tags_and_a_warning() -> None:
    """Before, "tags: {topic: ml, level: 2}" gave the Anki tags "{'topic':", "'ml',", "'level':", "2}"."""
    note, diagnostics = parse("---\ntitle: T\ntags: {topic: ml, level: 2}\n---\nSome text.")
    assert note.tags == ()
    [d] = diagnostics
    assert d.line == 3 and d.level == "warning" and "tags is a mapping" in d.message


@pytest.mark.parametrize("dates", ["created: 2024-02-30", "date: 0000-00-00\ncreated: 2024-13-45",
                                   "published: 2024-01-05 10:00:00"])
def test_frontmatter_dates_are_text_even_impossible_ones(dates: str) -> None:
    """cardgen reads no date: an impossible one (a placeholder) must not fail the note."""
    note, diagnostics = parse(f"---\ntitle: T\n{dates}\nid: 2024-02-30\n---\nSome text.")
    assert note.title == "T" and note.key == "id:2024-02-30"
    assert diagnostics == []


@pytest.mark.parametrize(("front", "title", "channel", "tags"), [
    # Obsidian's property editor writes links quoted; typed by hand, unquoted, YAML reads lists in a list
    ('title: "[[gd|Gradient Descent]]"\nchannel: "[[3Blue1Brown]]"\ntags: [[ml]]',
     "Gradient Descent", "3Blue1Brown", ("ml",)),
    ('title: [a, b]\nchannel: [[Some Channel]]\ntags:\n  - "[[topic/ml]]"\n  - plain',
     "a, b", "Some Channel", ("topic::ml", "plain")),
])
def test_frontmatter_links_and_lists_read_as_text(front: str, title: str, channel: str, tags: tuple[str, ...]) -> None:
    note, _ = parse(f"---\n{front}\n---\nSome text.")
    assert (note.title, note.channel, note.tags) == (title, channel, tags)


def test_frontmatter_deck_and_id() -> None:
    note, _ = parse("---\ntitle: T\ndeck: Physics::LED\nid: abc123\n---\nSome text.")
    assert note.deck == "Physics::LED"
    assert note.key == "id:abc123"


@pytest.mark.parametrize("value", ["false", "no", "off", '"false"'])
def test_cardgen_false_opts_out(value: str) -> None:
    note, diagnostics = parse_note(PATH, f"---\ntitle: T\ncardgen: {value}\n---\nSome text [00:01:05].", "s")
    assert note is None
    assert diagnostics == []


def test_cardgen_true_is_read() -> None:
    note, _ = parse("---\ntitle: T\ncardgen: true\n---\nSome text.")
    assert note.title == "T"


@pytest.mark.parametrize(("text", "line"), [
    ("---\ntitle: T\nvideoId: [unclosed\nx: 1\n---\nbody", 3),
    ("---\ntitle: T\nfoo: bar: baz\n---\nbody", 3),
    ("---\ntitle: T\nvideoId: AF8d72mA41M\ntags: [a, b\ndeck: x\n---\nbody", 4),
    ("---\ntitle: T\nvideoId: x\n  bad: indent\n---\nbody", 4),
    ("---\ntitle: T\nk: @bad\n---\nbody", 3),
])
def test_broken_yaml_raises_with_line(text: str, line: int) -> None:
    with pytest.raises(NoteError) as info:
        parse_note(PATH, text, "s")
    assert info.value.path == PATH
    assert info.value.line == line
    assert "frontmatter is not valid YAML" in info.value.message


@pytest.mark.parametrize("front", ["- a\n- b", "just a string"], ids=["list", "scalar"])
def test_non_mapping_frontmatter_raises(front: str) -> None:
    with pytest.raises(NoteError) as info:
        parse_note(PATH, f"---\n{front}\n---\nbody", "s")
    assert info.value.line == 1


@pytest.mark.parametrize("key", ["videoId", "video_id"])
def test_malformed_video_id_warns(key: str) -> None:
    note, diagnostics = parse(f"---\ntitle: T\n{key}: not-an-id\n---\nSome text.")
    assert note.video is None
    (d,) = diagnostics
    assert d.level == "warning" and d.path == PATH
    assert f"{key} 'not-an-id' is not a YouTube video id" in d.message


def test_video_id_given_as_url_is_accepted() -> None:
    note, diagnostics = parse("---\ntitle: T\nvideoId: https://youtu.be/8Sz7OleIb04\n---\nSome text.")
    assert note.video == "8Sz7OleIb04" and diagnostics == []


# ==============================================================================================
# The From line
# ==============================================================================================
FRONT = "---\ntitle: T\nvideoId: AF8d72mA41M\n---\n\n"  # the From line is on line 6


@pytest.mark.parametrize(("line", "channel"), [
    ("From: [[veritasium]] <br/> ", "veritasium"),
    ("From: [[dwarkeshpatel]] <br/>", "dwarkeshpatel"),
    ("From: [[DwarkeshPatel]] <br/> ", "DwarkeshPatel"),
    ("From: [[dwarkesh | The Dwarkesh Podcast]]", "dwarkesh"),
    ("From: [[nikhil.kamath]] <br/> ", "nikhil.kamath"),
    ("From: [[oecdobservatoryofpublicsec3116]] <br/> ", "oecdobservatoryofpublicsec3116"),
])
def test_from_line_sets_channel_and_is_not_content(line: str, channel: str) -> None:
    note, _ = parse(FRONT + line + "\n\nThe development of the blue LED took decades of work [00:00:05].")
    assert note.channel == channel
    (s,) = note.sections
    assert units(s) == ["The development of the blue LED took decades of work."]
    assert [(c.text.plain, c.line) for c in s.claims] == [("The development of the blue LED took decades of work.", 8)]
    assert not any("From" in t or "Podcast" in t or "br/" in t for t in all_plain(note) + all_html(note))


@pytest.mark.parametrize("line", ["From: [[theaccountantguy]] <br/> ", "From: [[dwarkesh | The Dwarkesh Podcast]]"])
def test_text_on_the_line_right_after_from_is_content(line: str) -> None:
    note, _ = parse(FRONT + line + "\nThe development of the blue LED took decades of work [00:00:05].")
    (s,) = note.sections
    assert s.heading is None
    assert units(s) == ["The development of the blue LED took decades of work."]
    assert claim_list(s) == [("The development of the blue LED took decades of work.", (5,))]
    assert not any("From" in t for t in all_plain(note) + all_html(note))


def test_line_of_text_right_after_from() -> None:
    note, _ = parse(FRONT + "From: [[theaccountantguy]] <br/> \n"
                    "The development of the blue LED took decades of work [00:00:05].")
    assert note.sections[0].claims[0].line == 7
    assert note.sections[0].blocks[0].line == 7


def test_heading_right_after_from() -> None:
    note, _ = parse(FRONT + "From: [[theaccountantguy]] <br/> \n## Troubleshooting PDF Generation\n\n"
                    "The template engine fails on nested tables in this version [00:00:05].")
    assert note.channel == "theaccountantguy"
    (s,) = note.sections  # no intro section is left
    assert s.heading is not None and s.heading.plain == "Troubleshooting PDF Generation"
    assert s.line == 7
    assert [(c.text.plain, c.line) for c in s.claims] == [
        ("The template engine fails on nested tables in this version.", 9)]


def test_llm_residue_is_not_content() -> None:
    note, _ = parse(FRONT + "From: [[dwarkesh | The Dwarkesh Podcast]]\n\nHere is the modified article:\n\n"
                    "## Scaling\n\nScaling laws held across six orders of magnitude of compute [00:00:05].")
    assert [s.heading.plain if s.heading else None for s in note.sections] == ["Scaling"]


# ==============================================================================================
# The part before the first heading
# ==============================================================================================
def test_intro_paragraph_claims() -> None:
    note, _ = parse("The first sentence has no stamp and only a **bold term** in it. "
                    "The second sentence carries the stamp right here [05:30](#t=05:30).")
    (s,) = note.sections
    assert s.heading is None
    assert [(c.text.plain, seconds(c.moments), c.terms) for c in s.claims] == [
        ("The second sentence carries the stamp right here.", (330,), ())]


def test_intro_slip_count() -> None:
    _, diagnostics = parse("The first claim of the slipped note is here [01:07:00]. "
                           "The second claim of the slipped note is here [01:08:00]. "
                           "The third claim of the slipped note is here [01:09:00].")
    (d,) = _slip_diagnostics(diagnostics)
    assert d.message.startswith("3 stamps such as")


def test_long_title_callout_slip_count() -> None:
    _, diagnostics = parse(HEAD + "> [!NOTE] Other methods for video compression exist such as using VLC or "
                           "HandBrake with options [01:07:00]. It also helps [01:08:00] and [01:09:00] a lot.")
    (d,) = _slip_diagnostics(diagnostics)
    assert d.message.startswith("3 stamps such as")


def test_intro_single_sentence_claim() -> None:
    note, _ = parse("The development of the blue LED took decades of hard work [00:00:05].")
    (s,) = note.sections
    assert (s.heading, s.line, s.trail, s.level) == (None, 1, (), 0)
    assert claim_list(s) == [("The development of the blue LED took decades of hard work.", (5,))]


# ==============================================================================================
# Text safety and encodings
# ==============================================================================================
@pytest.mark.parametrize("md", [
    "Para <script>alert(1)</script> keeps its other words [00:01:05].",
    "<script>alert(1)</script>",
    "The image <img src=x onerror=alert(1)> is dropped from here [00:01:05].",
    "<img src=x onerror=alert(1)>",
    "The image <img src=x\nonerror=alert(1)> spans two lines here.",
    "> [!info] Title <img src=x onerror=alert(1)>\n> Body <script>alert(1)</script> text.",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | cell [00:01:05] |",
    "* item <script>alert(1)</script> with a stamp [00:01:05]",
    "A first sentence. <script>alert(1). Bad. </script> The end.",
    "<div onclick=alert(1)>hi</div>",
    "[click](javascript:alert(1)) and <a href=\"javascript:alert(1)\">here</a> now.",
])
def test_no_script_or_handler_in_html(md: str) -> None:
    note, _ = parse("## Heading <img src=x onerror=alert(1)>\n\n" + md)
    for h in all_html(note):
        low = h.lower()
        assert "<script" not in low and "onerror" not in low and "onclick" not in low
        assert "javascript:" not in low and "<img" not in low


def test_script_paragraph_keeps_surrounding_text() -> None:
    claim = only_claim("The image <img src=x onerror=alert(1)> is dropped from here [00:01:05].")
    assert " ".join(claim.text.html.split()) == "The image is dropped from here."
    assert claim.moments == (Moment(65,),)


@pytest.mark.parametrize("md", [
    "The template uses {{c1::x}} and {{salutation}} for the greeting [00:01:05].",
    "## {{c1::heading}}\n\nBody.",
    "> [!info] {{c1::title}}\n> {{c2::body}}",
    "| {{c1::a}} | b |\n|---|---|\n| {{x}} | y [00:01:05] |",
    "`{{c1::code}}`\n\n```\n{{c1::fenced}}\n```",
    "The formula $x^{2}$ and $$ {a} $$ both hold.",
    "[[target|{{c1::alias}}]] and **{{bold}}** here.",
    "<span>{{c1::inline html}}</span> raw.",
    "<div>{{c1::block html}}</div>",
])
def test_no_braces_in_html(md: str) -> None:
    note, _ = parse(HEAD + md)
    for h in all_html(note):
        assert "{" not in h and "}" not in h, h


def test_braces_become_character_references() -> None:
    claim = only_claim("The template uses {{c1::x}} and {{salutation}} for the greeting [00:01:05].")
    assert claim.text.plain == "The template uses {{c1::x}} and {{salutation}} for the greeting."
    assert claim.text.html == ("The template uses &#123;&#123;c1::x&#125;&#125; and "
                               "&#123;&#123;salutation&#125;&#125; for the greeting.")


@pytest.mark.parametrize(("broken", "fixed"), [
    ("The LED story â€“ a long one â€“ ends well", "The LED story – a long one – ends well"),
    ("Itâ€™s the crystal that made the difference", "It’s the crystal that made the difference"),
    ("The cafÃ© crystal that made the difference", "The café crystal that made the difference"),  # Ã
    ("The crystal grows at 100Â°C in the chamber", "The crystal grows at 100°C in the chamber"),  # Â
])
def test_mojibake_is_repaired(broken: str, fixed: str) -> None:
    claim = only_claim(broken + " [00:01:05].")
    assert claim.text.plain == fixed + "."
    assert claim.text.html == fixed + "."


def test_correct_unicode_is_untouched() -> None:
    claim = only_claim("Shūji Nakamura’s naïve café idea ≈ σ² – μ → Δ [00:01:05].")
    assert claim.text.plain == "Shūji Nakamura’s naïve café idea ≈ σ² – μ → Δ."


def test_inline_math() -> None:
    claim = only_claim("The area grows with $x^2$ as the side grows [00:01:05].")
    assert claim.text.html == "The area grows with \\(x^2\\) as the side grows."
    assert claim.text.plain == "The area grows with x^2 as the side grows."


def test_latex_paren_math() -> None:
    claim = only_claim("The prior of a program is \\(2^{-\\text{length}}\\) in this theory [00:01:05].")
    assert claim.text.html == "The prior of a program is \\(2^&#123;-\\text&#123;length&#125;&#125;\\) in this theory."


@pytest.mark.parametrize("text", [
    "It costs $8 per month and $10 per year for the plan",
    "The market could be worth $100 trillion by then",
    "Input costs $8 per million tokens and output $24",
])
def test_currency_is_not_math(text: str) -> None:
    claim = only_claim(text + " [00:01:05].")
    assert claim.text.plain == text + "."
    assert claim.text.html == text + "."


@pytest.mark.parametrize(("md", "html", "plain"), [
    ("$$ E = mc^2 $$", "\\[E = mc^2\\]", "E = mc^2"),
    ("$$\n\\mathcal{L}\\{1\\} = \\frac{1}{s}\n$$",
     "\\[\\mathcal&#123;L&#125;\\&#123;1\\&#125; = \\frac&#123;1&#125;&#123;s&#125;\\]",
     "\\mathcal{L}\\{1\\} = \\frac{1}{s}"),
])
def test_display_math_block(md: str, html: str, plain: str) -> None:
    s = section(md)
    (block,) = s.blocks
    assert block.kind == "math"
    assert html_of(block) == html
    assert block.units == (("whole", block.units[0][1]),)
    assert block.units[0][1].plain == plain


def _summary(note: Note) -> object:
    return (note.title, note.video, note.channel, note.tags, [
        (s.heading and s.heading.plain, s.line, s.moments, s.loose,
         [(c.text.plain, c.text.html, c.moments, c.line) for c in s.claims],
         [(c.kind, c.title and c.title.plain, c.line, c.moments,
           [t.plain for b in c.blocks for _, t in b.units]) for c in s.callouts],
         [(b.kind, b.line, html_of(b)) for b in s.blocks]) for s in note.sections])


@pytest.mark.parametrize("variant", ["crlf", "cr", "bom", "bom+crlf"])
def test_line_endings_and_bom(variant: str) -> None:
    text = (FIXTURES / "family_note.md").read_text(encoding="utf-8")
    if "crlf" in variant:
        changed = text.replace("\n", "\r\n")
    elif variant == "cr":
        changed = text.replace("\n", "\r")
    else:
        changed = text
    if "bom" in variant:
        changed = "\ufeff" + changed
    reference, ref_diagnostics = parse(text)
    note, diagnostics = parse(changed)
    assert _summary(note) == _summary(reference)
    assert note.title == "Challenges in creating the blue LED"  # the BOM does not hide the frontmatter
    assert diagnostics == ref_diagnostics == []
    assert not any("\r" in h or "\ufeff" in h for h in all_html(note) + all_plain(note))


# -- Obsidian's own syntax: comments, highlights, footnotes ----------------------------------------
def test_obsidian_comments_never_reach_a_card() -> None:
    """``%%...%%`` is hidden when the note is read: private to the note, so on no card, with its stamps."""
    s = section("The heap is split into generations here [00:01:00]. %%ask Sam about this%% The end.\n\n"
                "%%\nA hidden block [00:02:00]\n\nwith a blank line in it\n%%\n\n"
                "%%todo%% Visible words follow the comment here.\n\n"
                "`%%code%%` stays code.\n\n"
                "Discounts of 10% and 20% stay.")
    assert units(s) == ["The heap is split into generations here.", "The end.",
                        "Visible words follow the comment here.", "%%code%% stays code.",
                        "Discounts of 10% and 20% stay."]
    assert seconds(s.moments) == (60,)


def test_an_unclosed_comment_that_starts_a_block_hides_the_rest_of_the_note() -> None:
    note, _ = parse(HEAD + "Shown here.\n\n%%\n## Draft\n\nNot ready [00:02:00].\n")
    assert [u for s in note.sections for b in s.blocks for _, u in b.units] == [Text("Shown here.", "Shown here.")]


def test_a_highlight_is_marked_and_is_the_word_to_hide() -> None:
    claim = only_claim("The ==generational hypothesis== says that most objects die young [00:01:00].")
    assert claim.text.html == "The <mark>generational hypothesis</mark> says that most objects die young."
    assert claim.terms == ("generational hypothesis",)


def test_footnotes_leave_the_text_and_the_content() -> None:
    s = section("The count drops during marking[^1] in every collector we measured [00:03:00].\n\n"
                "[^1]: See the Dijkstra paper.\n\n"
                "An undefined marker[^2] stays as written in this sentence.")
    assert units(s) == ["The count drops during marking in every collector we measured.",
                        "An undefined marker[^2] stays as written in this sentence."]


def test_stamps_in_an_html_block_mark_its_sentences() -> None:
    """From a real note: an admonition written as HTML; before, its stamps showed as text and linked nowhere."""
    s = section('<div class="admonition tip">\n<p class="admonition-title">Pro Tip from Silvin</p>\n'
                "Exclude users who cancel their free trial within the first hours [00:01:35]. "
                "This prevents negative signals from skewing your optimization [00:01:42].\n</div>\n\n"
                "<details><summary>More</summary>\n"
                f"The second detail sentence is long enough to be a claim {A('00:03:00')}.\n"
                "<script>alert(1) [00:09:00]</script>\n</details>\n\n"
                "<div>No stamp here, so it stays as it was.</div>")
    assert [(c.text.plain, seconds(c.moments), c.line) for c in s.claims] == [
        ("Exclude users who cancel their free trial within the first hours.", (95,), 5),
        ("This prevents negative signals from skewing your optimization.", (102,), 5),
        ("The second detail sentence is long enough to be a claim.", (180,), 9)]
    assert seconds(s.moments) == (95, 102, 180)  # the script's stamp is no reader's
    assert [html_of(b) for b in s.blocks] == [
        "Pro Tip from Silvin Exclude users who cancel their free trial within the first hours. "
        "This prevents negative signals from skewing your optimization.",
        "The second detail sentence is long enough to be a claim.",  # "More" names the widget: not a word
        "<div>No stamp here, so it stays as it was.</div>\n"]


def test_a_named_citation_of_another_video_links_that_video() -> None:
    """``[[sources/<id>|Talk 2]] [02:10]``: before, the stamp linked the note's own video, and the
    cloze hid the citation's name."""
    claim = only_claim("Covered calls trade upside for a premium, as argued in [[sources/kvzQJ3wFaZs|Talk 2]] [02:10].")
    assert claim.text.plain == "Covered calls trade upside for a premium, as argued in Talk 2."
    assert claim.moments == (Moment(130, "kvzQJ3wFaZs"),)
    assert claim.terms == ()
    plain = only_claim("Covered calls trade upside for a premium, as argued here [[sources/kvzQJ3wFaZs]] [02:10].")
    assert plain.text.plain == "Covered calls trade upside for a premium, as argued here."
    assert plain.moments == (Moment(130, "kvzQJ3wFaZs"),)


def test_a_setext_heading_is_found_on_its_own_line() -> None:
    note, _ = parse("Some words come first here.\n\nSetext Title\n------------\n\nText under it.\n\n"
                    "Second Title\n============\n\nMore text under it.\n")
    assert [(s.heading.plain, s.line) for s in note.sections if s.heading] == [("Setext Title", 3),
                                                                               ("Second Title", 8)]


def test_a_stamp_with_escaped_brackets_is_a_stamp_not_a_formula() -> None:
    s = section("The collector pauses the world during marking \\[00:01:00\\] in older runtimes. "
                "A formula \\[x^2\\] stays a formula.")
    assert claim_list(s) == [("The collector pauses the world during marking in older runtimes.", (60,))]
    assert units(s)[1] == "A formula x^2 stays a formula."
    assert "\\[x^2\\]" in html_of(s.blocks[0])


@pytest.mark.parametrize("mark", ["**", "*", "__"])
def test_emphasis_around_a_stamp_alone_leaves_nothing(mark: str) -> None:
    claim = only_claim(f"Then the count of live objects drops{mark}[00:02:00]{mark}.")
    assert claim.text.plain == claim.text.html == "Then the count of live objects drops."
    assert seconds(claim.moments) == (120,)


def test_a_line_after_a_display_formula_starts_a_new_sentence() -> None:
    """From a real note: a derivation in a list item, a formula and its stamp per line; before, it was
    one sentence, and its cloze hid the step's name under three formulas."""
    s = section("1.  **Evaluate the definite integral**:\n"
                "    $$\n    F = \\lim_{A \\to \\infty} G\n    $$ [00:04:45]\n"
                "    $$\n    = \\lim_{A \\to \\infty} H\n    $$ [00:05:09]\n"
                "    The limit of the last term is zero for every positive value of s [00:06:03].\n")
    assert claim_list(s) == [("The limit of the last term is zero for every positive value of s.", (363,))]
    assert seconds(s.moments) == (285, 309, 363)


@pytest.mark.parametrize("md", [
    "The heap is split into generations here [00:01:00]. %%private\n\nsecret plan for the talk [00:01:20] end%%",
    "The heap is split into generations here [00:01:00].\n\n%% private\n\nsecret plan for the talk [00:01:20] %%",
])
def test_a_comment_over_several_paragraphs_hides_all_of_it(md: str) -> None:
    """Before, a comment that opened mid-line, or had text after its close, leaked its inner paragraphs."""
    text = HEAD + md + "\nPublic words after the comment stay here.\n\n## Next\n\nShown under the next heading.\n"
    note, _ = parse(text)
    texts = [t.plain for s in note.sections for b in s.blocks for _, t in b.units]
    assert not any("secret" in t or "%%" in t for t in texts), texts
    assert "Public words after the comment stay here." in " ".join(texts)
    assert seconds(note.sections[0].moments) == (60,)
    assert note.sections[1].line == text.split("\n").index("## Next") + 1  # lines still count


def test_percent_signs_in_code_are_code() -> None:
    s = section("Use `%%` to open a comment in Obsidian notes.\n\n```\n%% not a comment\n```\n\nStill shown after it.")
    assert units(s)[0] == "Use %% to open a comment in Obsidian notes."
    assert "Still shown after it." in units(s)
    assert "%% not a comment" in html_of(s.blocks[1])
