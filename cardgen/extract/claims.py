"""Timestamped claims -> cloze cards.

    Interpretability needs [[mech_interp | circuit analysis]] tools [00:48:21](#t=00:48:21).

gives "Interpretability needs {{c1::circuit analysis}} tools." linked to 48:21. The hidden term is
a wikilink alias or a bold phrase when there is one, else a name, a number or the longest content
word; never a stop word, and never a term that shows elsewhere in the same sentence.
"""

from __future__ import annotations

import functools
import html as htmllib
import re
from collections import Counter
from collections.abc import Iterator
from importlib.resources import files
from typing import TYPE_CHECKING

from cardgen.extract.common import (
    LEAD_IN_WORDS,
    context,
    heading_of,
    is_logistics,
    is_sponsored,
    ranked,
    slug,
    study_answer,
)
from cardgen.markup import MATH_OR_CODE, UNSPACED, escape
from cardgen.model import Card, Diagnostic, Note, Sentence, Text
from cardgen.settings import HIDDEN_WORDS
from cardgen.timestamps import human

if TYPE_CHECKING:
    from cardgen.extract import ExtractOptions

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each either few for from further had has
have having he her here hers herself him himself his how however i if in into is it its itself just
like may me might more most much must my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves then
there these they this those through thus to too under until up upon us very via was we were what when
where whether which while who whom whose why will with within without would yet you your yours
yourself yourselves one two also many often even well way ways thing things something someone
unlike cannot across among despite toward towards onto unless whereas although though since already
whenever wherever whatever whoever whichever
""".split())
# a capitalised run that does not start the sentence: a name, a product, an acronym ("Node.js" whole)
_NAME_WORD = r"[A-Z][\w'’-]*(?:\.[A-Za-z][\w'’-]*)*[A-Za-z0-9]"
# (not after a sentence's end inside the claim: "This is a three. It's sloppily written …", a transcript's line)
_NAME = re.compile(rf"(?<=[^\s] )(?<!\d )(?<![.!?] )({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}})(?![\w])")
# two or more that start it ("Ken Thompson wrote …", not "The Node.js runtime", "Using React Hooks")
_OPENING_NAME = re.compile(rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}}(?![\w])")
# a clock time or a ratio whole ("9:30", "14:05:10", "2.5:1"), else a number with its unit; never
# the 9 of 9:30 (the number is atomic: no shorter part of it passes the look-ahead)
_NUMBER = re.compile(r"(?<![\d.:])\d+(?:\.\d+)?(?::\d+(?:\.\d+)?)+(?![\d:])|"
                     r"(?<![\d:])(?<!\w-)\b(?>\d+(?:[.,]\d+)*)(?!:\d)(?:\s?(?:%|percent|million|billion|trillion|thousand|hundred|"
                     r"years?|days?|hours?|minutes?|seconds?|times|x|km|kg|m|cm|mm|Hz|kHz|GB|MB|°C|°F)(?![\w/]))?")

# a word of four letters or more; in a claim with other letters than ASCII's, in any script that
# puts spaces between words (five times slower a search: most claims are ASCII)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{3,}")
# (the vowel signs and viramas of the scripts of India are no word characters to Python: "प्रकाश" is one word)
_INDIC_MARKS = "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc-\u09d7\u0a01-\u0a03" \
               "\u0a3c-\u0a51\u0a81-\u0a83\u0abc-\u0acd\u0b01-\u0b03\u0b3c-\u0b57\u0b82\u0bbe-\u0bd7\u0c00-\u0c04" \
               "\u0c3c-\u0c56\u0c81-\u0c83\u0cbc-\u0cd6\u0d00-\u0d03\u0d3b-\u0d57\u0d81-\u0d83\u0dca-\u0df3"
_ANY_WORD = re.compile(rf"[^\W\d_](?:[^\W\d_]|[{_INDIC_MARKS}]|['’-]){{3,}}")
_INDIC_MARK = re.compile(f"[{_INDIC_MARKS}]")
# without a tagger, word endings tell nouns (worth hiding) from adjectives, adverbs and verbs
_NOUNISH = re.compile(r"(tion|sion|ment|ness|ity|ance|ence|ism|ist|ogy|graphy|ics|ship|ure|age|er|or|ers|ors)$")
_NOT_NOUN = re.compile(r"(ly|ing|ed|ous|ive|able|ible|ful|less|al|ic|ical|ant|ent)$")
_TAG = re.compile(r"<[^>]*>")
# endings that mark a noun even without a tagger (not -er, -age or -ure: "offers", "consider", "manage")
_CLEAR_NOUN = re.compile(r"(tion|sion|ment|ness|ity|ance|ence|ism|ist|ogy|graphy|ship)s?$")
_WORD_CHARS = re.compile(r"\w+")
_POSSESSIVE = re.compile(r"['’]s\b")
# _NAME and _NUMBER try their lookarounds at every position: 3-4 µs a claim, so they run only
# when the claim has a capital after its first word's first letter, or a digit
_CAPITAL = re.compile(r"[A-Z]")
_DIGIT = re.compile(r"\d")
# either of them, in one scan of an ASCII claim (most claims have neither); in ASCII \d is [0-9],
# and a set of ASCII characters is matched twice as fast as \d
_ASCII_CAPITAL_OR_DIGIT = re.compile(r"[A-Z0-9]")


# -er words that are not agents or things: comparatives and positions
_NOT_ER_NOUNS = frozenset("""outer inner upper lower other under after never rather later earlier faster slower
larger smaller higher greater better longer shorter stronger weaker easier harder bigger older newer""".split())
# -er words that are verbs or adverbs: ranked as low as other verbs ("things to consider")
_ER_VERBS = frozenset("""consider deliver discover remember gather render recover uncover enter wonder suffer
differ prefer refer transfer alter hinder foster bother encounter together whether ever""".split())
# a bold label that opens a claim ("**Key Finding:** The primary takeaway was ...") names the kind
# of statement, not a term: hidden, it asks the learner to recall a heading nobody studies
_LABEL_WORDS = frozenset("""key main primary core current future final general overall important use case cases
finding findings state status functionality function feature features benefit benefits advantage advantages
disadvantage disadvantages limitation limitations challenge challenges problem problems solution solutions issue
issues result results outcome outcomes impact effect effects goal goals purpose approach method process step steps
stage phase example examples note notes tip tips summary overview conclusion takeaway takeaways point points insight
insights lesson lessons idea ideas definition context background application applications implication
implications recommendation recommendations strategy observation observations reason reasons requirement
requirements consideration considerations question answer detail details description role responsibility
responsibilities next first second third how why what it works and of the a for guest host speaker interviewer
interviewee narrator moderator q""".split())
# a link's words that only point ("as covered [[part-3#Gradient descent|earlier]]", "([[calculus|see here]])")
_POINTING = frozenset("earlier later here there above below see this that previous next link source video note "
                      "part more back click read watch".split())


# words so common in English that they say little of a video's topic: hidden only when no rarer word
# can be ("its {{representation}} on the unit circle", "{{Therefore}}, the derivative …"); see
# tools/common_words.py
_COMMON = frozenset(w for w in (files("cardgen") / "data" / "common_words.txt").read_text().split("\n")
                    if w and not w.startswith("#"))
_RARER = 8  # more than a noun's ending counts for: a rare word beats a common one of its length


class _Ranks(dict[str, int]):
    """A word (as written) -> how good a term to hide it is, higher first; -1 for a stop word.

    One dict lookup, done in C by ``max`` and ``sorted``, serves as both the stop-word filter and
    the sort key; a vault's vocabulary repeats from claim to claim, so it is computed once a word.
    """

    LIMIT = 50_000  # words kept; a vault with more distinct ones starts over

    def __missing__(self, word: str) -> int:
        if len(self) >= self.LIMIT:
            self.clear()
        w = word.lower()
        if w in STOP_WORDS or "'" in w or "’" in w:  # (a contraction is no term: "wasn't", "You're")
            rank = -1
        else:  # _WORD matches 4 letters or more: a word ranks 0 or better
            nounish = _NOUNISH.search(w) and w not in _NOT_ER_NOUNS and w not in _ER_VERBS
            unlike_noun = _NOT_NOUN.search(w) or w in _ER_VERBS
            rank = len(w) + (4 if nounish else 0) - (4 if unlike_noun else 0)
            rank += 0 if unlike_noun or w in _COMMON else _RARER  # (a rare verb is a verb still)
        self[word] = rank
        return rank


_rank = _Ranks().__getitem__


def _trim(term: str) -> str:
    words = term.strip(" ,;:.!?\"'“”‘’").split()
    while words and words[0].lower() in STOP_WORDS:
        words.pop(0)
    while words and words[-1].lower() in STOP_WORDS:
        words.pop()
    return " ".join(words).strip(" ,;:.!?\"'“”‘’")


# who speaks, as transcripts open a line: "Speaker 1:", "SPEAKER_02:", "Host:", "Q:" (no term, nor its number)
_SPEAKER = re.compile(r"(?:speaker|spk|host|guest|interviewer|interviewee|narrator|moderator|q|a)[ _]?\d{0,2}\s*:\s+",
                      re.I)


# an icon that opens a highlight ("🚀 Modern networks …", as summary tools write them): the word after it
# starts the sentence, and is no name for being capitalised
_ICON = re.compile(r"[^\w\s\"'“‘(\[*]+\s*")


def _terms(claim: Sentence) -> Iterator[str]:
    plain = claim.text.plain
    icon = _ICON.match(plain) if plain[:1] and not plain[0].isalnum() else None
    if icon:
        plain = plain[icon.end():]
    for term in claim.terms:
        term = _trim(term)
        if _is_label(term, plain):  # nor are its words: the terms are sought after it
            plain = plain[len(term):].lstrip().removeprefix(":")
        elif not all(w in _POINTING or w in STOP_WORDS for w in term.lower().split()):
            yield term
    if ":" in plain[:16]:
        speaker = _SPEAKER.match(plain)
        if speaker:
            plain = plain[speaker.end():]
    if not plain.isascii() or _ASCII_CAPITAL_OR_DIGIT.search(plain, 2) or _DIGIT.search(plain, 0, 2):
        if _CAPITAL.search(plain, 2):  # _NAME's lookbehind needs two characters before a name
            opening = _OPENING_NAME.match(plain)
            if opening:
                first = opening.group(0).split(None, 1)[0].lower()  # not "Using", "Finally", "Unlimited", "Kujira's"
                if first not in STOP_WORDS and not first.endswith(("ing", "ly", "ed", "'s", "’s")):
                    yield _trim(opening.group(0))
            for m in _NAME.finditer(plain):
                yield _trim(m.group(1))
        if _DIGIT.search(plain):
            for m in _NUMBER.finditer(plain):
                yield m.group(0).strip()
    if plain.isascii():
        words = _WORD.findall(plain)
    else:
        words = [w for w in _ANY_WORD.findall(plain) if not UNSPACED.search(w)]
    if not words:
        return
    # the best word (max keeps the first of equals, as the stable sort below does) is all most
    # claims need: the whole ranking is made only when it cannot be hidden
    best = max(words, key=_rank)
    if _rank(best) >= 0:
        yield best
        yield from sorted([w for w in words if _rank(w) >= 0], key=_rank, reverse=True)


def _is_label(term: str, plain: str) -> bool:
    if not plain.startswith(term) or not plain[len(term):].lstrip().startswith(":"):
        return False
    return all(w in _LABEL_WORDS or w.isdigit() for w in term.lower().split())


def candidates(claim: Sentence) -> Iterator[str]:
    """Terms to hide, best first, each once. Lazy: the first usable term usually comes early, and
    ranking every word of the claim is then never needed."""
    seen = {""}
    for term in _terms(claim):
        if term not in seen:
            seen.add(term)
            yield term


def _spots(term: str, text: str, low: str) -> list[int]:
    """Where ``term`` stands as a whole word or phrase in ``text``, ignoring case (``low`` is
    ``text.lower()``, made once for all the candidates).

    A plain scan with str.find: a regex per candidate term would be compiled thousands of times.
    """
    t = term.lower()
    if len(low) != len(text):  # a letter whose lower case is longer ("İ"): positions would drift
        pattern = re.compile(r"(?<![\w])" + re.escape(term) + r"(?![\w])", re.I)
        return [m.start() for m in pattern.finditer(text)]
    found, at, size, last = [], low.find(t), len(t), len(low)
    if not low.isascii():
        while at >= 0:
            end = at + size
            if not (at and _joins(low[at - 1])) and not (end < last and _joins(low[end])):
                found.append(at)
            at = low.find(t, at + 1)
        return found
    while at >= 0:  # (most text: the test of _joins, written out)
        end = at + size
        # a word character (letter, digit or _) on either side: the term is part of a longer word
        if not (at and (low[at - 1].isalnum() or low[at - 1] == "_")) and not (
                end < last and (low[end].isalnum() or low[end] == "_")):
            found.append(at)
        at = low.find(t, at + 1)
    return found


def _joins(c: str) -> bool:
    """Whether ``c`` next to a term makes it part of a longer word (in Chinese or Japanese, written
    without spaces, no character does)."""
    return (c.isalnum() or c == "_" or _INDIC_MARK.match(c) is not None) and (
        c.isascii() or UNSPACED.match(c) is None)


def cloze(claim: Sentence, max_words: int = HIDDEN_WORDS, shown: Breadcrumb | None = None) -> str | None:
    """The claim's HTML with one term hidden, or ``None`` when no term can be hidden safely.

    ``shown``: the breadcrumb, whose words the card shows anyway. A term made only of them
    gives itself away ("Multics" hidden under "The Multics project"), so a strong term (a marked
    one, a name, a number, a noun-like word) that comes later is hidden instead; a weaker word never
    replaces it ("A plain quote is not a callout" in a note on callouts still hides "callout").
    """
    plain, html = claim.text.plain, claim.text.html
    low_plain = plain.lower()
    # most claims are prose: no tag, entity, math or code, so their HTML is their text and a
    # term's one spot in the text is its spot in the HTML
    prose = html == plain and "<" not in html and "&" not in html and "\\" not in html and "://" not in html \
        and "www." not in html
    visible = plain if prose else htmllib.unescape(_TAG.sub("", html))
    low_visible = low_plain if prose else visible.lower()
    masked = low_masked = None
    fallback = None
    # the time of a stamp the sentence keeps as a word ("At 12:34, the speaker ..."): the card links it anyway
    told = {human(m.seconds) for m in claim.moments} if ":" in plain else set()
    for term in candidates(claim):
        if term in told:
            continue
        n = len(term.split())
        # at most 60% of the claim's words, or one: its words are counted only for a phrase
        if n > max_words or (n > 1 and n > len(plain.split()) * 0.6) or term.lower() in STOP_WORDS:
            continue
        given_away = shown is not None and shown.shows(term)
        if fallback is not None and (given_away or not _strong(term, claim)):
            continue
        spots = _spots(term, plain, low_plain)
        if len(spots) != 1 or (visible != plain and len(_spots(term, visible, low_visible)) != 1):
            continue
        # letters and digits only (most terms): escaping changes nothing
        needle = term if term.isalnum() else escape(term)
        if prose and needle == term:
            hit: tuple[int, int] | None = (spots[0], spots[0] + len(term))
        else:
            if masked is None:
                masked = _NOT_HIDDEN.sub(_blank, html)
                low_masked = masked.lower()
            assert low_masked is not None
            hit = _find_in_html(masked, low_masked, needle)
        if hit is None:
            continue
        start, end = hit
        hidden = html[start:end].replace("::", ":&#58;")
        text = f"{html[:start]}{{{{c1::{hidden}}}}}{html[end:]}"
        if not given_away:
            return text
        fallback = text
    return fallback


def _strong(term: str, claim: Sentence) -> bool:
    """A term worth hiding in place of one the breadcrumb gives away: a marked term, a phrase, a
    number, a name (capitalised, not just first in the sentence) or a word with a noun's ending."""
    if term in claim.terms or " " in term or any(c.isdigit() for c in term):
        return True
    if "'" in term or "’" in term:  # it's, the model's: a word with a clitic, not a term
        return False
    if term[0].isupper():
        return not claim.text.plain.startswith(term) and not _NOT_NOUN.search(term.lower())
    return "-" in term or bool(_CLEAR_NOUN.search(term.lower()))


