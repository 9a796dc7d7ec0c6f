"""mistune 3 plugins for the syntax of video notes.

Each plugin adds inline tokens that the tree walker (``tree.py``) turns into the note model:

* ``stamp``: a moment of the video, in any of the styles seen in real notes::

      <a class="yt-timestamp" data-t="00:02:03">[00:02:03]</a>   (data-t wins over the label)
      [00:47:47](#t=00:47:47)   [05:30](#t=05:30)   [00:01:12](#)
      [01:31](https://www.youtube.com/watch?v=ID&t=91)
      [02:04:15]   [01:09:09, 01:09:11]   [00:34-02:42]
      [[talk.mp4#t=90]]   ![[talk.mp4#t=90,95]]   [01:30](talk.mp4#t=90)   (Media Extended, a media file)

* ``wikilink``: ``[[target]]``, ``[[target|alias]]``, ``[[target | alias]]`` (and ``![[embed]]``).
* ``inline_math``/``display_math``: ``$x^2$`` (not ``$8 per month``), ``$$...$$``, ``\\(..\\)``, ``\\[..\\]``.

Stamps inside code spans and code blocks stay code: mistune never runs inline rules there.
"""

from __future__ import annotations

import re
from typing import Any

import mistune
from mistune.plugins.footnotes import INLINE_FOOTNOTE, REF_FOOTNOTE, parse_inline_footnote, parse_ref_footnote
from mistune.plugins.table import table

from cardgen.media import media_moment
from cardgen.timestamps import STAMP, find_parts, parse_parts, to_seconds, url_seconds, youtube_id

_RUN = rf"{STAMP}(?:\s*(?:-->|[-–—,]|to)\s*{STAMP})*"  # --> as subtitle files write a cue's span

ANCHOR = (r"<a\s[^>\n]{0,300}?\bdata-t\s*=\s*[\"'](?P<anchor_t>[^\"'\n]{0,40})[\"'][^>\n]{0,300}>"
          r"[^<\n]{0,60}</a>")
# a play or clock icon may lead the label: "[▶ 03:25](https://youtu.be/…?t=205)"
STAMP_LINK = (rf"\[\s*(?:[▶►⏵⏯🎬🎥📺⏱🕐]\ufe0f?\s*)?(?P<link_label>{_RUN})(?:\s+Opens in a new window)?\s*\]"
              r"\(\s*(?P<link_url>[^)\s]{0,400})\s*\)")
# ``(?:\((?=<a\b))?`` swallows the ``(`` of the malformed hybrid ``[00:39:52](<a ...>``.
# (or in full-width brackets, as Chinese and Japanese notes write them: 【05:40】, ［13:05］)
BARE_STAMP = rf"[\[［【]\s*(?P<bare_label>{_RUN})\s*[\]］】](?:\((?=<a\b))?(?!\()"
# a time of hours, minutes and seconds in parentheses, as transcripts write it ("Speaker 2 (00:02:30): …",
# Readwise's "(Time 0:45:10)"), after a label or at the end of a sentence or line: no ratio or verse has
# three parts ("(12:34)" stays words), and one inside a sentence is its words ("the record (2:01:09) stands")
PAREN_STAMP = r"\((?:(?i:time|at)\s+)?(?P<paren_t>\d{1,2}:\d{2}:\d{2})\)(?=:|[ \t]*[.;,!?]?[ \t]*(?:\n|$))"
WIKILINK = (r"(?P<wl_embed>!?)\[\[(?P<wl_target>[^\[\]\n|]{1,300}?)"
            r"(?:\s*\|\s*(?P<wl_alias>[^\[\]\n]{0,300}?))?\s*\]\]")
DISPLAY_MATH = r"\$\$(?P<dmath>(?:[^$\\]|\\.){1,5000}?)\$\$|\\\[(?P<dmath2>[\s\S]{1,5000}?)\\\]"
# pandoc's rule: no space just inside the dollars, no digit right after the closing one.
INLINE_MATH = (r"\$(?=[^\s$])(?P<imath>(?:[^$\\\n]|\\.){1,1000}?)(?<=[^\s\\])\$(?!\d)"
               r"|\\\((?P<imath2>[^\n]{1,1000}?)\\\)")


