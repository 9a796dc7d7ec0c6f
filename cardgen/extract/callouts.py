"""Callouts -> definition cards.

    > [!info] Mechanistic Interpretability
    > Mechanistic interpretability involves examining the circuits inside AI models.

gives "What is Mechanistic Interpretability?" -> the definition. Generic titles (Conclusion,
Summary, Note, Example 2) and untitled callouts get a question about their section instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cardgen.extract.common import (
    card_moments,
    context,
    heading_of,
    is_pointer,
    is_sponsored,
    ranked,
    slug,
    study_answer,
)
from cardgen.markup import escape, escape_recurring
from cardgen.model import Callout, Card, Diagnostic, Note, Section

if TYPE_CHECKING:
    from cardgen.extract import ExtractOptions

_GENERIC = re.compile(
    r"^(?:the\s+)?(conclusions?|summary|in summary|overview|recap|tl;?dr|notes?(?: to self)?|important|info|"
    r"information|tips?|pro tip|warning|caution|danger|key (?:takeaways?|points?|insights?)|takeaways?|insights?|"
    r"remember|fun fact|bottom line|definition|quote|example|examples|question|answer|result|"
    r"see also|related|challenge|exercise|(?:study |quick )?hints?|memory aid|mnemonic|(?:quick )?self-test|quiz|"
    r"check yourself|try it)(?:\s*\d+)?\s*[:.!]?$", re.I)
# a generic title that is no noun ("Remember", "TL;DR"), as the question names it
_GENERIC_NOUN = {"remember": "thing to remember", "important": "important point", "in summary": "summary",
                 "tl;dr": "summary", "tldr": "summary", "info": "key point", "information": "key point",
                 "note to self": "note", "notes to self": "notes", "pro tip": "tip", "see also": "related ideas",
                 "related": "related ideas", "check yourself": "self-test", "try it": "exercise"}
_ADVICE = {"tip", "warning", "pitfall", "result", "task"}  # their titles are advice, not terms to define
_EXAMPLE = re.compile(r"^(example|exercise|problem|case|challenge)\s*\d*\s*[:.–-]\s*(.+)$", re.I)
_WH_WORD = "(?:what|why|how|when|where|who|which)"
_WH = re.compile(rf"{_WH_WORD}\s", re.I)
# (a bare "Is …" asks when a lower-case word follows: not "Will Smith", "Do Not Disturb")
_ASKS = re.compile(rf"(?i:{_WH_WORD}\s+(?:is|are|was|were|does|do|did|can|could|should|would|will|has|have)\s)"
                   r"|(?i:is|are|does|do|did|can|could|should|would|will|has|have)\s+[a-z]")
_NOUN = {"note": "note", "info": "key point", "tip": "tip", "hint": "tip", "warning": "warning",
         "caution": "warning", "attention": "warning", "danger": "pitfall", "error": "pitfall",
         "bug": "pitfall", "failure": "pitfall", "important": "key point", "example": "example",
         "quote": "quote", "cite": "quote", "summary": "summary", "tldr": "summary",
         "abstract": "summary", "question": "question", "faq": "question", "help": "question",
         "definition": "definition", "math": "formula", "formula": "formula", "success": "result",
         "check": "result", "done": "result", "seealso": "related idea", "challenge": "challenge",
         "todo": "task"}
_TERM_WORDS = 6
_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)
_TOPIC = re.compile(r"\b(of|and|vs\.?|for|with|as|in|on|to|from|&)\b|'s\b", re.I)


def _about(note: Note, section: Section) -> str:
    if section.heading is not None:
        return f"<b>{escape(section.heading.plain)}</b> in “{escape_recurring(note.title)}”"
    return f"“{escape_recurring(note.title)}”"


def _title(callout: Callout) -> str:
    return callout.title.plain.strip().rstrip(":").strip() if callout.title else ""


def _is_term(title: str) -> bool:
    return len(title.split()) <= _TERM_WORDS and not _TOPIC.search(title)


def concept(callout: Callout) -> str:
    """The normalised term a callout defines ("" when it is no definition): the same in every note
    that defines it, whatever the case, an article or a wikilink alias."""
    title = _title(callout)
    if (not title or _NOUN.get(callout.kind, "key point") not in ("key point", "note", "definition")
            or is_pointer(title) or _GENERIC.match(title) or _EXAMPLE.match(title) or title.endswith("?")
            or not _is_term(title)):
        return ""
    term = callout.link.rsplit("/", 1)[-1] if callout.link else title
    return slug(_ARTICLE.sub("", term.strip()))


def question(note: Note, section: Section, callout: Callout) -> str:
    noun = _NOUN.get(callout.kind, "key point")
    title = _title(callout)
    if not title:
        return f"What {noun} is given about {_about(note, section)}?"
    if is_pointer(title):
        return f"{escape(title)}: which related topics does {_about(note, section)} point to?"
    generic = _GENERIC.match(title)
    if generic:
        word = generic.group(1).lower()
        word = _GENERIC_NOUN.get(word, word)
        verb = "are" if word.endswith("s") and not word.endswith("ss") else "is"  # "Key takeaways", "Notes"
        return f"What {verb} the {word} about {_about(note, section)}?"
    example = _EXAMPLE.match(title)
    if example:
        return f"Work through <b>{escape(title)}</b>"
    if title.endswith("?"):
        return escape(title)
    if _ASKS.match(title):  # a question without its question mark: "Why does caffeine delay sleep"
        return escape(title.rstrip(" :.")) + "?"
    if _WH.match(title):  # "What happens during one night", "How caffeine works": no term to define
        return f"Explain: <b>{escape(title.rstrip(' :.'))}</b>"
    if noun == "formula":
        return f"What is the formula for <b>{escape(title)}</b>?"
    if noun == "quote":
        return f"What does the quote “{escape(title.strip(chr(34) + '“”'))}” say?"
    if noun in _ADVICE:
        return f"Explain the {noun}: <b>{escape(title)}</b>"
    if noun == "example":  # [!example] Medical test: an example to explain, not a term to define
        return f"Explain the example: <b>{escape(title)}</b>"
    if _is_term(title):
        if title.lower().startswith("the "):
            title = "the " + title[4:]
        return f"What is <b>{escape(title)}</b>?"
    return f"Explain: <b>{escape(title)}</b>"


def extract(note: Note, options: ExtractOptions, hints: list[Diagnostic]) -> list[Card]:
    found = [(s, c) for s in note.sections for c in s.callouts]
    anchors = ranked([slug(c.title.plain) if c.title else f"{slug('/'.join(s.trail) or 'intro')}/{c.kind}"
                      for s, c in found])
    cards = []
    for (section, callout), anchor in zip(found, anchors, strict=True):
        if is_sponsored(section):  # its anchor is still taken: the others' stay as they were
            continue
        answer = study_answer(callout.blocks, options.answer_words)
        if not answer.plain:
            continue
        cards.append(Card(
            key=f"{note.key}#callouts#{anchor}", kind="basic", extractor="callouts",
            front=question(note, section, callout), back=answer.html, context=context(note, section.trail),
            heading=heading_of(section), moments=card_moments(note, section, callout.moments), line=callout.line,
            concept=concept(callout)))
    return cards
