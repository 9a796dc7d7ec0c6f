"""Safe HTML for Anki fields.

Anki shows fields as HTML, verbatim, and reads ``{{c1::...}}`` in a cloze field as a deletion.
So every piece of note text is escaped, any HTML a note carries goes through a real sanitizer
(nh3, the Rust ``ammonia`` crate), and ``{``/``}`` become character references that neither
Anki's template engine nor its cloze parser can see.
"""

from __future__ import annotations

import functools
import html
import re

import nh3

ALLOWED_TAGS = {"a", "b", "blockquote", "br", "code", "div", "em", "hr", "i", "kbd", "li", "mark",
                "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody",
                "td", "th", "thead", "tr", "u", "ul"}
_ATTRIBUTES = {"a": {"href"}, "td": {"align"}, "th": {"align"}}
_SCHEMES = {"http", "https", "mailto", "obsidian"}
# the lead byte of UTF-8 read as cp1252, then a continuation byte as cp1252 shows it
_MOJIBAKE = re.compile("[ÂÃâ][\u0080-\u00bf\u2018-\u203a\u20ac\u0152\u0153\u0160\u0161\u0178"
                       "\u017d\u017e\u0192\u02c6\u02dc]")


def protect_braces(s: str) -> str:
    return s.replace("{", "&#123;").replace("}", "&#125;")


def escape(text: str) -> str:
    """Plain text -> HTML that Anki shows as that text and never reads as template or cloze.

    ``html.escape`` and ``protect_braces`` written out in one chain: it runs for every piece of text.
    """
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#x27;").replace("{", "&#123;").replace("}", "&#125;"))


# for the text a note repeats on many cards: its title, its path, its headings
escape_recurring = functools.lru_cache(maxsize=1024)(escape)


_TAG = re.compile(r"<[^>]*>")
MAX_TAGS = 500  # html5ever's tree building grows quadratically with nesting depth


def sanitize(fragment: str) -> str:
    """HTML from a note -> HTML without scripts, handlers, frames or foreign URLs.

    A fragment with more than ``MAX_TAGS`` tags (no real note has one) is shown as text instead.
    """
    if fragment.count("<") > MAX_TAGS:
        return escape(fragment)
    cleaned = nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                        link_rel="noopener noreferrer")
    return protect_braces(cleaned)


def text_of(html_text: str) -> str:
    """What a reader sees of some HTML: its text, entities decoded."""
    return html.unescape(_TAG.sub(" ", html_text))


def safe_url(url: str) -> str | None:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    return url if scheme in _SCHEMES else None


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 read as cp1252 (``â€“`` -> ``–``) without touching correct text."""
    # three substring scans are about twenty times faster than the pattern's over a clean note
    if ("Â" not in text and "Ã" not in text and "â" not in text) or not _MOJIBAKE.search(text):
        return text
    import ftfy  # rare, and slow to import (0.1 s): only when a note needs it

    return ftfy.fix_encoding(text)


# math and code: rendered as they are, never cut into or hidden in a cloze
MATH_OR_CODE = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]|<code>.*?</code>|<pre>.*?</pre>", re.S)


# Chinese and Japanese, written without spaces: a word is about two of their characters, and a
# run of them is a clause, never one word to hide
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def word_count(text: str) -> int:
    """Words in ``text``: those between spaces, and in Chinese or Japanese, a word per two characters."""
    if text.isascii():  # most text
        return len(text.split())
    unspaced = sum((len(run) + 1) // 2 for run in UNSPACED.findall(text))
    return len(UNSPACED.sub(" ", text).split()) + unspaced if unspaced else len(text.split())


def prose_words(html_text: str) -> int:
    """Words of prose in a piece of card HTML, leaving out math, code and tags."""
    if "<" not in html_text and "\\" not in html_text:  # no tag, math or code: most sentences
        return word_count(html_text)
    return word_count(_TAG.sub(" ", MATH_OR_CODE.sub(" ", html_text)))


_BOLD_LABEL = re.compile(r"<(b|strong)>(.+?)</\1>")


def label_of(plain: str, html_text: str, words: int) -> str:
    """What a list item is about, in a few words: its label ("Edges (E): This includes …",
    "**Green hits** If one …"), else its first ``words`` words."""
    label, colon, _ = plain.partition(": ")
    if colon and len(label.split()) <= words:
        return label
    bold = _BOLD_LABEL.match(html_text)
    if bold:
        return text_of(bold.group(2)).strip().rstrip(":").rstrip()
    kept = plain.rstrip(" :;,.").split()
    return " ".join(kept[:words]) + (" …" if len(kept) > words else "")