# never hidden in: math and code, and a URL written out in the text ("https://{{c1::example}}.com")
_NOT_HIDDEN = re.compile(MATH_OR_CODE.pattern + r"|(?:https?://|www\.)[^\s<\"']+", re.S)  # (an href ends at its quote)


def _blank(m: re.Match[str]) -> str:
    return "\x01" * len(m.group(0))


def _find_in_html(masked: str, low_masked: str, needle: str) -> tuple[int, int] | None:
    """The one place ``needle`` stands in the text of some HTML: not in a tag, math or code
    (``masked`` is the HTML with its math and code blanked out)."""
    hits = _spots(needle, masked, low_masked)
    if "<" in masked:  # not inside a tag: the last < before it is closed
        hits = [at for at in hits if masked.rfind("<", 0, at) <= masked.rfind(">", 0, at)]
    return (hits[0], hits[0] + len(needle)) if len(hits) == 1 else None


def breadcrumb_words(title: str, trail: tuple[str, ...]) -> frozenset[str]:
    # the words of "title heading subheading" are those of each part: the parts' words are
    # cached, and a title and its headings recur from section to section
    return _shown_words(title).union(*map(_shown_words, trail))


class Breadcrumb:
    """A card's breadcrumb (note title › heading › subheading), to tell the terms it gives away.

    Its words are made only when a term's words are all in its text: for most claims' first
    term, one substring test says no, and a section's words are never made.
    """

    __slots__ = ("parts", "text", "_words")

    def __init__(self, title: str, trail: tuple[str, ...] = ()) -> None:
        self.parts = (title, *trail)
        # lowered part by part, as _shown_words lowers them: each of their words is a substring
        self.text = " ".join([p.lower() for p in self.parts])
        self._words: frozenset[str] | None = None

    def shows(self, term: str) -> bool:
        """Whether ``term`` is made only of words the breadcrumb shows."""
        words = _shown_words(term)
        for w in words:
            if w not in self.text:
                return False
        if self._words is None:
            self._words = breadcrumb_words(self.parts[0], self.parts[1:])
        return bool(self._words) and words <= self._words


