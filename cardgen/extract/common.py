"""Helpers the extractors share: study-sized answers, the moment a card links, anchors."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from cardgen.markup import escape, escape_recurring, label_of, text_of, word_count
from cardgen.model import Block, Note, Section, Text
from cardgen.settings import ANSWER_WORDS
from cardgen.timestamps import Moment

UNIT_WORDS = 60  # cut a single unit longer than this
LEAD_IN_WORDS = 25  # an answer may grow by this much to show what its last sentence announces
NAMED_ITEM_WORDS = 6  # an announced list too long to show whole is shown as its items' first words, at least these


_NON_WORD = re.compile(r"[^\w]+")
# a title or heading that points elsewhere ("See also", "Sources"): its content is links to follow
_POINTERS = re.compile(
    r"^(further reading|references|resources|related( notes| topics)?|see also|links|sources?|credits)\s*:?$", re.I)
_POINTER_CHARS = 17  # none is longer ("further reading:"): a longer title is no pointer, with no regex
# a sponsor's segment ("Prismic - Sponsor", "Sponsored by Sentry"): an advert, not what is studied
_SPONSOR = re.compile(r"\bsponsor(?:s|ed|ship)?\b", re.I)


# the show's own business, not what it teaches: its list of chapters, its socials, its merch
# (and what a podcast app's export says of the episode: Snipd's "Episode metadata")
_SHOW_BUSINESS = re.compile(r"^(show notes|chapters|timestamps|socials?|social media|follow (us|me)\b.*|tweet us\b.*|"
                        r"hit us up\b.*|connect with (us|me)\b.*|support the (show|channel)\b.*|merch|"
                        r"episode metadata)\s*:?$", re.I)
# an exporter's list of fields, as Readwise writes under "## Metadata": "Author: …", "Full Title: …", "URL: …"
_FIELD_ITEM = re.compile(r"[\w .-]{1,30}: \S")


def is_pointer(title: str) -> bool:
    return len(title) <= _POINTER_CHARS and _POINTERS.match(title) is not None


def is_logistics(title: str) -> bool:
    """A section of the show's own business (its chapters, its socials): no card of its own."""
    return title[:1] in "CEFHMSTcefhmst" and _SHOW_BUSINESS.match(title) is not None


def is_export_fields(section: Section) -> bool:
    """A section that is a list of an exporter's fields (Readwise's ``## Metadata``: ``- Author: …``)."""
    return bool(section.blocks) and all(
        block.kind == "list" and all(_FIELD_ITEM.match(unit.plain) for _, unit in block.units)
        for block in section.blocks)


def is_sponsored(section: Section) -> bool:
    """The section is a sponsor's segment, or part of one: it makes no card."""
    # a substring test first: it is asked of every section by every extractor, and most say no
    return any(("ponsor" in heading or "PONSOR" in heading) and _SPONSOR.search(heading) for heading in section.trail)


@functools.lru_cache(maxsize=4096)  # the same headings slugged for every card under them
def slug(text: str) -> str:
    s = _NON_WORD.sub("-", text.lower()).strip("-")
    return s[:80] or "untitled"


def context(note: Note, trail: Iterable[str]) -> str:
    """The breadcrumb shown above a card: note title › section › subsection."""
    return _breadcrumb(note.title, tuple(trail))


@functools.lru_cache(maxsize=1024)  # every card of a section has the same one
def _breadcrumb(title: str, trail: tuple[str, ...]) -> str:
    if trail and trail[0].casefold() == title.casefold():  # a "# Title" line that repeats the title
        trail = trail[1:]
    return " › ".join(map(escape_recurring, filter(None, (title, *trail))))


def heading_of(section: Section) -> str:
    """The section's own heading, plain ("" before the first heading)."""
    return section.trail[-1] if section.trail else ""


def card_moments(note: Note, section: Section, own: Iterable[Moment] = ()) -> tuple[Moment, ...]:
    """A card's own moments, else its section's first, else the nearest earlier, else 0:00."""
    own = tuple(own)
    if own:
        return own
    if section.moments:
        return section.moments[:1]
    if section.before is not None:
        return (section.before,)
    return (Moment(0),) if note.video or note.media else ()


def _cut(text: Text, words: int) -> Text:
    shown = " ".join(text.plain.split()[:words])
    if word_count(shown) > words:  # Chinese or Japanese: two characters a word
        shown = shown[:2 * words]
    return Text(escape(shown) + " …", shown + " …")


def study_answer(blocks: Iterable[Block], words: int = ANSWER_WORDS) -> Text:
    """The first units of a section or callout, up to about ``words`` words."""
    chosen: list[tuple[str, Text]] = []
    total = 0
    for block in blocks:  # (read only as far as the answer goes: most sections are longer)
        for taken, (kind, unit) in enumerate(block.units):
            n = word_count(unit.plain)
            if chosen and total + n > words:
                return _join(_announced(chosen, len(chosen) - taken, block, words))
            total += _take(chosen, kind, unit, n)
    return _join(chosen)


