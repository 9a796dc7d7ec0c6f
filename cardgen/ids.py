"""Identity: the only code that decides which Anki note a card is.

A card's key is ``<note key>#<extractor>#<anchor>``: the note's identity (its file name, or a
frontmatter ``id``), the extractor, and an anchor inside the note (heading trail, callout term,
claim moment). Content never enters it, so editing an answer updates the card in place.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from cardgen.apkg.models import CONTEXT_FIELD
from cardgen.state import StoredCard

NAMESPACE = "cardgen"
# Anki's base-91 digits, in the order genanki.guid_for uses them
_BASE91 = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~")
# every two-digit base-91 number: a 64-bit hash is turned into digits two at a time, in 5 steps not 10
_PAIRS = [high + low for high in _BASE91 for low in _BASE91]
_PAIR = 91 * 91


def card_guid(namespace: str, key: str) -> str:
    """The Anki GUID of the card with this key in the vault whose top deck is ``namespace``.

    Namespaced by tool and vault: two vaults that both have an ``intro.md`` never overwrite each
    other's cards, and no other generator's GUIDs can collide with ours.

    Exactly ``genanki.guid_for(NAMESPACE, namespace, key)`` (the GUIDs of every deck built so far),
    computed here: it runs for every card, and importing genanki costs each build 0.1 s.
    """
    n = int.from_bytes(hashlib.sha256(f"{NAMESPACE}__{namespace}__{key}".encode()).digest()[:8], "big")
    # 64 bits are at most 10 base-91 digits (91**10 > 2**64): five pairs, unrolled, a third faster
    # than a loop; leading zero digits are no digits
    n, e = divmod(n, _PAIR)
    n, d = divmod(n, _PAIR)
    n, c = divmod(n, _PAIR)
    a, b = divmod(n, _PAIR)
    return f"{_PAIRS[a]}{_PAIRS[b]}{_PAIRS[c]}{_PAIRS[d]}{_PAIRS[e]}".lstrip(_BASE91[0])


CONCEPT_PREFIX = "concept#"


def concept_key(term: str) -> str:
    """The key of the one card for a term several notes define: no note's, so no note owns it."""
    return f"{CONCEPT_PREFIX}{term}"


@functools.lru_cache(maxsize=4096)
def deck_id(name: str) -> int:
    """A deck id derived from the name (Anki matches decks by name; the id only has to be valid)."""
    return 1 << 30 | int.from_bytes(hashlib.sha1(name.encode()).digest()[:4], "big") >> 2


def note_keys(paths: Iterable[str]) -> dict[str, str]:
    """Default note keys: the file name without extension, so moving a note keeps its cards.

    Two notes with one file name in different folders are told apart by their folder.
    """
    without = {p: _without_suffix(p) for p in paths}  # string work: pathlib costs 0.1 s per 5,000 notes
    stem = {p: w.rpartition("/")[2] for p, w in without.items()}
    clashes = Counter(stem.values())
    return {p: stem[p] if clashes[stem[p]] == 1 else without[p] for p in without}


def _without_suffix(path: str) -> str:
    """``a/b.md`` -> ``a/b``, as ``PurePosixPath.with_suffix("")`` (a leading dot is no suffix)."""
    folder, _, name = path.rpartition("/")
    dot = name.rfind(".")
    return path if not 0 < dot < len(name) - 1 else (f"{folder}/" if folder else "") + name[:dot]


# -- re-attachment ----------------------------------------------------------------------------
# A card whose anchor changed (a reworded heading, a stamp that drifted by a second, a renamed
# note file) gets a new key. When the previous build had a card that is clearly the same one and
# is now gone, the new card takes over its GUID, so Anki updates it instead of adding a twin.

SIMILAR = 0.5  # word overlap (Jaccard) above which two versions of a card are the same card
DRIFT = 5  # seconds a claim's moment may move and still be the same claim, reworded
NUDGE = 2  # seconds a claim may move, reworded past telling by its words, and be the one claim left that near
_TAGS = re.compile(r"<[^>]*>|\{\{c\d+::|\}\}|&[#\w]+;")


@dataclass(frozen=True, slots=True)
class Reattachment:
    new_key: str
    old_key: str
    reason: str