# mistune's display math block, except that the line closing a multi-line one may go on after
# its ``$$``: notes stamp the formula there (``$$ <a class="yt-timestamp" ...>``); that rest
# becomes a paragraph of its own (stamps alone in it mark the formula). mistune's would run on to the
# next ``$$`` in the note, swallowing the prose between as one formula.
BLOCK_MATH = (r"^ {0,3}\$\$(?P<math_text_single>[^\n]*?)\$\$[ \t]*(?:\n|$)|"
              r"^ {0,3}\$\$[ \t]*\n(?P<math_text_multi>[\s\S]*?)\n {0,3}\$\$(?P<math_rest>[^\n$]*)(?:\n|$)")


# Obsidian's tags in the text: ``#optimization``, ``#ml/basics``; after a space or at the start, with a
# character that is no digit (``#42`` and ``C#`` are no tags)
TAG = r"(?<!\S)#(?=[\w/-]*[^\W\d])(?P<hashtag>[\w/-]+)"

# Obsidian's comments: hidden when the note is read, so private to it, and never on a card. One on a
# line is an inline rule (so not in code); one over several lines is cut out first (hide_comments).
COMMENT = r"%%[^%]*(?:%(?!%)[^%]*)*%%"
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CODE_OR_MARK = re.compile(r"(`+)[^`]*?\1|%%")


def hide_comments(text: str) -> str:
    """``text`` without its comments that run over several lines (from an unpaired ``%%`` to the next,
    or to the end of the note, as Obsidian reads them), each line kept, emptied, so lines still count.
    ``%%`` in code (fenced, or in backticks) is code."""
    if "%%" not in text:  # most notes
        return text
    lines = text.split("\n")
    fence = None  # the fence of the code block the line is in
    inside = False  # in a comment
    for n, line in enumerate(lines):
        if inside:
            close = line.find("%%")
            if close < 0:
                lines[n] = ""
                continue
            line = lines[n] = line[close + 2:]
            inside = False
        m = _FENCE.match(line)
        if fence is not None:
            fence = None if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) else fence
            continue
        if m:
            fence = m.group(1)
            continue
        opener = None  # where a %% without its pair on the line stands
        for mark in _CODE_OR_MARK.finditer(line):
            if mark.group(0) == "%%":
                opener = mark.start() if opener is None else None
        if opener is not None:
            lines[n], inside = line[:opener], True
    return "\n".join(lines)


# Dataview's inline fields: metadata of the note's, like its frontmatter ("category:: behaviour design" on a
# line or list item of its own, "[rating:: 5]" or "(source:: [[Book]])" in a sentence)
_FIELD_LINE = re.compile(r"^ {0,3}(?:[-*+] +)?[A-Za-z][\w /-]{0,40}(?<! ):: .*$")  # (not Haskell's "map :: …")
_FIELD_INLINE = re.compile(r"[\[(][A-Za-z][\w /-]{0,40}(?<! ):: [^\])\n]*[\])]")


def hide_fields(text: str) -> str:
    """``text`` without Dataview's fields (each line kept, emptied, so lines still count); not in code."""
    if ":: " not in text:  # most notes
        return text
    lines = text.split("\n")
    fence = None
    for n, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence is not None:
            fence = None if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) else fence
        elif m:
            fence = m.group(1)
        elif ":: " in line:
            lines[n] = "" if _FIELD_LINE.match(line) else _FIELD_INLINE.sub("", line)
    return "\n".join(lines)


