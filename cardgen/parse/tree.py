"""mistune's token tree -> sections, callouts and claims. The only module that sees tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cardgen.markup import escape, label_of, prose_words, sanitize, text_of
from cardgen.model import Block, Callout, Section, Sentence, Text
from cardgen.parse.inline import Context, Token, clean, inline_text, render, sentence, split_sentences, unique
from cardgen.parse.syntax import without_widgets
from cardgen.timestamps import Moment, youtube_id

_CALLOUT = re.compile(r"^\s*\[!([A-Za-z][\w-]*)\][+-]?[ \t]*")
_LLM_RESIDUE = re.compile(r"^(here is|here's) (the|a|your) (modified|revised|rewritten|updated)\b.*:$", re.I)
_LONG_TITLE_WORDS = 12  # a callout "title" longer than this is the body written on the title line
# a line that names the video a section is about ("Video: https://youtu.be/…" under "## Week 1" of a course's
# note, or Obsidian's embed of it, "![](https://youtu.be/…)"): the section's bare stamps are moments of that
# video, and the line is no content
_SECTION_VIDEO = re.compile(r"(?:(?:video|source|watch|lecture|recording|link|url)\s*:\s*)?"
                            r"(?:<?(https?://\S+?)>?|!?\[[^\]\n]*\]\((https?://[^)\s]+)\))"
                            r"|<iframe\b[^>]*?\bsrc\s*=\s*[\"'](https?://[^\"']+)[\"'][^>]*>\s*(?:</iframe>)?", re.I)
# a sentence that opens so is about the one before it ("It is calculated as …", "This approach …")
_REFERS_BACK = re.compile(r"(?:It|Its|This|These|That|Those|They|Their|He|His|She|Her|Such)\b")
MIN_CLAIM_WORDS = 6  # "Welcome", "Sponsor: MagicBell": show-note topics, not claims worth a card
SHORT_SENTENCE_WORDS = 3  # a shorter stamped sentence is a topic or a greeting: no hint either
_TITLE_IS_BODY = {"quote", "cite"}  # > [!quote] "The words themselves" on one line
_TASK = re.compile(r"\[[ xX]\]\s")  # - [ ] a to-do of the note-taker's, not what the video says


class Locator:
    """Finds the file line of successive pieces of source, moving forward through the note."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text, self.pos, self.first_line = text, 0, first_line
        # ``pos`` only moves forward, so each newline is counted once, when it is passed
        self.counted, self.newlines = 0, 0  # newlines in text[:counted]

    def line_of(self, src: str) -> int:
        probe = src.strip()[:120].split("\n", 1)[0] if src else ""
        at = self.text.find(probe, self.pos) if probe else -1
        if at >= 0:
            self.pos = at + 1
        if self.pos == 0:  # nothing found yet: the line before the body
            return self.first_line - 1
        self.newlines += self.text.count("\n", self.counted, self.pos - 1)
        self.counted = self.pos - 1
        return self.first_line + self.newlines


@dataclass
class Sink:
    """What a run of blocks yields besides its HTML."""

    claims: list[Sentence] = field(default_factory=list)
    callouts: list[Callout] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)
    loose: list[Moment] = field(default_factory=list)  # stamps standing alone on a line
    announcing: Sentence | None = None  # a claim that ended its paragraph with a colon: the next block is its


@dataclass
class _Open:
    heading: Text | None
    trail: tuple[str, ...]
    level: int
    line: int
    moments: list[Moment]
    sink: Sink = field(default_factory=Sink)
    blocks: list[Block] = field(default_factory=list)


_LEAD_WORDS = 10  # a longer item, shown over its sub-items' claims, is cut


def _lead(block: Block) -> str:
    """What a list item says, as a part of the breadcrumb over its sub-items' claims."""
    plain = " ".join(t.plain for _, t in block.units)
    return label_of(plain, block.units[0][1].html if block.units else "", _LEAD_WORDS)