def _words(card: StoredCard) -> frozenset[str]:
    # a claim's own words: its back shows what it announces (a formula, a list), no word of the claim
    shown = card.fields[0] if card.kind == "cloze" else " ".join(card.fields[:2])
    return frozenset(_TAGS.sub(" ", shown).lower().split())


def _similarity(a: StoredCard, b: StoredCard) -> float:
    return _jaccard(_words(a), _words(b))


def _jaccard(wa: AbstractSet[str], wb: AbstractSet[str]) -> float:
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


_RANK = re.compile(r"~\d+(?=(@[\w-]+)?$)")  # a claim citing another video ends in @<its id>, after the rank


def ranked_keys(keys: list[str]) -> bool:
    """Whether any of ``keys`` has a rank (``a~2``): cards that share an anchor, told apart by order."""
    return any("~" in k for k in keys)


def _with_rank(base: str, n: int) -> str:
    stem, at, video = base.rpartition("@") if "@" in base.rpartition("#")[2] else (base, "", "")
    return f"{stem}~{n}{at}{video}" if n > 1 else base


def _section(card: StoredCard) -> str:
    """The card's breadcrumb (note title › heading …), without what a claim shows under it."""
    return card.fields[CONTEXT_FIELD].partition("<div")[0]


def settle_ranks(cards: list[StoredCard], earlier: dict[str, StoredCard], held: Callable[[str], bool]
                 ) -> dict[str, str]:
    """Give cards that share an anchor the keys of the earlier cards they are.

    Such cards (two callouts titled "Key takeaways", two claims at one moment) are told apart by
    their rank in the note (``a``, ``a~2``): reordered, they would swap identities, each Anki note,
    reviews and all, taking the other's text. Within each group, a card takes the key of the earlier
    card it most resembles (``SIMILAR`` or more); the others take the key of an earlier card left that
    stood in their section (two "Key takeaways" under two headings: the first deleted, the second
    reworded, the second keeps its own), else the group's first keys left that ``held`` does not
    refuse (a retired or pruned card's: its Anki note is another card's).
    Returns the keys changed, old -> new.
    """
    groups: dict[str, list[StoredCard]] = {}
    for card in cards:
        groups.setdefault(_RANK.sub("", card.key), []).append(card)
    before: dict[str, list[str]] = {}
    for key in earlier:
        before.setdefault(_RANK.sub("", key), []).append(key)
    changed: dict[str, str] = {}
    for base, members in groups.items():
        old = before.get(base, [])
        if not old or (len(members) == 1 and [members[0].key] == old):
            continue
        pairs = sorted(((score, -i, old[j]) for score, i, j in
                        alike([_words(c) for c in members], [_words(earlier[k]) for k in old])), reverse=True)
        given: dict[int, str] = {}
        for _, negative_i, key in pairs:
            if -negative_i not in given and key not in given.values():
                given[-negative_i] = key
        taken = set(given.values())
        spare = (k for k in map(functools.partial(_with_rank, base), itertools.count(1))
                 if k not in taken and (k in earlier or not held(k)))
        for i, card in enumerate(members):
            if i in given:
                key = given[i]
            else:
                section = _section(card)
                key = next((k for k in old if k not in taken and _section(earlier[k]) == section), None) or next(spare)
                taken.add(key)
            if key != card.key:
                changed[card.key] = key
                card.key = key
    return changed