@functools.lru_cache(maxsize=8192)  # asked of every candidate term, and a vault's terms recur
def _shown_words(text: str) -> frozenset[str]:
    """Words as a reader matches them: case, a possessive and a plural -s aside."""
    text = text.lower()
    if "'" in text or "’" in text:  # most titles and headings have no possessive to drop
        text = _POSSESSIVE.sub("", text)
    return frozenset([w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                      for w in _WORD_CHARS.findall(text)])


BEFORE_WORDS = 30  # a longer sentence before a claim is shown by its end


def _before(claim: Sentence) -> Text | None:
    """The sentence a claim that opens with "It", "This" … refers back to, as its card shows it."""
    before = claim.before
    if before is None:
        return None
    words = before.plain.split()
    if len(words) <= BEFORE_WORDS:
        return before
    kept = "… " + " ".join(words[-BEFORE_WORDS:])
    return Text(escape(kept), kept)


def _tells(before: Text, text: str) -> bool:
    """Whether the sentence shown before a cloze gives its hidden term away: holds a word of it, or one
    that starts as one of its words does ("precise" for "precision", "explode" for "explosion")."""
    start = text.index("{{c1::") + 6
    hidden = htmllib.unescape(_TAG.sub("", text[start:text.index("}}", start)]))
    shown = _ANY_WORD.findall(before.plain.lower())
    stems = {w[:_STEM] for w in shown}
    return any(w[:_STEM] in stems if len(w) >= _STEM else w in shown for w in _ANY_WORD.findall(hidden.lower())) \
        or bool(_spots(hidden, before.plain, before.plain.lower()))