class Walker:
    """Walks one note's tokens in document order."""

    def __init__(self, body: str, first_line: int, ctx: Context) -> None:
        self.loc = Locator(body, first_line)
        self.ctx = ctx
        self.channel: str | None = None
        self.lead = ""  # the list item whose sub-items are being walked (Sentence.lead)

    # -- sections ---------------------------------------------------------------------------
    def sections(self, tokens: list[Token]) -> list[Section]:
        done: list[Section] = []
        stack: list[tuple[int, str]] = []
        current = _Open(None, (), 0, self.loc.first_line, [])
        last: Moment | None = None
        for tok in tokens:
            if tok["type"] == "heading":
                level = tok["attrs"]["level"]
                src = tok.get("src", "").strip()
                # the heading, not earlier prose: an ATX heading's line starts with its #
                line = self.loc.line_of("# " + src if tok.get("style") == "atx" else src)
                text, moments = inline_text(tok["children"], self.ctx)
                if not text.plain and moments:  # "## [12:00]": a chapter's time alone, a section said then
                    text = Text(moments[0].label, moments[0].label)
                elif not text.plain:
                    self.ctx.problems.append((line, "heading has no text; its content joins the section above"))
                    continue
                last = self._close(current, done, last)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text.plain))
                current = _Open(text, tuple(t for _, t in stack), level, line, moments)
                self.ctx.section_video = None
                continue
            if (not current.blocks and tok["type"] in ("paragraph", "block_html")
                    and "://" in (source := tok.get("src") or tok.get("raw", ""))
                    and self._names_video(source, current.level)):
                continue
            if current.heading is None and self._intro_debris(tok):
                continue
            block = self.block(tok, current.sink)
            if block is not None:
                current.blocks.append(block)
        self._close(current, done, last)
        return done

    def _close(self, s: _Open, done: list[Section], last: Moment | None) -> Moment | None:
        moments = unique(s.moments + s.sink.moments)
        if s.heading is not None or s.blocks or s.sink.callouts:
            done.append(Section(s.heading, s.trail, s.level, s.line, moments, tuple(s.blocks),
                                tuple(s.sink.callouts), tuple(s.sink.claims), last, tuple(s.sink.loose)))
        return moments[-1] if moments else last

    def _names_video(self, source: str, level: int) -> bool:
        """Whether the block (a paragraph, an <iframe>), first in its section, only names the video the
        section is about (which it then is); above the note's first section, of a note without one, the
        note's video."""
        m = _SECTION_VIDEO.fullmatch(source.strip())
        video = youtube_id(next(url for url in m.groups() if url)) if m else None
        if video is not None:
            self.loc.line_of(source)
            if self.ctx.video is None and not self.ctx.own_media and level <= 1:
                self.ctx.video = video
            else:
                self.ctx.section_video = video
        return video is not None

    def _intro_debris(self, tok: Token) -> bool:
        """The ``From: [[channel]] <br/>`` line and LLM residue are not content."""
        if tok["type"] != "paragraph":
            return False
        children = tok["children"]
        if (len(children) > 1 and children[0]["type"] == "text" and children[0]["raw"].strip() == "From:"
                and children[1]["type"] == "wikilink"):
            self.channel = children[1]["attrs"]["target"]
            rest = children[2:]
            while rest and rest[0]["type"] not in ("softbreak", "linebreak"):
                rest = rest[1:]
            tok["children"] = rest[1:]
            src = tok.get("src", "")
            self.loc.line_of(src)
            tok["src"] = src.split("\n", 1)[1] if "\n" in src else ""
            return not tok["children"]
        # read with a scratch context: this paragraph's stamps are read (and counted) once, later
        return _LLM_RESIDUE.match(clean(render(children, Context())[1])) is not None

    # -- blocks -----------------------------------------------------------------------------
    def blocks(self, tokens: list[Token], sink: Sink) -> list[Block]:
        return [b for b in (self.block(t, sink) for t in tokens) if b is not None]

    def block(self, tok: Token, sink: Sink) -> Block | None:
        kind = tok["type"]
        if kind in ("paragraph", "block_text"):  # (a paragraph says whether it announces the block after it)
            return self.paragraph(tok, sink)
        if kind == "blank_line":
            return None
        announcing = sink.announcing  # (before the block: a list's items are paragraphs, which reset it)
        block = self._other_block(tok, sink, kind)
        if block is not None:
            if announcing is not None:
                announcing.after = block  # "… is given by the formula:", and the formula
            sink.announcing = None
        return block

    def _other_block(self, tok: Token, sink: Sink, kind: str) -> Block | None:
        if kind == "list":
            return self.list_block(tok, sink)
        if kind == "block_quote":
            return self.quote(tok, sink)
        if kind == "table":
            return self.table(tok, sink)
        if kind == "block_code":
            raw = tok["raw"].rstrip("\n")
            line = self.loc.line_of(raw)
            return Block("code", (("whole", Text(f"<pre><code>{escape(raw)}</code></pre>", raw)),), line)
        if kind == "block_math":
            html = f"\\[{escape(tok['raw'].strip())}\\]"
            return Block("math", (("whole", Text(html, tok["raw"].strip())),), self.loc.line_of(tok["raw"]))
        if kind == "block_html":
            html = sanitize(without_widgets(tok["raw"]))
            plain = clean(text_of(html))
            return Block("html", (("whole", Text(html, plain)),), self.loc.line_of(tok["raw"])) if plain else None
        if kind == "heading":  # a heading inside a list or quote: bold text, not a section
            text, moments = inline_text(tok["children"], self.ctx)
            sink.moments.extend(moments)
            return Block("paragraph", (("sentence", text),), self.loc.line_of(tok.get("src", "")))
        return None

    def paragraph(self, tok: Token, sink: Sink) -> Block | None:
        line = self.loc.line_of(tok.get("src", ""))
        units: list[tuple[str, Text]] = []
        for toks, offset in split_sentences(tok["children"]):
            s = sentence(toks, self.ctx, line + offset)
            if s is None:  # nothing but stamps: they mark the block around them
                loose = self.ctx.take()[0]
                sink.loose.extend(loose)
                sink.moments.extend(loose)
                continue
            last = s
            if s.moments:  # most sentences have none, and are no claim
                if units and _REFERS_BACK.match(s.text.plain):
                    s.before = units[-1][1]
                self._claim(s, sink)
            units.append(("sentence", s.text))
        if not units:
            return None
        # a claim that ends its paragraph with a colon announces the next block
        sink.announcing = last if sink.claims and sink.claims[-1] is last and last.text.plain.endswith(":") else None
        return Block("paragraph", tuple(units), line)

    def list_block(self, tok: Token, sink: Sink) -> Block | None:
        units: list[tuple[str, Text]] = []
        line = None
        for item in tok["children"]:
            children = item.get("children", [])
            if children and _TASK.match(children[0].get("src", "")):
                continue
            inner = self.blocks(children[:1], sink)
            # the item's sub-items are about it: their claims show it ("Pretraining › uses next-token …")
            outer, self.lead = self.lead, _lead(inner[0]) if inner else self.lead
            inner += self.blocks(children[1:], sink)
            self.lead = outer
            if not inner:
                continue
            line = inner[0].line if line is None else line
            lead = inner[0]
            if lead.kind == "paragraph":
                html, plain = " ".join(t.html for _, t in lead.units), " ".join(t.plain for _, t in lead.units)
                subs = [t for b in inner[1:] if b.kind == "list" for _, t in b.units]
                if subs and plain.endswith(":"):  # a label ("**Unity**:") whose points are its sub-items
                    html += "<ul>" + "".join(f"<li>{t.html}</li>" for t in subs) + "</ul>"
                    plain += " " + " ".join(t.plain for t in subs)
                units.append(("item", Text(html, plain)))
            else:
                units.extend(lead.units)
        return Block("list", tuple(units), line) if line is not None else None

    def quote(self, tok: Token, sink: Sink) -> Block | None:
        start = len(sink.callouts)
        callout = self.callout(tok, sink)
        if callout is not None:
            sink.callouts.insert(start, callout)  # before the callouts nested in it, as the note has them
            return None
        inner = self.blocks(tok["children"], sink)
        if not inner:
            return None
        units = tuple(u for b in inner for u in b.units)
        return Block("quote", units, inner[0].line)

    def callout(self, tok: Token, outer: Sink) -> Callout | None:
        """``> [!kind] Title`` (also the bold pseudo-callout ``> **[!kind] Title**``) -> Callout."""
        children = tok["children"]
        if not children or children[0]["type"] != "paragraph":
            return None
        first = children[0]
        inl = first["children"]
        head = inl[0] if inl else None
        if head is None:
            return None
        inside_bold = head["type"] == "strong" and head["children"] and head["children"][0]["type"] == "text"
        marker_tok = head["children"][0] if inside_bold else head
        m = _CALLOUT.match(marker_tok.get("raw", "")) if marker_tok["type"] == "text" else None
        if m is None:
            return None
        line = self.loc.line_of(first.get("src", ""))
        rest = [{"type": "text", "raw": marker_tok["raw"][m.end():]}]
        rest += head["children"][1:] + inl[1:] if inside_bold else inl[1:]
        cut = next((i for i, t in enumerate(rest) if t["type"] in ("softbreak", "linebreak")), len(rest))
        title, title_moments = inline_text(rest[:cut], self.ctx)
        words = [t for t in rest[:cut] if not (t["type"] == "text" and not t["raw"].strip())]
        link = words[0]["attrs"]["target"] if len(words) == 1 and words[0]["type"] == "wikilink" else None
        sink = Sink()
        body_tokens = ([{"type": "paragraph", "children": rest[cut + 1:], "src": ""}] if rest[cut + 1:] else [])
        body_tokens += children[1:]
        blocks = self.blocks(body_tokens, sink)
        kind = m.group(1).lower()
        said = len(title.plain.split())
        if not blocks and (said > _LONG_TITLE_WORDS or kind in _TITLE_IS_BODY or (
                said >= MIN_CLAIM_WORDS and (title_moments or title.plain.rstrip().endswith((".", "!"))))):
            # the whole body written on the title line (long, or a sentence: stamped or ended with a full
            # stop): it is the body, and there is no title
            blocks = self.blocks([{"type": "paragraph", "children": rest[:cut], "src": ""}], sink)
            title_moments = []
            title = Text("", "")
        if not blocks:
            self.ctx.problems.append(
                (line, f"callout [!{kind}] has no body, so it makes no card; add a '> ' line under it"))
        outer.callouts.extend(sink.callouts)
        # (not the moments of a callout nested in it: they are that one's)
        nested = {m for c in sink.callouts for m in c.moments}
        moments = unique(title_moments + ([m for m in sink.moments if m not in nested] if nested else sink.moments))
        outer.moments.extend(moments)
        return Callout(kind, title if title.plain else None, tuple(blocks), moments, line, link)

    def table(self, tok: Token, sink: Sink) -> Block | None:
        head: list[Text] = []
        rows_html: list[str] = []
        units: list[tuple[str, Text]] = []
        line = None
        for part in tok["children"]:
            rows = [part] if part["type"] == "table_head" else part["children"]
            for row in rows:
                cells = []
                probe = max((c.get("src", "") for c in row["children"]), key=len, default="")
                row_line = self.loc.line_of(probe)
                line = row_line if line is None else line
                for cell in row["children"]:
                    text, moments = inline_text(cell["children"], self.ctx)
                    cells.append((text, moments))
                if part["type"] == "table_head":
                    head = [c[0] for c in cells]
                    rows_html.append("<tr>" + "".join(f"<th>{c.html}</th>" for c, _ in cells) + "</tr>")
                    continue
                rows_html.append("<tr>" + "".join(f"<td>{c.html}</td>" for c, _ in cells) + "</tr>")
                self._row_claim(head, cells, row_line, sink, units)
        html = "<table>" + "".join(rows_html) + "</table>"
        return Block("table", tuple(units) or (("whole", Text(html, "")),), line or self.loc.line_of(""))

    def _row_claim(self, head: list[Text], cells: list[tuple[Text, list[Moment]]], line: int, sink: Sink,
                   units: list[tuple[str, Text]]) -> None:
        """A table row reads as ``Head: cell; Head: cell``; with a stamp in it, it is a claim."""
        pairs = [(head[i] if i < len(head) else None, c) for i, (c, _) in enumerate(cells) if c.plain]
        if not pairs:
            return
        html = "; ".join(f"<b>{h.html}</b>: {c.html}" if h and h.plain else c.html for h, c in pairs)
        plain = "; ".join(f"{h.plain}: {c.plain}" if h and h.plain else c.plain for h, c in pairs)
        moments = tuple(dict.fromkeys(m for _, ms in cells for m in ms))
        text = Text(html, plain)
        units.append(("item", text))
        self._claim(Sentence(text, moments, (pairs[0][1].plain,), line), sink)

    def _claim(self, s: Sentence, sink: Sink) -> None:
        """A stamped sentence is a claim; a stamped fragment ("Welcome [00:27]") only marks its section."""
        sink.moments.extend(s.moments)
        if not s.moments:
            return
        words = prose_words(s.text.html)
        if words >= MIN_CLAIM_WORDS:
            s.lead = self.lead
            sink.claims.append(s)
            return
        sink.loose.extend(s.moments)
        if words >= SHORT_SENTENCE_WORDS and s.text.plain.endswith((".", "!", "?")):  # a sentence, not "Welcome"
            self.ctx.hints.append((s.line, f"short-claim: “{s.text.plain}” has {words} words, under the "
                                           f"{MIN_CLAIM_WORDS} a claim needs: no cloze (say more, or drop its stamp)"))
