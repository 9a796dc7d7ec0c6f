"""Headings -> question/answer cards about each section.

    ## A Single New Guest
    If a new guest arrives, everyone moves down one room <a ... data-t="00:00:50">...</a>.

gives "In “Hilbert Hotel paradox”: what are the key points about *A Single New Guest*?" with the
first sentences of the section (about 40 words) as the answer, linked to 0:50.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from cardgen.extract.common import (
    card_moments,
    context,
    heading_of,
    is_export_fields,
    is_logistics,
    is_pointer,
    is_sponsored,
    ranked,
    slug,
    study_answer,
    with_points,
)
from cardgen.markup import escape, escape_recurring, text_of
from cardgen.model import Card, Diagnostic, Moment, Note, Section

if TYPE_CHECKING:
    from cardgen.extract import ExtractOptions

_LINK = re.compile(r"<a\s[^>]*>.*?</a>", re.S)
_IMAGES_ONLY = re.compile(r"(?:\[[^\]]*\]\s*)+$")  # images as a card shows them: their [alt text]
_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[IVX]+\.)\s+")


def _mostly_links(html: str) -> bool:
    if "<a" not in html:  # no link at all: most answers
        return False
    words = len(text_of(html).split())
    outside = len(text_of(_LINK.sub(" ", html)).split())
    return words > 0 and outside < words * 0.3


def question(note: Note, section: Section, parent: str = "") -> str:
    """The card's question; ``parent``, the heading above, when the note has another section of this
    heading ("Implementation" under "Service Stubs" and under "Service Spies"): "In “T” › Service Stubs: …"."""
    assert section.heading is not None
    heading = _NUMBERING.sub("", section.heading.plain).rstrip(":").strip()
    title = escape_recurring(note.title)
    where = f"In “{title}” › {escape_recurring(parent)}" if parent else f"In “{title}”"
    if heading.endswith("?"):
        return f"{where}: {escape(heading)}"
    if section.moments and heading == section.moments[0].label:  # a chapter with a time for a heading ("## [12:00]")
        return f"{where}: what is said at <b>{heading}</b>?"
    if heading.lower() == note.title.lower():
        return f"What are the key points of “{title}”?"
    if "\\(" in section.heading.html:  # math: its HTML, where MathJax finds it (the plain text has no \( \))
        shown = _NUMBERING.sub("", section.heading.html).rstrip(":").strip()
        return f"{where}: what are the key points about <b>{shown}</b>?"
    # escaped as its breadcrumb escapes it (most headings have nothing stripped): once for both
    return f"{where}: what are the key points about <b>{escape_recurring(heading)}</b>?"


def _parent(note: Note, section: Section) -> str:
    """The heading above ``section``, unless that is the note's "# Title" line (the question shows the title)."""
    parent = section.trail[-2] if len(section.trail) > 1 else ""
    return "" if parent.casefold() == note.title.casefold() else parent


def _moments(note: Note, section: Section) -> tuple[Moment, ...]:
    """The section's moment and, once each, the stamps its text has outside any claim."""
    moments = card_moments(note, section)
    return tuple(dict.fromkeys(moments + section.loose)) if section.loose else moments


def _ends_on_lead_in(section: Section) -> bool:
    last = section.blocks[-1]
    return last.kind == "paragraph" and last.units[-1][1].plain.rstrip().endswith(":")


def _subsections(sections: list[Section], i: int) -> list[Section]:
    """The subsections one level down of ``sections[i]``, in order."""
    trail = sections[i].trail
    found = []
    for later in sections[i + 1:]:
        if later.trail[:len(trail)] != trail or len(later.trail) <= len(trail):
            break
        if len(later.trail) == len(trail) + 1:
            found.append(later)
    return found


def extract(note: Note, options: ExtractOptions, hints: list[Diagnostic]) -> list[Card]:
    sections = [s for s in note.sections if s.heading is not None]
    anchors = ranked(["/".join(map(slug, s.trail)) for s in sections])
    # the headings the note has twice or more: each such question names its parent
    twice = {h for h, n in Counter([s.trail[-1].casefold() for s in sections]).items() if n > 1}
    cards = []
    for i, (section, anchor) in enumerate(zip(sections, anchors, strict=True)):
        heading = heading_of(section)
        if (is_sponsored(section) or is_pointer(heading) or is_logistics(heading)  # an advert; links to follow
                or (heading[:1] in "Mm" and heading.casefold() == "metadata" and is_export_fields(section))):
            continue
        answer = study_answer(section.blocks or [b for c in section.callouts for b in c.blocks],
                              options.answer_words)
        # "The following steps …:", then the steps in subsections (not after a block the lead-in announces)
        if section.blocks and answer.plain.rstrip().endswith(":") and _ends_on_lead_in(section):
            answer = with_points(answer, [s.heading for s in _subsections(sections, i) if s.heading is not None],
                                 options.answer_words)
        if not answer.plain or _mostly_links(answer.html) or _IMAGES_ONLY.match(answer.plain):
            continue  # a heading that only groups subsections, a list of links to follow, a book's cover
        cards.append(Card(
            key=f"{note.key}#headings#{anchor}", kind="basic", extractor="headings",
            front=question(note, section, _parent(note, section) if twice and heading.casefold() in twice else ""),
            back=answer.html, context=context(note, section.trail),
            heading=heading, line=section.line,
            moments=_moments(note, section)))
    return cards