# the Timestamp Notes plugin's code blocks: ```timestamp-url (the video) and ```timestamp (a moment, "01:02" or
# "timestamp: 01:02"), each followed by what is said then
_TIMESTAMP_BLOCK = re.compile(r"^(?P<block> {0,3}```timestamp(?P<url>-url)?[ \t]*\n"
                              r"(?P<body>(?:(?! {0,3}```).*\n){0,20}?) {0,3}```)[ \t]*$(?:\n(?P<next>.*\S.*))?", re.M)
_BLOCK_CLOCK = re.compile(r"\d{1,3}:\d{2}(?::\d{2})?")


def timestamp_blocks(text: str) -> tuple[str, str | None]:
    """``text`` with each ```timestamp block read as a stamp that opens the line after it, and each
    ```timestamp-url block left out (lines kept, emptied, so lines still count); and the first such URL."""
    if "```timestamp" not in text:  # most notes
        return text, None
    urls: list[str] = []

    def read(m: re.Match[str]) -> str:
        emptied, after = "\n" * m.group("block").count("\n"), m.group("next")
        if m.group("url"):
            urls.extend(m.group("body").split()[:1])
            return emptied + ("" if after is None else "\n" + after)
        clock = _BLOCK_CLOCK.search(m.group("body"))
        stamp = f"[{clock.group(0)}]" if clock else ""
        return emptied + (stamp if after is None else f"\n{stamp} {after}")
    return _TIMESTAMP_BLOCK.sub(read, text), (urls[0] if urls else None)


def parse_comment(parser: Any, m: re.Match, state: Any) -> int:
    return m.end()


# Obsidian's inline footnote, ``^[an aside]``: like a footnote, it leaves the card
INLINE_NOTE = r"\^\[(?:[^\[\]\n]|\[[^\[\]\n]*\]){0,1000}\]"


def parse_block_math(block: Any, m: re.Match, state: Any) -> int:
    text = m.group("math_text_single")
    state.append_token({"type": "block_math", "raw": m.group("math_text_multi") if text is None else text})
    rest = (m.group("math_rest") or "").strip()
    if rest:
        state.append_token({"type": "paragraph", "text": rest})
    return m.end()


_ONLY_STAMPS = re.compile(_RUN)


def _stamp(state: Any, raw: str, parts: list, url: str = "", seconds: int | None = None,
           video: str | None = None) -> None:
    state.append_token({"type": "stamp", "raw": raw,
                        "attrs": {"parts": parts, "seconds": seconds, "video": video}})


def parse_anchor(inline: Any, m: re.Match, state: Any) -> int:
    parts = parse_parts(m.group("anchor_t"))
    _stamp(state, m.group(0), [parts] if parts else [])
    return m.end()


_VIMEO = re.compile(r"https?://(?:www\.|player\.)?vimeo\.com/", re.I)


def parse_stamp_link(inline: Any, m: re.Match, state: Any) -> int:
    url = m.group("link_url")
    if url.startswith("#"):
        fragment = url[1:].removeprefix("t=")
        from_fragment = parse_parts(fragment) if fragment else None
        _stamp(state, m.group(0), [from_fragment] if from_fragment else find_parts(m.group("link_label")))
        return m.end()
    parts = find_parts(m.group("link_label"))
    video = youtube_id(url)
    if video is None and _VIMEO.match(url) and url_seconds(url) is not None:
        # a Vimeo note's stamp, "[02:30](https://vimeo.com/76979871#t=150s)": a moment of the note's own video
        _stamp(state, m.group(0), parts, seconds=url_seconds(url))
        return m.end()
    in_media = media_moment(url) if video is None and "://" not in url else None
    if in_media is not None:  # Media Extended's "[01:30](talk.mp4#t=90)": a moment of the note's own media file
        _stamp(state, m.group(0), parts, seconds=in_media)
        return m.end()
    if video is None:  # a stamp-labelled link somewhere else: keep it as a plain link
        state.append_token({"type": "link", "children": [{"type": "text", "raw": m.group("link_label")}],
                            "attrs": {"url": url}})
        return m.end()
    _stamp(state, m.group(0), parts, seconds=url_seconds(url), video=video)
    return m.end()