def moved_claims(cards: list[StoredCard], earlier: dict[str, StoredCard], held: Callable[[str], bool]
                 ) -> dict[str, str]:
    """Give each claim of a note the key of the earlier claim it is, told by its words.

    A claim's key is its moment, so when stamps move (a regenerated note whose stamps all shifted by
    the gap between two claims, two stamps swapped, a claim deleted and its neighbour's stamp put on
    its moment, a new claim written where a moved one was, a retired claim pasted back elsewhere) a
    claim gets the key another claim had, and would take its Anki note, reviews and all.

    Each claim takes the key of the earlier claim (``earlier``: the note's earlier cards, retired ones
    included) it resembles (``SIMILAR``) within ``DRIFT`` seconds, or anywhere in the same words: the
    best match first, then its own key's, then the nearest; then a claim reworded and moved ``NUDGE``
    seconds or less (or by as much as the others moved) takes the one earlier claim left that near
    (``_reworded_nearby``). A claim like none keeps its own key, as a claim reworded at its moment
    does, unless that key went to another claim, is a retired claim's, or is that of a claim that
    stood elsewhere: then it takes a ranked key of its own (``t50~2``) that no card, earlier or
    ``held`` elsewhere (retired or pruned), has. Returns the keys changed, old -> new.
    """
    claims = [c for c in cards if c.extractor == "claims" and c.moments]
    olds = {k: old for k, old in earlier.items() if old.extractor == "claims" and old.moments}
    if not claims or not olds:
        return {}
    keys = list(olds)
    mine, theirs = [_words(c) for c in claims], [_words(olds[k]) for k in keys]
    at, then = [c.moments[0] for c in claims], [olds[k].moments[0] for k in keys]
    found = alike(mine, theirs, (at, then))
    same: dict[frozenset[str], list[int]] = {}  # and further away, in the same words (a stamp corrected by hand)
    for j, words in enumerate(theirs):
        same.setdefault(words, []).append(j)
    found += [(1.0, i, j) for i, words in enumerate(mine) if words
              for j in same.get(words, ()) if abs(at[i] - then[j]) > DRIFT]
    pairs = [(score, keys[j] == claims[i].key, -abs(at[i] - then[j]), keys[j], i) for score, i, j in found]
    rivals: dict[str, list[tuple[float, int, int]]] = {}
    for score, _, negative_gap, k, i in pairs:
        rivals.setdefault(k, []).append((score, -negative_gap, i))
    given: dict[int, str] = {}
    used: set[str] = set()
    # two claims about as like one earlier claim, about as near it: neither is it (reattach says so); the
    # same words said again a minute later are no rival
    contested: set[str] = set()
    for score, _, negative_gap, key, i in sorted(pairs, reverse=True):
        if i in given or key in used or key in contested:
            continue
        if any(j != i and j not in given and s >= score - 0.05 and gap <= max(DRIFT, -negative_gap)
               for s, gap, j in rivals[key]):
            contested.add(key)
            continue
        given[i] = key
        used.add(key)
    _reworded_nearby(claims, olds, keys, at, then, given, used | contested)
    taken = set(given.values()) | contested  # (a claim of other words does not keep a contested key either)
    first = [c.key for c in claims]
    natural = set(first)
    others = {c.key for c in cards if c.extractor != "claims" or not c.moments}
    for i, card in enumerate(claims):
        if i in given:
            card.key = given[i]
            continue
        was = olds.get(card.key)
        # its own key's earlier claim is the one it rewords only if that one stood at this moment too
        # (a claim keeps the key it had when its stamp moved: another claim may stand there now)
        if was is not None and (card.key in taken or was.retired is not None or was.moments[0] != card.moments[0]):
            base = _RANK.sub("", card.key)
            card.key = next(k for k in map(functools.partial(_with_rank, base), itertools.count(2))
                            if k not in taken and k not in olds and k not in others and k not in natural
                            and not held(k))
        taken.add(card.key)
    return {old: c.key for old, c in zip(first, claims, strict=True) if c.key != old}


def _reworded_nearby(claims: list[StoredCard], olds: dict[str, StoredCard], keys: list[str], at: list[int],
                     then: list[int], given: dict[int, str], used: set[str]) -> None:
    """Pair a claim reworded and moved a second or two (a regenerated note: "This frees up room one"
    at 0:58 is "Room one is then free" at 0:59) with the one earlier claim left that near, when neither
    has another such match: as a claim reworded at its own moment keeps its card. Not a claim whose own
    moment had an earlier claim (that one is kept by its moment), nor a retired one."""
    natural = {c.key for c in claims}
    free = [j for j, k in enumerate(keys) if k not in used and k not in natural and olds[k].retired is None]
    if not free:
        return
    # (where the note's stamps all moved, "every stamp 30 s earlier": by as much as most claims told by
    # their words moved)
    index = {k: j for j, k in enumerate(keys)}
    moves = Counter(at[i] - then[index[k]] for i, k in given.items())
    shifts = {0, moves.most_common(1)[0][0]} if moves else {0}
    by_second: dict[int, list[int]] = {}  # looked up by moment: a rewritten note may leave thousands free
    for j in free:
        by_second.setdefault(then[j], []).append(j)
    near = {i: {j for shift in shifts for t in range(at[i] - shift - NUDGE, at[i] - shift + NUDGE + 1)
                for j in by_second.get(t, ())}
            for i, c in enumerate(claims) if i not in given and c.key not in olds}
    wanted = Counter(j for js in near.values() for j in js)
    for i, js in near.items():
        if len(js) == 1 and wanted[next(iter(js))] == 1:
            given[i] = keys[next(iter(js))]


