"""Inline tokens -> sentences of safe HTML with their moments and key terms.

Stamps leave the text and become moments; wikilinks become their alias (else their target);
``$math$`` becomes MathJax ``\\( \\)``; HTML from the note is sanitized.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cardgen.markup import escape, safe_url, sanitize, text_of
from cardgen.model import Sentence, Text
from cardgen.timestamps import Moment, Parts, human, is_slip_reading, to_seconds, url_seconds, youtube_id

Token = dict[str, Any]

_MARK = "\x00"  # where a stamp stood; lets the cleanup mend only the punctuation stamps left
_SPACES = re.compile(r"[ \t]{2,}")
_EMPTY_EMPHASIS = re.compile(rf"(\*\*|__|\*|_)({_MARK}[\s,;]*)+\1")
# The . ! or ? is matched, not looked behind for: a pattern that opens with a character class lets
# the regex engine skip straight to the candidates instead of trying the pattern at every position.
# What may open a sentence: a capital or a digit (maybe after an opening quote or bracket), in
# any script, so also a letter of one without case (and a lowercase Greek σ); a brand such as
# iPhone; or a symbol: `code`, $100, an emoji. Not an ASCII lowercase word: "approx. five".
_OPENER = r"(?:[\"“‘(\[]?(?:[^\W_a-z]|[a-z]+[A-Z])|[^\w\s\-–—,;:.!?)\]}\"'”’“‘(\[])"
# (Hindi and the other scripts of India end one with a danda, । or ॥, then a space)
_BOUNDARY = re.compile(rf"[.!?।॥]([\"”’')\]]*)\s+(?={_OPENER})")
# (Chinese and Japanese end a sentence with 。！？ and no space after it: sought only in text that is not ASCII)
_WIDE_BOUNDARY = re.compile(rf"{_BOUNDARY.pattern}|[。！？]([」』”’)）]*)\s*(?=\S)")
_WIDE_STOPS = ("。", "！", "？")
_DANDAS = ("।", "॥")
_STOPS = (".", "!", "?", *_WIDE_STOPS, *_DANDAS)
_NON_ASCII_STOPS = (*_WIDE_STOPS, *_DANDAS)  # (sought only in text that is not ASCII)
_STARTS_SENTENCE = re.compile(rf"\s+{_OPENER}")
_OPENS = re.compile(_OPENER)
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # "J.F. Ossanna", "U.S. markets": no sentence ends there
_ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "st", "no", "fig", "approx", "cf", "al"}
_BLOCK_TAG = re.compile(r"</?(?:p|div|details|summary|section|article|aside|blockquote|ul|ol|li|dl|dt|dd|h[1-6]|"
                        r"table|thead|tbody|tr|td|th|hr|pre|figure|figcaption)\b", re.I)
_VIDEO_ID = re.compile(r"^[\w-]{11}$")
_ONLY_PUNCT = re.compile(r"^[\s.,;:!?\-–—)(\]\[\"'”“’‘]*$")
# a stamp after one of these is a word of the sentence ("At [12:34], the speaker ..."): it stays, as its time;
# after "to" or "and" only when a time kept so came just before ("from [12:34] to [13:10]")
_BEFORE_A_TIME = {"at", "from", "around", "about", "after", "before", "since", "near", "see", "(see", "between"}
_RANGE_TO = {"to", "and", "until", "till", "-", "–", "—"}


def _goes_on(tokens: list[Token], i: int) -> bool:
    """The sentence goes on after ``tokens[i]``: "At [12:34], the speaker", not "a few minutes before [1:10].",
    where the time would change what is said."""
    if i + 1 >= len(tokens):
        return False
    after = tokens[i + 1]
    if after["type"] != "text":
        return after["type"] not in ("stamp", "softbreak", "linebreak")
    rest = after["raw"].lstrip()
    return rest[:1].isalnum() or rest[:1] in (",", ";", ")")


def _last_word(text: str) -> str:
    """The word ``text`` ends with before its final space, lowercased; "" when it ends with none. Cut from
    the last nine characters: a longer word is none of the words above (it runs for every stamp)."""
    if not text[-1:].isspace():
        return ""
    words = text.rstrip()[-9:].split()
    return words[-1].lower() if words else ""


@dataclass
class Context:
    """Per-note reading state: how stamps are read, and what was found."""

    slip: bool = False
    video: str | None = None  # the note's own video: moments in it carry video=None
    own_media: bool = False  # the note plays another source (Vimeo, an audio file): it has no video to be named
    locate: Callable[[str], int] = lambda raw: 0  # file line of a stamp's text, for warnings
    moments: list[Moment] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # the note's #tags, from all of its text
    raw_html: bool = False
    # keyed by token identity: a token rendered twice (a callout title that is its body) counts once
    slip_examples: dict[int, tuple[int, str]] = field(default_factory=dict)
    bad_stamps: dict[int, tuple[int, str]] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message) warnings
    hints: list[tuple[int, str]] = field(default_factory=list)  # (line, message) for --report
    source: str | None = None  # video named by a ``[[sources/<videoId>]]`` link earlier in the sentence
    section_video: str | None = None  # video named by a line of the section ("Video: https://youtu.be/…")

    def other_video(self, video: str | None) -> str | None:
        return None if video == self.video else video

    def take(self) -> tuple[list[Moment], list[str], bool]:
        taken = self.moments, self.terms, self.raw_html
        self.moments, self.terms, self.raw_html, self.source = [], [], False, None
        return taken


def stamp_moments(tok: Token, ctx: Context) -> list[Moment]:
    attrs = tok["attrs"]
    video = ctx.other_video(attrs["video"] or ctx.source or ctx.section_video)
    if attrs["seconds"] is not None:
        return [Moment(attrs["seconds"], video)]
    parts: list[Parts] = attrs["parts"]
    if not parts and id(tok) not in ctx.bad_stamps:
        ctx.bad_stamps[id(tok)] = (ctx.locate(tok["raw"]), tok["raw"])
    out = []
    for p in parts:
        if is_slip_reading(p, ctx.slip) and id(tok) not in ctx.slip_examples:
            ctx.slip_examples[id(tok)] = (ctx.locate(tok["raw"]), ":".join(f"{x:02d}" for x in p))
        out.append(_moment(p, ctx.slip, video))
    return out


@functools.lru_cache(maxsize=8192)  # the same stamps recur through a note and across notes
def _moment(parts: Parts, slip: bool, video: str | None) -> Moment:
    return Moment(to_seconds(parts, slip), video)


def unique(items: list[Any]) -> tuple[Any, ...]:
    """``items`` in order, each once. Most lists here hold one item or none: no dict for those."""
    return tuple(items) if len(items) < 2 else tuple(dict.fromkeys(items))


def render(tokens: list[Token], ctx: Context) -> tuple[str, str]:
    """Inline tokens -> (html, plain). Stamps are recorded in ``ctx`` and leave ``_MARK``."""
    if len(tokens) == 1 and tokens[0]["type"] == "text":  # a sentence of words only: nothing to join
        raw = tokens[0]["raw"]
        return escape(raw), raw
    html: list[str] = []
    plain: list[str] = []
    edges: set[int] | None = None  # the tags that are metadata, found at the first tag
    kept = -2  # the index in ``plain`` of the last stamp kept as a time
    for i, tok in enumerate(tokens):
        if tok["type"] == "text":  # most tokens: spared the call
            raw = tok["raw"]
            html.append(escape(raw))
            plain.append(raw)
            continue
        if tok["type"] == "tag":
            ctx.tags.append(tok["raw"])
            edges = _edge_tags(tokens) if edges is None else edges
            if i in edges:
                continue
        elif tok["type"] == "stamp" and plain and _goes_on(tokens, i) and (_last_word(plain[-1]) in _BEFORE_A_TIME or (
                kept == len(plain) - 2 and plain[-1].strip().lower() in _RANGE_TO)):
            moments = stamp_moments(tok, ctx)
            ctx.moments.extend(moments)
            if moments:
                kept = len(plain)
                label = human(moments[0].seconds)
                html.append(label)
                plain.append(label)
                continue
        h, p = _render_one(tok, ctx)
        html.append(h)
        plain.append(p)
    return "".join(html), "".join(plain)


def _edge_tags(tokens: list[Token]) -> set[int]:
    """The tags that are metadata, not words: a run of two or more that opens or closes ``tokens``
    (``## Optimizers #ml #todo``), or after the full stop that ends them ("… in 1885. [01:12] #history"),
    or every one where there is nothing else (spaces and stamps aside). A single tag is otherwise a word
    as Obsidian shows it: "a #python script", "#include pulls in a header"."""
    edges: set[int] = set()
    for order in (range(len(tokens)), range(len(tokens) - 1, -1, -1)):
        run: list[int] = []
        for i in order:
            kind = tokens[i]["type"]
            if kind == "tag":
                run.append(i)
            elif not (kind in ("stamp", "softbreak") or (kind == "text" and not tokens[i]["raw"].strip())):
                if len(run) > 1 or (run and order.step < 0 and kind == "text" and _ends_sentence(tokens[i]["raw"])):
                    edges.update(run)
                break
        else:  # nothing but tags
            edges.update(run)
    return edges


def _render_one(tok: Token, ctx: Context) -> tuple[str, str]:
    kind = tok["type"]
    if kind == "text":
        return escape(tok["raw"]), tok["raw"]
    if kind == "tag":
        return escape("#" + tok["raw"]), "#" + tok["raw"]
    if kind == "stamp":
        ctx.moments.extend(stamp_moments(tok, ctx))
        return _MARK, _MARK
    if kind == "bad_stamp":
        ctx.bad_stamps.setdefault(id(tok), (ctx.locate(tok["raw"]), tok["raw"]))
        return escape(tok["raw"]), tok["raw"]
    if kind == "wikilink":
        a = tok["attrs"]
        if a["embed"]:
            return "", ""
        source = _source_video(a["target"])
        if source:  # ``[[sources/Ao4evQT3dOU]] [01:28]``: a citation of a video, whose stamps link it
            ctx.source = source
            alias = a["alias"]  # ``[[sources/Ao4evQT3dOU|Talk 2]]``: the citation's name, no term to hide
            return (escape(alias), alias) if alias else (_MARK, _MARK)
        shown = a["alias"] or _readable(a["target"])
        ctx.terms.append(shown)
        return escape(shown), shown
    if kind in ("strong", "emphasis", "strikethrough", "mark"):
        h, p = render(tok["children"], ctx)
        if not p.replace(_MARK, "").strip():
            return h, p
        if kind == "strong" or kind == "mark":  # what the note-taker stressed: the best words to hide
            ctx.terms.append(p.replace(_MARK, "").strip())
        tag = {"strong": "b", "emphasis": "i", "strikethrough": "s", "mark": "mark"}[kind]
        return f"<{tag}>{h}</{tag}>", p
    if kind == "codespan":
        return f"<code>{escape(tok['raw'])}</code>", tok["raw"]
    if kind == "inline_math":
        return f"\\({escape(tok['raw'])}\\)", tok["raw"]
    if kind == "display_math":
        return f"\\[{escape(tok['raw'])}\\]", tok["raw"]
    if kind == "link":
        return _render_link(tok, ctx)
    if kind == "image":
        alt = render(tok.get("children", []), ctx)[1].strip()
        return (escape(f"[{alt}]"), f"[{alt}]") if alt else ("", "")
    if kind == "inline_html":
        ctx.raw_html = True
        return tok["raw"], ""
    if kind == "footnote_ref":
        return "", ""
    if kind == "softbreak":
        return " ", " "
    if kind == "linebreak":
        return "<br>", " "
    if "children" in tok:
        return render(tok["children"], ctx)
    raw = tok.get("raw", "")
    return escape(raw), raw


def _source_video(target: str) -> str | None:
    """The video id in a citation such as ``[[sources/Ao4evQT3dOU]]``, else ``None``.

    Only a folder path, or an id with a digit and a capital, counts: ``[[unit_circle]]`` is a page.
    """
    folder, _, page = target.strip().rpartition("/")
    if not _VIDEO_ID.match(page):
        return None
    has_digit, has_upper = any(c.isdigit() for c in page), any(c.isupper() for c in page)
    return page if (folder and (has_digit or has_upper)) or (has_digit and has_upper) else None


def _readable(target: str) -> str:
    """``[[ai_scaling_and_its_effectiveness]]`` reads as "ai scaling and its effectiveness"."""
    page = target.split("#")[0].strip() or target
    page = page.rsplit("/", 1)[-1]
    return page.replace("_", " ") if " " not in page else page


def _render_link(tok: Token, ctx: Context) -> tuple[str, str]:
    url = tok["attrs"].get("url", "")
    h, p = render(tok.get("children", []), ctx)
    seconds, video = url_seconds(url), youtube_id(url)
    if video and seconds is not None:  # a link to a moment: the label stays, the moment is linked
        ctx.moments.append(Moment(seconds, ctx.other_video(video)))
        return h, p
    href = safe_url(url)
    return (f'<a href="{escape(href)}">{h}</a>' if href and h else h), p


def clean(s: str) -> str:
    """Mend what removed stamps leave: ``()``, `` .``, doubled spaces. Linear in ``s``.

    (Regexes with a leading ``\\s*`` would backtrack quadratically over long runs of spaces.)
    """
    if _MARK in s:
        if "*" in s or "_" in s:  # drops**[00:02:00]**: emphasis around nothing but stamps
            s = _EMPTY_EMPHASIS.sub(_MARK, s)
        pieces = s.split(_MARK)
        out = pieces[0]
        for piece in pieces[1:]:
            rest = piece.lstrip(" \t\n,;")  # separators between the stamps of a run
            if not rest.lstrip("-–— \t"):  # nothing but them, or the dash of a range [00:00]-[01:03]
                continue
            out = out.rstrip()
            if out.endswith("(") and rest.startswith(")"):  # "(<stamp>)"
                out, rest = out[:-1].rstrip(), rest[1:]
            # after the last stamp of a run, a comma or semicolon is the sentence's: "… multiple times
            # [11:03], it ultimately …" (not "times it ultimately")
            between = piece[:len(piece) - len(rest)]
            sep = "" if not out or out[-1] in ",;" else next((c for c in between if c in ",;"), "")
            out += rest if not rest or rest[0] in ".,;:!?)。、，！？）」』" or not out else f"{sep} {rest}"
        s = out
    if "  " in s or "\t" in s:
        s = _SPACES.sub(" ", s)
    return s.strip()


_CLOSING = "\"”’')]"  # quotes and brackets that may follow a sentence's . ! or ?
_CLOSING_ANY = _CLOSING + "」』）"  # (and its 。！？ in Chinese or Japanese)


def _split_text(raw: str) -> list[str]:
    # a boundary is a . ! or ? with a letter or digit somewhere after it, so the last ones, with
    # what may close them, cannot be one: none before them (most tokens) and there is none to search for
    head = raw.rstrip().rstrip(_CLOSING + ".!?।॥")
    ascii = head.isascii()
    if "." not in head and "!" not in head and "?" not in head and (ascii or not any(
            stop in head for stop in _NON_ASCII_STOPS)):
        return [raw]
    pieces, start = [], 0
    for m in (_BOUNDARY if ascii else _WIDE_BOUNDARY).finditer(raw):
        if m.lastindex == 2:  # 。！？
            pieces.append(raw[start:m.end(2)])
            start = m.end()
            continue
        word = raw[:m.start() + 1].rsplit(None, 1)[-1]  # up to and with the . ! or ?
        stem = word.rstrip(".!?।॥").lower()
        if stem in _ABBREVIATIONS or (len(stem) == 1 and stem.isalpha()) or _INITIALS.fullmatch(stem):
            continue
        pieces.append(raw[start:m.end(1)])
        start = m.end()
    if not pieces:  # one sentence, the common case: no copy of it
        return [raw]
    pieces.append(raw[start:])
    return pieces


def _ends_sentence(raw: str) -> bool:
    """``raw`` ends with . ! or ?, then maybe closing quotes or brackets, then maybe spaces.

    Stripped from the end rather than searched for with a regex, which tries every . on the way."""
    return raw.rstrip().rstrip(_CLOSING_ANY).endswith(_STOPS)


def _opens(text: str) -> bool:
    """``text`` may open a sentence (``_OPENER``); asked of the word after most full stops, which has a capital."""
    first = text[:1]
    return first.isupper() or first.isdigit() or (first != "" and _OPENS.match(text) is not None)


def _first_plain(tok: Token) -> str:
    if tok["type"] == "text":
        return tok["raw"]
    if tok["type"] == "wikilink":
        return tok["attrs"]["alias"] or tok["attrs"]["target"]
    if tok["type"] == "codespan":
        return "`"
    if tok["type"] == "inline_math" or tok["type"] == "display_math":
        return "$"
    children = tok.get("children") or []
    return _first_plain(children[0]) if children else ""


def split_sentences(tokens: list[Token]) -> list[tuple[list[Token], int]]:
    """Top-level inline tokens -> sentences, each with its line offset in the paragraph.

    A stamp belongs to the sentence it follows: ``Claim [t]. Next`` and ``Claim. <a>[t]</a> Next``.
    Where stamps come first (``[t] Claim. More of it.``, a transcript's segments), a stamp's line is
    one sentence: what it says then, whole (its second sentence had no moment, and was no claim).
    """
    current: list[Token] = []  # the last sentence's tokens
    sentences: list[tuple[list[Token], int]] = [(current, 0)]
    lines = 0
    ended = False  # the last text ended a sentence, and only stamps followed it
    last = len(tokens) - 1
    # _stamps_first, read at the first line break (most paragraphs have none), unless a stamp opens it
    leading: bool | None = True if tokens and tokens[0]["type"] == "stamp" else None
    for i, tok in enumerate(tokens):
        kind = tok["type"]
        if kind == "text":
            raw = tok["raw"]
            if leading:  # a line is one sentence (what is said at its stamp): split at line ends only
                if raw:
                    current.append(tok)
                ended = _ends_sentence(raw) or (ended and bool(_ONLY_PUNCT.match(raw)))
                continue
            if ended and current and _STARTS_SENTENCE.match(raw):
                current = []
                sentences.append((current, lines))
            pieces = _split_text(raw)
            if len(pieces) == 1:  # the token as it is: no new token for the same text
                if raw:
                    current.append(tok)
            else:
                for j, piece in enumerate(pieces):
                    if j:
                        current = []
                        sentences.append((current, lines))
                    if piece:
                        current.append({"type": "text", "raw": piece})
            # punctuation between stamps (", ") keeps the sentence ended
            ended = _ends_sentence(raw) or (ended and bool(_ONLY_PUNCT.match(raw)))
            if (ended and i < last and raw[-1:].isspace() and tokens[i + 1]["type"] not in ("stamp", "softbreak")
                    and _opens(_first_plain(tokens[i + 1]))):
                current = []
                sentences.append((current, lines))
                ended = False
            continue
        if kind == "softbreak" or kind == "linebreak":
            lines += 1
            if not current:  # nothing in the sentence yet (a block's tag began it): it starts on this line
                sentences[-1] = (current, lines)
                continue
            after = tokens[i + 1] if i < last else None
            if leading is None:
                leading = _stamps_first(tokens)
            # a line that ends with a stamp ends its sentence, full stop or not ("Claim [12:34]\nNext claim");
            # so does the line before a stamp, where stamps come first
            # (where stamps come first, one alone on its line is the next line's: "[0:04]\nThis is a three …")
            if kind == "linebreak" or (after is not None and (
                    (leading and after["type"] == "stamp")
                    or ((ended or tokens[i - 1]["type"] == "stamp") and _opens(_first_plain(after).lstrip())
                        and not (leading and all(t["type"] == "stamp" for t in current))))):
                current = []
                sentences.append((current, lines))
                ended = False
                continue
        elif kind == "inline_html" and _BLOCK_TAG.match(tok["raw"]):
            # a block's tag from an HTML block read as a paragraph (<p>, <div>, <summary>): it ends
            # the sentence, and leaves the card (its sentences are shown as sentences)
            current = []
            sentences.append((current, lines))
            ended = False
            continue
        elif kind != "stamp" and kind != "tag":  # a #tag after a full stop is the sentence's metadata
            # a display formula ends what it closes as a full stop would: the next line is a new sentence
            ended = kind == "display_math"
        current.append(tok)
    return _merge_fragments(sentences)


def _stamps_first(tokens: list[Token]) -> bool:
    """Whether the paragraph puts each line's stamp first ("[12:34] Claim\n[13:10] Next claim", as
    transcript exports write): it opens with a stamp, or two of its lines do (after a line that
    introduces them, "Key moments:"). A stamp alone on its line marks no layout."""
    if tokens and tokens[0]["type"] == "stamp":
        return True
    opening, last = 0, len(tokens) - 1
    for i, tok in enumerate(tokens):
        if (tok["type"] == "stamp" and 0 < i < last and tokens[i - 1]["type"] in _BREAKS
                and tokens[i + 1]["type"] not in _BREAKS):
            opening += 1
            if opening == 2:
                return True
    return False


_BREAKS = ("softbreak", "linebreak")


def _is_fragment(tokens: list[Token]) -> bool:
    for t in tokens:  # a loop, not all() over a generator: it runs for every sentence
        kind = t["type"]
        if kind != "stamp" and kind != "softbreak" and not (kind == "text" and _ONLY_PUNCT.match(t["raw"])):
            return False
    return True


def _merge_fragments(sentences: list[tuple[list[Token], int]]) -> list[tuple[list[Token], int]]:
    out: list[tuple[list[Token], int]] = []
    pending: list[Token] = []
    for toks, line in sentences:
        if not toks:
            continue
        if _is_fragment(toks):
            if out:
                out[-1][0].extend(toks)
            else:
                pending.extend(toks)
            continue
        if pending:
            toks, pending = pending + toks, []
        out.append((toks, line))
    if pending:
        out.append((pending, 0))
    return out


def sentence(tokens: list[Token], ctx: Context, line: int) -> Sentence | None:
    """Render one sentence; ``None`` when nothing but stamps is left (its moments stay in ``ctx``)."""
    if len(tokens) == 1 and not (ctx.moments or ctx.terms or ctx.raw_html):
        raw = tokens[0]["raw"] if tokens[0]["type"] == "text" else _MARK
        if _MARK not in raw and "  " not in raw and "\t" not in raw:
            # words only, half the sentences: what render, take and clean give, without them
            # (escaping neither makes nor removes spaces, so it commutes with the strip)
            ctx.source = None
            plain = raw.strip()
            return Sentence(Text(escape(plain), plain), (), (), line) if plain else None
    html, plain = render(tokens, ctx)
    moments, terms, raw = ctx.take()
    html, plain = _finish(html, plain, raw)
    if not plain:
        ctx.moments.extend(moments)
        return None
    return Sentence(Text(html, plain), unique(moments), unique(terms), line)


def inline_text(tokens: list[Token], ctx: Context) -> tuple[Text, list[Moment]]:
    """Render a run such as a heading or a callout title as one Text, with its moments."""
    html, plain = render(tokens, ctx)
    moments, _, raw = ctx.take()
    return Text(*_finish(html, plain, raw)), moments


def _finish(html: str, plain: str, raw_html: bool) -> tuple[str, str]:
    """What ``render`` gave, mended by ``clean``; with HTML from the note, sanitized."""
    if raw_html:  # read the text from what survives sanitizing: <script>alert(1)</script> leaves nothing
        html = clean(sanitize(clean(html)))  # an element removed leaves its spaces behind
        return html, clean(text_of(html))
    if html == plain:  # nothing in it to escape (most text): one cleaning serves both
        plain = clean(plain)
        return plain, plain
    return clean(html), clean(plain)