def parse_bare_stamp(inline: Any, m: re.Match, state: Any) -> int | None:
    parts = find_parts(m.group("bare_label"))
    if not parts:  # [99:99]: shaped like a stamp, but no time; stays text, with a warning
        state.append_token({"type": "bad_stamp", "raw": m.group(0)})
        return m.end()
    _stamp(state, m.group(0), parts)
    return m.end()


def parse_paren_stamp(inline: Any, m: re.Match, state: Any) -> int | None:
    parts = parse_parts(m.group("paren_t"))
    if parts is None:  # (12:99:99): no time, stays words
        return None
    _stamp(state, m.group(0), [parts])
    return m.end()


def parse_wikilink(inline: Any, m: re.Match, state: Any) -> int:
    seconds = media_moment(m.group("wl_target"))
    if seconds is not None:  # ``[[talk.mp4#t=90]]``, or its clip embedded: a moment of the note's media, not a page
        _stamp(state, m.group(0), [], seconds=seconds)
        return m.end()
    state.append_token({"type": "wikilink", "raw": m.group(0), "attrs": {
        "target": m.group("wl_target").strip(), "alias": (m.group("wl_alias") or "").strip(),
        "embed": bool(m.group("wl_embed"))}})
    return m.end()


def parse_tag(inline: Any, m: re.Match, state: Any) -> int:
    state.append_token({"type": "tag", "raw": m.group("hashtag")})
    return m.end()


def parse_display_math(inline: Any, m: re.Match, state: Any) -> int:
    text = m.group("dmath") if m.group("dmath") is not None else m.group("dmath2")
    if m.group("dmath2") is not None and _ONLY_STAMPS.fullmatch(text.strip()):
        # \[00:01:00\]: a stamp whose brackets a converter escaped, not a formula
        _stamp(state, m.group(0), find_parts(text))
        return m.end()
    state.append_token({"type": "display_math", "raw": text.strip()})
    return m.end()


def parse_inline_math(inline: Any, m: re.Match, state: Any) -> int:
    text = m.group("imath") if m.group("imath") is not None else m.group("imath2")
    state.append_token({"type": "inline_math", "raw": text})
    return m.end()


def video_notes(md: mistune.Markdown) -> None:
    """Register every rule above on a mistune ``Markdown`` instance."""
    # start_chars keep mistune's fast scan: without them it tries every rule at every position,
    # which is quadratic over long runs of spaces
    md.inline.register("stamp_anchor", ANCHOR, parse_anchor, before="inline_html", start_chars="<")
    md.inline.register("stamp_link", STAMP_LINK, parse_stamp_link, before="link", start_chars="[")
    md.inline.register("stamp_bare", BARE_STAMP, parse_bare_stamp, before="link", start_chars=("[", "［", "【"))
    md.inline.register("stamp_paren", PAREN_STAMP, parse_paren_stamp, before="link", start_chars="(")
    md.inline.register("wikilink", WIKILINK, parse_wikilink, before="link", start_chars=("!", "["))
    md.inline.register("display_math", DISPLAY_MATH, parse_display_math, before="escape", start_chars=("$", "\\"))
    md.inline.register("inline_math", INLINE_MATH, parse_inline_math, before="escape", start_chars=("$", "\\"))
    md.block.register("block_math", BLOCK_MATH, parse_block_math, before="list")
    md.inline.register("comment", COMMENT, parse_comment, before="escape", start_chars="%")
    md.inline.register("tag", TAG, parse_tag, before="escape", start_chars="#")
    # footnotes: the marker ``[^1]`` leaves the text and the ``[^1]: ...`` line leaves the content (a
    # source or an aside, not part of the claim); mistune's plugin without its hook that renders them
    md.block.register("ref_footnote", REF_FOOTNOTE, parse_ref_footnote, before="ref_link")
    md.inline.register("footnote", INLINE_FOOTNOTE, parse_inline_footnote, before="link", start_chars="[")
    md.inline.register("inline_note", INLINE_NOTE, parse_comment, before="escape", start_chars="^")
    # tables inside callouts and quotes too (mistune's plugin reads them at the top level only; in a
    # list item a table stays its text, as the item's first block alone is shown)
    rules = md.block.block_quote_rules
    rules[rules.index("blank_line"):rules.index("blank_line")] = ["table", "nptable"]