def _split(key: str) -> tuple[str, str]:
    note, _, rest = key.partition("#")
    return note, rest


def _renamed_notes(new: list[StoredCard], gone: dict[str, StoredCard]) -> dict[str, str]:
    """New note key -> old note key, for notes whose file was renamed (most anchors carried over).

    An old note goes to one new note at most: the likeliest, and of equals the one at its path
    (a second ``lecture-1.md`` in another folder renames the first to ``physics/lecture-1``).
    """
    new_by_note: dict[str, set[str]] = {}
    new_path: dict[str, str] = {}
    for c in new:
        note, anchor = _split(c.key)
        new_by_note.setdefault(note, set()).add(anchor)
        new_path[note] = c.note
    old_by_note: dict[str, set[str]] = {}
    old_path: dict[str, str] = {}
    for k, c in gone.items():
        note, anchor = _split(k)
        old_by_note.setdefault(note, set()).add(anchor)
        old_path[note] = c.note
    news, olds = list(new_by_note), list(old_by_note)
    likely: dict[str, list[tuple[float, str]]] = {}
    for score, i, j in alike([new_by_note[n] for n in news], [old_by_note[o] for o in olds]):
        likely.setdefault(news[i], []).append((score, olds[j]))
    claimants: dict[str, list[tuple[float, bool, str]]] = {}
    for note, found in likely.items():
        scores = sorted(found, reverse=True)
        if len(scores) == 1 or scores[1][0] < scores[0][0]:
            old_note = scores[0][1]
            claimants.setdefault(old_note, []).append((scores[0][0], new_path[note] == old_path[old_note], note))
    mapping: dict[str, str] = {}
    for old_note, rivals in claimants.items():
        rivals.sort(reverse=True)
        if len(rivals) == 1 or rivals[0][:2] > rivals[1][:2]:  # tied rivals: neither is the renamed note
            mapping[rivals[0][2]] = old_note
    return mapping