_STEM = 5  # letters two words share at the start to be one word's forms, near enough


def _quote(claim: Sentence, words: int = 12) -> str:
    kept = claim.text.plain.split()
    return " ".join(kept[:words]) + (" …" if len(kept) > words else "")


# what a video says of itself, not of its subject: "Brought to you by Sentry.io", "In the next video, …"
# (said at a sentence's start, so matched there: a search through every claim cost a fifth of extraction)
_OF_ITSELF = re.compile(
    r"(?:brought to you by|thanks? (?:you )?for watching|(?:like|subscribe) (?:and|&) (?:like|subscribe)|"
    r"hit (?:the|that) (?:like|subscribe|bell)|(?:the )?link (?:is )?in the description|"
    r"in (?:the |a |an )?(?:next|future|upcoming|subsequent|later|following) (?:videos?|episodes?|lessons?)|"
    r"more (?:content|videos?|episodes?) (?:on|about) .{1,60}(?:is|are) (?:planned|coming))\b", re.I)


def extract(note: Note, options: ExtractOptions, hints: list[Diagnostic]) -> list[Card]:
    claims = [(s, c.moments[0]) for s in note.sections for c in s.claims]
    firsts = Counter([m for _, m in claims])
    anchors = ranked([f"t{m.seconds}" if firsts[m] == 1 else f"t{m.seconds}/{slug('/'.join(s.trail) or 'intro')}"
                      for s, m in claims])
    next_anchor = iter(anchors).__next__
    cards = []
    for section in note.sections:
        if not section.claims:
            continue
        # an advert, or the show's list of chapters (its lines are titles, not claims): their anchors are
        # taken, so the others' stay
        if is_sponsored(section) or (section.heading is not None and is_logistics(section.heading.plain)):
            for _ in section.claims:
                next_anchor()
            continue
        # what every claim of the section shares, made once for them
        shown = Breadcrumb(note.title, section.trail)
        section_crumb, heading = context(note, section.trail), heading_of(section)
        for claim in section.claims:
            anchor = next_anchor()
            if _OF_ITSELF.match(claim.text.plain) or "ponsored by" in claim.text.plain:
                continue  # (its anchor taken all the same: the others' stay)
            if claim.lead:  # a list's sub-item: its item shows too
                trail = (*section.trail, claim.lead)
                text = cloze(claim, options.hidden_words, Breadcrumb(note.title, trail))
                crumb = context(note, trail)
            else:
                text = cloze(claim, options.hidden_words, shown)
                crumb = section_crumb
            if text is None:
                hints.append(Diagnostic(note.path, claim.line,
                                        f"no-key-term: nothing to hide in “{_quote(claim)}”", "hint"))
                continue
            before = _before(claim)
            if before and not _tells(before, text):  # "It is calculated as …": what "it" is shows above, with
                crumb += f'<div class="cg-before">{before.html}</div>'  # the breadcrumb (not a word of the claim's)

            if claim.moments[0].video:
                anchor += f"@{claim.moments[0].video}"
            # a claim that announces a formula, a list, a table ("… is given by the formula:"): shown on its back
            back = study_answer([claim.after], options.answer_words + LEAD_IN_WORDS).html if claim.after else ""
            cards.append(Card(key=f"{note.key}#claims#{anchor}", kind="cloze", extractor="claims", front=text,
                              back=back, context=crumb, heading=heading, moments=claim.moments, line=claim.line))
    return cards