# Every block rule's pattern starts each of its branches with ``^`` (tests/test_parse.py checks it)
_LINE_ANCHORED = frozenset(mistune.BlockParser.SPECIFICATION) | {"table", "nptable", "block_math", "ref_footnote"}


class _LineStartSearch:
    """A block rules pattern that can match only at a line start, searched line start by line start.

    mistune searches for the next block when a paragraph starts with a digit or punctuation (a
    stamp, ``**``, a callout's ``[!``); ``re`` would try the pattern's dozen branches at every
    character up to there, though each fails at once unless the character starts a line.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.match = pattern.match

    def search(self, src: str, pos: int = 0) -> re.Match[str] | None:
        while True:  # (at ``pos`` first: there it fails at once unless ``pos`` starts a line)
            m = self.match(src, pos)
            if m is not None:
                return m
            pos = src.find("\n", pos) + 1
            if not pos:
                return None


class _BlockParser(mistune.BlockParser):
    def __init__(self) -> None:
        super().__init__()
        # by the id of mistune's pattern (a new rule makes a new one): a pattern hashes its whole
        # compiled code, each time (1 µs for the block rules'); each value holds its pattern, so an id
        # stays that pattern's
        self._searchers: dict[int, Any] = {}

    def compile_sc(self, rules: list[str] | None = None) -> Any:
        sc = super().compile_sc(rules)
        found = self._searchers.get(id(sc))
        if found is None:
            anchored = _LINE_ANCHORED.issuperset(self.rules if rules is None else rules)
            found = self._searchers[id(sc)] = _LineStartSearch(sc) if anchored else sc
        return found

    def _parse_indent_code_fast(self, state: Any) -> int | None:
        # mistune (3.4) cuts out the first line of every block to test it for indented code; only a
        # line that starts with a space or a tab can be, and most start with neither
        if state.src[state.cursor] not in " \t":
            return None
        result: int | None = super()._parse_indent_code_fast(state)
        return result


# a word that only points at the moment ("… 99 times in 100. [watch](…&t=242)"): after its sentence's end, a
# stamp; inside a sentence ("as the [video](…&t=62) shows"), a word of it
_POINTER_LABEL = re.compile(r"(?:watch|view|see|play|listen|source|clip|video|link|here)(?:\s+(?:here|it|this|now|"
                            r"clip|video|on youtube))?[.!]?", re.I)
# a link's label that only says "here is the moment": "▶", "🔗", "**02:03**", "Watch at 4:10", "Time 0:12:34"
_MOMENT_LABEL = re.compile(rf"(?:(?:watch|time|play|jump to|at)\s*)*(?:at\s*)?\(?{STAMP}\)?", re.I)


def _label_text(tokens: list[dict[str, Any]]) -> str:
    return "".join(t.get("raw", "") if "children" not in t else _label_text(t["children"]) for t in tokens)


def _after_sentence(tokens: list[dict[str, Any]]) -> bool:
    """Whether what comes before ends a sentence (or there is nothing before)."""
    if not tokens:
        return True
    last = tokens[-1]
    return last["type"] == "text" and last["raw"].rstrip(" \t([").endswith((".", "!", "?", ";", ":", ")"))


class _InlineParser(mistune.InlineParser):
    def __init__(self) -> None:
        super().__init__()
        self._trigger: tuple[set[str], re.Pattern[str]] | None = None

    def parse_link_close(self, m: re.Match[str], state: Any) -> int:
        """A link to a moment of a YouTube video whose label only points at it (an icon, its time) is a
        stamp: the sentence before it is the claim, as for ``[02:03](#t=…)``, and the label goes. A label
        with a letter or digit that is no time is words of the sentence ("[92.3%](…&t=62) accuracy")."""
        end = super().parse_link_close(m, state)
        tok = state.tokens[-1] if state.tokens else None
        if tok is not None and tok["type"] == "link":
            url = tok["attrs"].get("url", "")
            seconds = url_seconds(url) if "t=" in url else None
            if seconds is not None:
                label = _label_text(tok["children"]).strip()
                video = youtube_id(url)
                if video and (not any(c.isalnum() for c in label) or _MOMENT_LABEL.fullmatch(label)
                              or (_POINTER_LABEL.fullmatch(label) and _after_sentence(state.tokens[:-1]))):
                    state.tokens[-1] = {"type": "stamp", "raw": url,
                                        "attrs": {"parts": [], "seconds": seconds, "video": video}}
        return end

    def _get_fast_trigger_re(self, chars: set[str]) -> re.Pattern[str]:
        # mistune (3.4) checks its cached pattern against a sorted tuple of ``chars`` built anew on every
        # call, once per run of plain text; the set is rebuilt whenever a rule is registered, so its
        # identity is as good a key
        if self._trigger is None or self._trigger[0] is not chars:
            self._trigger = (chars, super()._get_fast_trigger_re(chars))
        return self._trigger[1]


_STAMP_LIKE = re.compile(r"data-t\s*=|\[\s*\d{1,2}:\d\d")
# A chapter's time in a heading, as YouTube chapter lists write it: "14:20 - Adam", "(14:20) Adam", "Adam (14:20)"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?"
# with nothing but a space after it, only a time that can be no ratio: "0:00 Intro", "05:30 Setup",
# "1:02:03 Wrap-up" (not "16:10 displays")
_PLAIN_CLOCK = r"0\d?:\d{2}(?::\d{2})?|\d{1,2}:\d{2}:\d{2}"
# (a time's own colon is no separator: "01:02:03 Wrap-up" is not 01:02 then "03 Wrap-up")
# (maybe after an icon, "▶ 05:30 - Setup"; after a clock's, any time: "⏱️ 15:45 Licensing")
_CHAPTER_FIRST = re.compile(rf"^(?:[^\x00-\x7f\w\s]\ufe0f?\s*)?(?:\(({_CLOCK})\)\s*|({_CLOCK})(?!:\d)\s*[-–—:|]\s*|"
                            rf"({_PLAIN_CLOCK})\s+)(?=\S)|^[⏱⏰⌚\U0001f550-\U0001f567]\ufe0f?\s*({_CLOCK})\s+(?=\S)")
_TO = rf"(?:\s*[-–—]\s*{_CLOCK})?"  # the end of a chapter's span, "(12:10–18:30)": its start is its moment
# "Adam (14:20)"; after a dash only a time that can be no ratio: "Pipes — 02:10", not "Aspect ratio — 16:10"
_CHAPTER_LAST = re.compile(rf"(?:\s*\(({_CLOCK}){_TO}\)|\s+[-–—|]\s*({_PLAIN_CLOCK}))\s*$")
_CHAPTER_ONLY = re.compile(rf"\(?({_CLOCK}){_TO}\)?")  # "## 12:00": a section of chapter times, one a heading


def chapter_stamp(heading: str) -> str:
    """``heading`` with a chapter time at its start or end in brackets, read then as any stamp."""
    if ":" not in heading:
        return heading
    alone = _CHAPTER_ONLY.fullmatch(heading)
    if alone:
        return f"[{alone.group(1)}]"
    return _CHAPTER_LAST.sub(lambda m: f" [{m.group(1) or m.group(2)}]", chapter_item(heading), count=1)


# a line that opens with a time: alone ("0:04", as YouTube's transcript is copied: the time, then on the
# next line what is said), or before what is said then ("00:12 - Kubernetes was …")
_TIME_LINE = re.compile(rf"^[ \t]*\(?({_CLOCK})\)?(?:[ \t]*[-–—|][ \t]*(?=\S)|[ \t]+(?=[^\sa-z])|[ \t]*$)", re.M)


def timed_lines(text: str) -> str:
    """A paragraph of two or more lines that open with a time, in order: each such time in brackets, read
    then as a stamp that comes first on its line (a transcript, a list of moments written as lines)."""
    if not _in_order(_TIME_LINE.findall(text), 2):
        return text
    return _TIME_LINE.sub(lambda m: f"[{m.group(1)}] ", text)


def _in_order(times: list[str], least: int) -> bool:
    """``least`` or more times, none before the one above it: a video's moments as it goes on (not
    "3:59 Bannister's time, 3:43 the record": times that are what is said)."""
    if len(times) < least:
        return False
    seconds = [to_seconds(p, False) for p in map(parse_parts, times) if p is not None]
    return len(seconds) == len(times) and seconds == sorted(seconds)


# Otter.ai's transcript: each turn opens with its speaker and time, apart, on a line of their own ("Dr. Amy
# Chen  0:14"), what was said on the lines after it (not a table's row, a heading, a list item or a quote)
_TURN = re.compile(rf"^[ \t]*[^\s\[\]|#>*+-][^\n\[\]|]{{0,39}}?\S[ \t]{{2,}}({_CLOCK})[ \t]*$(\n(?=.*\S))?", re.M)


def speaker_turns(text: str) -> str:
    """A note of two or more such turns, in order: each turn's time opens the line after it, whose words
    are the claim (the turn's own line is emptied, so lines still count; the speaker's name, on no card,
    goes)."""
    if "  " not in text or not _in_order([time for time, _ in _TURN.findall(text)], 2):
        return text
    return _TURN.sub(lambda m: f"\n[{m.group(1)}] " if m.group(2) else f"[{m.group(1)}]", text)


# a list item that opens with a time (maybe in bold, "- **00:05:00** In this section …"; not "12:34 people
# attended …")
_CLOCK_FIRST = re.compile(rf"^[ \t]*(?:\*\*|__)?({_CLOCK})(?:\*\*|__)?[ \t]+(?=[^\sa-z])")
# or that closes it, after its words ("- 💰 Wealth is what you don't see. 00:01:12", as summary tools list
# highlights; "- **Make it obvious** – design your environment (4:30).", as chat assistants outline a talk)
_CLOCK_LAST = re.compile(rf"(?<=\S)[ \t]+\(?({_CLOCK})\)?([.!?]?)[ \t]*$")


def _timed_items(items: list[dict[str, Any]]) -> None:
    """A list of three or more items that open with a time and a space, in order ("- 14:05 Deployments …"),
    or that close with one: each such time is read as a stamp (alone in an item, "16:10 displays" might be
    a ratio's words)."""
    firsts = [item["children"][0] for item in items if item.get("children") and "text" in item["children"][0]]
    for rule, mark in ((_CLOCK_FIRST, "timed"), (_CLOCK_LAST, "timed_last")):
        timed = [(t, m.group(1)) for t in firsts for m in [rule.search(t["text"])] if m]
        if _in_order([time for _, time in timed], 3):
            for t, _ in timed:
                t[mark] = True
            return


def chapter_item(text: str) -> str:
    """``text`` with a chapter time at its start in brackets ("- 03:30 - The kubelet …", a list of
    chapters as a video's description gives it)."""
    return _CHAPTER_FIRST.sub(lambda m: f"[{m.group(1) or m.group(2) or m.group(3) or m.group(4)}] ", text, count=1)


# Obsidian's block ids (``... the surface ^mom``, or ``^table-1`` on a line after the block): for links, never shown
_BLOCK_ID = re.compile(r"(?:^|[ \t])\^[A-Za-z0-9-]+[ \t]*$", re.M)
_HIDDEN_HTML = re.compile(r"<(script|style|template)\b[^>]*>[\s\S]*?</\1\s*>", re.I)  # content no reader sees
# a <details> block's summary that only names the widget ("Click to expand"): not a word of the card
_UI_SUMMARY = re.compile(r"<summary\b[^>]*>\s*(?:click(?: here)? to (?:expand|open|show|view|see)|show(?: more)?|"
                         r"expand|more|details|toggle|read more)\s*[.:…]?\s*</summary>", re.I)


def without_widgets(html: str) -> str:
    return _UI_SUMMARY.sub("", html) if "<summary" in html else html


_STRESS = frozenset(("strong", "emphasis", "mark"))


def _unwrap_stamps(tokens: list[dict[str, Any]]) -> None:
    """A stamp in bold, italics or a highlight (``**[12:34]**``, ``==[12:34]==``) is a stamp all the same: one
    that ends a line ends its sentence there, as a plain one does (in bold, the next line's sentence was its)."""
    for i in range(len(tokens) - 1, -1, -1):
        tok = tokens[i]
        if tok["type"] in _STRESS and tok["children"] and all(
                t["type"] == "stamp" or (t["type"] == "text" and not t["raw"].strip()) for t in tok["children"]):
            stamps = [t for t in tok["children"] if t["type"] == "stamp"]
            if stamps:
                tokens[i:i + 1] = stamps


class _SourceKeepingMarkdown(mistune.Markdown):
    """Keeps each block's inline source (``src``) so the walker can find its line in the file."""

    def render_state(self, state: Any) -> list[dict[str, Any]]:
        # mistune's render loop (3.x) runs a generator per token list and copies every list; with no
        # renderer the tokens only need their inline children, which one in-place pass gives them
        self._parse_inline(state.tokens, state.env)
        return state.tokens

    def _parse_inline(self, tokens: list[dict[str, Any]], env: Any) -> None:
        for tok in tokens:
            if "children" in tok:
                if tok["type"] == "list":
                    _timed_items(tok["children"])
                self._parse_inline(tok["children"], env)
            elif "text" in tok:
                text = tok.pop("text")
                tok["src"] = text
                if "^" in text:
                    text = _BLOCK_ID.sub("", text)
                if tok["type"] == "heading":
                    text = chapter_stamp(text.strip())
                elif tok.get("timed"):
                    text = chapter_item(text.lstrip())
                    text = _CLOCK_FIRST.sub(r"[\1] ", text, count=1)
                elif tok.get("timed_last"):
                    text = _CLOCK_LAST.sub(r" [\1]\2", text, count=1)
                elif tok["type"] == "block_text" and ":" in text[:9]:  # a tight list's item
                    text = chapter_item(text.lstrip())
                elif tok["type"] == "paragraph" and -1 < text.find("\n") < len(text) - 1 and ":" in text:
                    text = timed_lines(text)  # (a paragraph of more than one line: most have one)
                tok["children"] = self.inline(text.strip(" \r\n\t\f"), env)
                if "[" in text and ("*" in text or "_" in text or "=" in text):
                    _unwrap_stamps(tok["children"])
            elif tok["type"] == "block_html" and _STAMP_LIKE.search(tok["raw"]):
                # stamps in an HTML block (<div class="admonition">, <details>) mark its sentences as
                # anywhere else: read as a paragraph of inline HTML (sanitized like any note's HTML)
                tok["type"], tok["src"] = "paragraph", tok["raw"]
                tok["children"] = self.inline(without_widgets(_HIDDEN_HTML.sub(" ", tok["raw"])).strip(), env)


def create_parser() -> mistune.Markdown:
    """A mistune parser returning the token tree (no renderer) with cardgen's syntax."""
    strikethrough = mistune.plugins.import_plugin("strikethrough")
    mark = mistune.plugins.import_plugin("mark")  # ==highlight==
    return _SourceKeepingMarkdown(renderer=None, block=_BlockParser(), inline=_InlineParser(),
                                  plugins=[table, strikethrough, mark, video_notes])