def alike(new: Sequence[AbstractSet[str]], old: Sequence[AbstractSet[str]],
          moments: tuple[Sequence[int], Sequence[int]] | None = None) -> list[tuple[float, int, int]]:
    """(Jaccard, i, j) for each ``new[i]`` and ``old[j]`` at least ``SIMILAR`` alike, in that order;
    with ``moments`` (of each new and each old set), only those at most ``DRIFT`` seconds apart.

    Not each compared with every other (a note's thousands of claims, a vault's thousands of notes):
    two sets that alike share one of the first few words of each when words are ordered rarest first
    (prefix filtering), so only sets that share one of those, at about the same moment, are compared.
    """
    freq = Counter(w for words in old for w in words)

    def prefix(words: AbstractSet[str]) -> list[str]:
        # a set of n words that alike shares at least ceil(SIMILAR * n) of them with the other
        ordered = sorted(words, key=lambda w: (freq[w], w))
        return ordered[:len(ordered) - math.ceil(SIMILAR * len(ordered)) + 1]

    span = DRIFT + 1  # moments at most DRIFT apart are in the same span or the next
    new_at, old_at = moments or ((), ())
    having: dict[tuple[str, int], list[int]] = {}
    for j, words in enumerate(old):
        for w in prefix(words):
            having.setdefault((w, old_at[j] // span if moments else 0), []).append(j)
    found = []
    for i, words in enumerate(new):
        spans = (new_at[i] // span - 1, new_at[i] // span, new_at[i] // span + 1) if moments else (0,)
        first = prefix(words)
        for j in sorted({j for s in spans for w in first for j in having.get((w, s), ())}):
            score = _jaccard(words, old[j])
            if score >= SIMILAR and (not moments or abs(new_at[i] - old_at[j]) <= DRIFT):
                found.append((score, i, j))
    return found


def _owners(note: str, video: str | None) -> list[str]:
    """What a card may be paired by: its note, and its video."""
    return [f"note {note}"] + ([f"video {video}"] if video is not None else [])


def reattach(new: list[StoredCard], previous: dict[str, StoredCard]
             ) -> tuple[list[Reattachment], list[tuple[str, str]]]:
    """Pair cards that have no previous version with previous cards that have no current one (retired
    ones too: a card may come back after a build without it).

    Returns the pairs and, for every card two new cards competed for (neither gets it), the key of
    one contender and a message.
    """
    current = {c.key for c in new}
    gone = {k: c for k, c in previous.items() if k not in current}
    orphans = [c for c in new if c.key not in previous]
    if not gone or not orphans:
        return [], []
    pairs: list[Reattachment] = []
    # a renamed note is told by its anchors alone, among the cards gone in this build; a card retired by
    # an earlier build comes back only by its words (a new note on the same template is no old one restored)
    renamed = _renamed_notes(orphans, {k: c for k, c in gone.items() if c.retired is None})
    for c in orphans:
        note, rest = _split(c.key)
        old_key = f"{renamed[note]}#{rest}" if note in renamed else None
        # a claim's key may be one it kept when its stamp moved (moved_claims): the old note's claim
        # with the same key is this one only if it stood at its moment or was in its words
        if old_key in gone and (c.extractor != "claims" or gone[old_key].moments[:1] == c.moments[:1]
                                or _similarity(c, gone[old_key]) >= SIMILAR):
            pairs.append(Reattachment(c.key, old_key, f"note renamed from {gone[old_key].note}"))
    taken_new = {p.new_key for p in pairs}
    taken_old = {p.old_key for p in pairs}
    candidates: list[tuple[float, str, str]] = []
    gone_words = {k: _words(old) for k, old in gone.items()}  # once each: every orphan is compared with them
    # a card is only ever paired with one of its note's or its video's (there may be thousands of retired
    # cards, and as many new ones after a big paste); a claim is its moment: it may be an earlier claim
    # within DRIFT seconds of it, or one further away in the same words (a stamp corrected by hand).
    # Looked up, not compared with every gone card
    near: dict[tuple[str, int], list[str]] = {}
    same_words: dict[tuple[str, frozenset[str]], list[str]] = {}
    others: dict[str, list[str]] = {}
    for k, old in gone.items():
        for owner in _owners(_split(k)[0], old.video):
            if old.extractor != "claims":
                others.setdefault(owner, []).append(k)
                continue
            if old.moments:
                near.setdefault((owner, old.moments[0]), []).append(k)
            same_words.setdefault((owner, gone_words[k]), []).append(k)
    for c in orphans:
        if c.key in taken_new:
            continue
        note, words = _split(c.key)[0], _words(c)
        owners = _owners(note, c.video) + (_owners(renamed[note], None) if note in renamed else [])
        if c.extractor == "claims":
            at = c.moments[0] if c.moments else None
            found = [k for o in owners for t in (range(at - DRIFT, at + DRIFT + 1) if at is not None else ())
                     for k in near.get((o, t), ())] + [k for o in owners for k in same_words.get((o, words), ())]
        else:
            found = [k for o in owners for k in others.get(o, ())]
        for k in dict.fromkeys(found):
            if k in taken_old or gone[k].extractor != c.extractor:
                continue
            score = _jaccard(words, gone_words[k])
            if score >= SIMILAR:
                candidates.append((score, c.key, k))
    conflicts: list[tuple[str, str]] = []
    best_for_old: dict[str, list[tuple[float, str]]] = {}
    for score, new_key, old_key in candidates:
        best_for_old.setdefault(old_key, []).append((score, new_key))
    for score, new_key, old_key in sorted(candidates, reverse=True):
        if new_key in taken_new or old_key in taken_old:
            continue
        rivals = [n for s, n in best_for_old[old_key] if n != new_key and n not in taken_new and s >= score - 0.05]
        if rivals:
            conflicts.append((new_key, f"{new_key} and {rivals[0]} both resemble the earlier card {old_key}; "
                                       "neither takes its identity"))
            taken_old.add(old_key)
            continue
        pairs.append(Reattachment(new_key, old_key, f"same card, {score:.0%} alike"))
        taken_new.add(new_key)
        taken_old.add(old_key)
    return pairs, conflicts