def _announced(chosen: list[tuple[str, Text]], start: int, block: Block, words: int) -> list[tuple[str, Text]]:
    """``chosen``, its answer stopped in ``block`` (of which it holds the units from ``start`` on): not an
    answer ending on "The resulting formula is:" (or on part of its list). What a lead-in announces (the
    block after it: a formula, a list, a table) is shown whole, up to LEAD_IN_WORDS more; else the lead-in
    goes, unless it is all the answer has: then as much as fits."""
    if not start or not _leads_in(chosen[start - 1][1]):
        return chosen
    del chosen[start:]
    total = sum(_shown(*u) for u in chosen)
    room = words + LEAD_IN_WORDS - total
    if sum(_shown(*u) for u in block.units) > room:
        if start > 1:
            return chosen[:-1]
        if _shown(*block.units[0]) > room and all(kind == "item" for kind, _ in block.units):
            return chosen + _named(block.units, room)  # not one item fits: the points, named
    for unit in block.units:
        if total + _shown(*unit) > words + LEAD_IN_WORDS:
            break
        _take(chosen, *unit)
        total += _shown(*chosen[-1])
    return chosen


def with_points(answer: Text, points: list[Text], words: int = ANSWER_WORDS) -> Text:
    """``answer``, and when it ends on a lead-in that nothing in its section follows ("The following steps
    outline how to …:", then subsections), the ``points`` it announces (the subsections' headings), named."""
    if not points or not _leads_in(answer):
        return answer
    named = _named(tuple(("item", p) for p in points), words + LEAD_IN_WORDS - word_count(text_of(answer.html)))
    if not named:
        return answer
    return Text(answer.html + "<ul>" + "".join(f"<li>{u.html}</li>" for _, u in named) + "</ul>",
                " ".join([answer.plain, *(u.plain for _, u in named)]))


def _named(items: tuple[tuple[str, Text], ...], room: int) -> list[tuple[str, Text]]:
    """A list's items as their labels or first words, as many as ``room`` words hold: "Units", "Data
    Distribution" for two long items that open with them."""
    share = max(NAMED_ITEM_WORDS, room // len(items))
    labels = [label_of(item.plain, item.html, share) for _, item in items]
    if len(set(labels)) < len(labels):  # "Guess", "Guess": labels that do not tell the points apart
        return []
    named: list[tuple[str, Text]] = []
    for label in labels:
        room -= len(label.split())
        if room < 0:
            break
        named.append(("item", Text(escape(label), label)))
    return named


def _leads_in(unit: Text) -> bool:
    return unit.plain.rstrip().endswith(":")


def _shown(kind: str, unit: Text) -> int:
    """The words a reader counts in ``unit`` as shown (a table row's "Feature: Chains" is three)."""
    n = word_count(text_of(unit.html))
    return n if kind == "whole" else min(n, UNIT_WORDS)


def _take(chosen: list[tuple[str, Text]], kind: str, unit: Text, n: int | None = None) -> int:
    """Add ``unit`` (of ``n`` words, when counted already) to an answer, cut if long unless it is a whole
    block; the words it adds."""
    n = word_count(unit.plain) if n is None else n
    if kind == "whole":
        chosen.append((kind, unit))
        return n
    chosen.append((kind, _cut(unit, UNIT_WORDS) if n > UNIT_WORDS else unit))
    return min(n, UNIT_WORDS)


def _join(units: list[tuple[str, Text]]) -> Text:
    """Sentences into one paragraph, items into one list, whole blocks as they are."""
    plain = " ".join([u.plain for _, u in units])
    if units and all(kind == "sentence" for kind, _ in units):  # most answers: one paragraph, no bookkeeping
        return Text("<p>" + " ".join([u.html for _, u in units]) + "</p>", plain)
    html: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            html.append("<p>" + " ".join(para) + "</p>")
            para.clear()
        if items:
            html.append("<ul>" + "".join(items) + "</ul>")
            items.clear()

    for kind, unit in units:
        if kind == "sentence":
            if items:
                flush()
            para.append(unit.html)
        elif kind == "item":
            if para:
                flush()
            items.append(f"<li>{unit.html}</li>")
        else:
            flush()
            html.append(unit.html)
    flush()
    return Text("".join(html), plain)


def ranked(anchors: list[str]) -> list[str]:
    """Make repeated anchors unique by their rank: a, a, b -> a, a~2, b."""
    seen: dict[str, int] = {}  # not a Counter: its missing keys cost a Python-level __missing__ call
    out = []
    for a in anchors:
        seen[a] = n = seen.get(a, 0) + 1
        out.append(a if n == 1 else f"{a}~{n}")
    return out
