"""What a rebuild changes: new, updated, unchanged, re-attached and retired cards.

Each card keeps the time its content last changed as its Anki modification time, so a rebuild
with no change re-imports as a no-op, an edited card updates, and a card the learner edited or
tagged in Anki keeps the learner's version until its source really changes.

The planner sees only the notes that changed; the cards of the others stay as they are in the
state and the kept collection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson

from cardgen.apkg.collection import drop_note, put_notes
from cardgen.apkg.models import SOURCE_FIELD, STATUS_FIELD
from cardgen.concepts import merged_definition
from cardgen.faults import checkpoint
from cardgen.ids import Reattachment, card_guid, concept_key, moved_claims, ranked_keys, reattach, settle_ranks
from cardgen.markup import escape
from cardgen.settings import RETIRE_DAYS, RETIRED_TAG
from cardgen.state import NoteRecord, Previous, Store, StoredCard, previous_of
from cardgen.timestamps import human


@dataclass
class Changes:
    new: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    unchanged: int = 0
    reattached: list[Reattachment] = field(default_factory=list)
    retired: list[tuple[str, str]] = field(default_factory=list)  # (key, note) newly retired in this build
    still_retired: int = 0
    pruned: list[str] = field(default_factory=list)  # retired long enough: no longer packaged
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (a contender's key, its note, message)


def _retire(card: StoredCard, now: int, why: str = "") -> None:
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    card.fields[STATUS_FIELD] = escape(
        f"Retired on {day}: {why or f'its source is gone from {card.note}'}. Find every retired card with the "
        f"search tag:{RETIRED_TAG} in Anki's browser, and delete them when you no longer want them.")
    card.tags = sorted({*card.tags, RETIRED_TAG})
    card.retired = now


def _unlined(source: str) -> str:
    """The Source field without its line: ``<a href="…">note.md:12</a>`` -> ``<a href="…">note.md``."""
    return source.rpartition(":")[0]


class Planner:
    """Writes each changed note's cards into the state and the kept collection, then settles the rest.

    ``namespace`` (the top deck's name) keeps two vaults' GUIDs apart.
    """

    def __init__(self, store: Store, records: dict[str, NoteRecord], namespace: str, now: int,
                 retire_days: int = RETIRE_DAYS):
        self.store, self.records, self.namespace, self.now = store, records, namespace, now
        self.retire_days = retire_days
        self.changes = Changes()
        self.dirty = False  # the collection changed
        self._track = store.has_cards()  # an empty state has nothing to re-attach to or retire
        self._pruned = store.has_pruned()  # (even when every card was pruned)
        self._given: set[str] = set()  # GUIDs of this build's new cards, while pruned ones may come back
        self.index_after = not self._track  # the state's cards get their indexes after the build commits
        if self.index_after:
            store.index_later()
        self._definitions: dict[str, Previous] = {}  # key -> a first build's own definition cards
        self._gone_definitions: dict[str, tuple[Previous, StoredCard]] | None = None  # see _earlier_self
        self._orphans: list[str] = []  # keys of new cards: they may be old cards re-worded
        self._maybe_gone: set[str] = set()  # keys of cards whose note changed or went
        self._seen: dict[str, tuple[str, int]] = {}  # key -> (note, line), for the cards of this build's changed notes
        self._next_nid = store.next_nid(now * 1000)
        self.per_note: dict[str, dict[str, int]] = {}  # note -> kind of change -> cards
        self._touched: set[str] = set()  # terms whose definitions changed
        self._defined: set[str] = set()  # terms the notes of this build define
        recovered = store.get("recovered_terms")  # a state taken back from the deck (cardgen.recover)
        if recovered:
            self._touched.update(orjson.loads(recovered))
            store.put("recovered_terms", None)

    def settle(self, rel: str, cards: list[StoredCard], previous: dict[str, Previous]) -> bool:
        """Cards of the note take the keys of the earlier cards they are, when their own keys would give
        them another card's identity: cards told apart by their rank, reordered (``settle_ranks``), and
        claims whose stamps moved onto other claims' earlier moments (``moved_claims``). ``previous``: the
        earlier cards at the cards' keys. True when a key changed."""
        record = self.records.get(rel)
        if not self._track or record is None:
            return False
        keys = {c.key for c in cards}
        ranked = ranked_keys(record.keys) or ranked_keys(list(keys))
        # a claim may have moved onto another's moment when a claim key of the note is gone, or when a
        # claim's key held other content before (two stamps swapped, or a claim put where another was)
        shifted = any("#claims#" in k and k not in keys for k in record.keys) or any(
            c.extractor == "claims" and c.key in previous and previous[c.key].fp != c.fp for c in cards)
        if not ranked and not shifted:
            return False
        wanted = record.keys if ranked else [k for k in record.keys if "#claims#" in k]  # (claims are moved alone)
        earlier = {k: self.store.prev_card(p) for k, p in self.store.previous(wanted).items() if p.retired is None}
        moved = set(settle_ranks(cards, earlier, self.store.held_elsewhere).values()) if ranked else set()
        claims = [c for c in cards if c.extractor == "claims"]
        if shifted and claims:
            # and the note's retired claims: one may come back, and a claim of other words at a retired
            # claim's key is not its return
            note_key = claims[0].key.partition("#")[0]
            retired = {p.key: self.store.prev_card(p) for p in self.store.retired_claims(note_key)
                       if p.key not in earlier}
            olds = earlier | retired
            settled = moved_claims(cards, olds, self.store.held_elsewhere)
            by_key = {c.key: c for c in claims} if settled else {}
            for first, key in settled.items():
                moved.add(key)
                card = by_key[key]
                if key in olds and olds[key].moments[:1] != card.moments[:1]:  # (not a key settled before)
                    self.changes.reattached.append(Reattachment(first, key, (
                        f"same claim, its stamp moved from {human(olds[key].moments[0])} to {human(card.moments[0])}")))
        for card in cards:
            if card.key in moved:  # the workers made its GUID from the key it had
                card.guid = card_guid(self.namespace, card.key)
        return bool(moved)

    def previous(self, cards: list[StoredCard]) -> dict[str, Previous]:
        return self.store.previous([c.key for c in cards]) if self._track else {}

    def clash(self, rel: str, cards: list[StoredCard], previous: dict[str, Previous],
              present: set[str]) -> tuple[StoredCard, str] | None:
        """The first card whose key another card holds (in this note, another note of this build, or a
        note still in the vault), with the holder's ``file:line``."""
        seen: dict[str, tuple[str, int]] = {}
        for card in cards:
            holder = self._seen.get(card.key) or seen.get(card.key)
            prev = previous.get(card.key) if holder is None and previous else None
            if prev and prev.note != rel and prev.note in present and prev.retired is None:
                holder = (prev.note, prev.line)
            if holder:
                return card, f"{holder[0]}:{holder[1]}"
            seen[card.key] = (rel, card.line)
        return None

    def note(self, rel: str, cards: list[StoredCard], previous: dict[str, Previous]) -> list[StoredCard]:
        """Plan and write the cards of a changed note (``previous``: their earlier versions); the cards
        that stay the note's own (a definition of a term several notes define goes into one card)."""
        self._may_go(rel)
        if self._track:
            self._touched.update(self.store.terms_of(rel))
        definitions = [c for c in cards if c.concept]
        self.store.set_definitions(rel, definitions, fresh=not self._track)
        self._touched.update(c.concept for c in definitions)
        # a definition whose term already has its one card, or that a note before it in this build (or
        # this note, earlier) defines too, joins that term's one card: no card of its own to write
        shared, defined = self._shared({c.concept for c in definitions}), self._defined
        own = [c for c in cards if c.concept not in shared and c.concept not in defined]
        self._defined.update(c.concept for c in definitions)
        written = []
        for pos, card in enumerate(own):
            card.pos = pos
            self._seen[card.key] = (rel, card.line)
            prev = previous.get(card.key)
            if self._plan(card, prev) != "unchanged" or prev is None or prev.note != rel or prev.deck != card.deck:
                written.append(card)
        self.store.save_cards(own)
        if not self._track:  # the one card of a term takes its identity from one of these (_concepts)
            self._definitions.update((c.key, previous_of(c)) for c in own if c.concept)
        if written:
            put_notes(self.store.conn, written)
            self.dirty = True
        checkpoint()  # a kill here leaves a half-done transaction: SQLite rolls it back
        return own

    def _plan(self, card: StoredCard, prev: Previous | None) -> str:
        """Set the card's GUID, note id and change time from its earlier version; count it."""
        card.fp = card.fp or card.fingerprint()
        if prev is None:
            card.guid = self._free_guid(card)
            card.mod, card.nid = self.now, self._new_nid()
            self.changes.new.add(card.key)
            if self._track:
                self._orphans.append(card.key)
            kind = "new"
        else:
            card.guid, card.nid = prev.guid, prev.nid
            if prev.retired is None and (
                    prev.fp == card.fp or (prev.line != card.line and self._moved_only(card, prev))):
                card.mod = prev.mod
                self.changes.unchanged += 1
                kind = "unchanged"
            else:
                card.mod = max(self.now, prev.mod + 1)  # Anki updates only strictly newer notes
                self.changes.updated.add(card.key)
                kind = "updated"
        self._count(card.note, kind, 1)
        return kind

    def _moved_only(self, card: StoredCard, prev: Previous) -> bool:
        """Whether ``card`` differs from its earlier self only by its line in its note (the Source field's
        "note.md:12"), as when text above it was edited. Written again, it would replace in Anki what the
        learner changed of it, for nothing: it keeps the line it had until it changes."""
        old = self.store.prev_card(prev)
        return (old.kind == card.kind and old.deck == card.deck and sorted(old.tags) == sorted(card.tags)
                and len(old.fields) == len(card.fields)
                and all(a == b or (i == SOURCE_FIELD and _unlined(a) == _unlined(b))
                        for i, (a, b) in enumerate(zip(old.fields, card.fields, strict=True))))

    def _shared(self, terms: set[str]) -> set[str]:
        """The terms that already have one card for all the notes defining them."""
        # only a term's first build with several definers makes its card: none yet in an empty state
        found = self.store.previous([concept_key(t) for t in sorted(terms)]) if terms and self._track else {}
        return {t for t in terms if concept_key(t) in found}

    def _concepts(self) -> None:
        """One card per term that several notes define, listing every note's moment.

        Once a term has its card it keeps it (and its GUID) as notes come and go, down to one note;
        with none left it retires like any card. The first time, it takes over the identity of a
        note's own card of the term (one from an earlier build first), so reviews of that card carry over.
        """
        made: list[StoredCard] = []
        for term in sorted(self._touched):
            key = concept_key(term)
            prev = self.store.previous([key]).get(key) if self._track else None
            if prev is None and self.store.definer_count(term) < 2:
                continue
            members = self.store.definers(term)
            if not members:
                self._maybe_gone.add(key)
                continue
            own = [p for p in self._current([m.key for m in members]).values() if p.retired is None]
            # the card whose identity the one card takes: one the learner may have studied, before a new one,
            # and one as it was, before one changed in this build ("Explain the tip: …" made a definition)
            heir = min(own, key=lambda p: (p.key in self.changes.new, p.key in self.changes.updated, p.note, p.pos)
                       ) if prev is None and own else None
            born_now = heir is not None and heir.key in self.changes.new
            earlier = self._earlier_self(heir) if born_now and heir is not None else None
            if earlier is not None:  # new only by its key (its note was renamed in this build): its earlier self
                own.append(earlier)
                heir, born_now = earlier, False
            if heir is not None and not born_now:
                self.changes.reattached.append(Reattachment(key, heir.key, f"one card for a term {len(members)} "
                                                                            "notes define"))
            for p in own:  # the notes' own cards of the term become the one card
                self._maybe_gone.discard(p.key)
                packaged = self._track and p.key not in self.changes.new  # (before _uncount forgets it)
                if p is not earlier:  # (that one was never counted in this build)
                    self._uncount(p.key, p.note)
                if heir is not None and p.nid == heir.nid:
                    self.store.drop_card(p.nid)
                elif not packaged:  # never in a deck: gone
                    self.store.drop_card(p.nid)
                    drop_note(self.store.conn, p.nid)
                else:  # in the learner's collection, reviews and all: retired, as a card whose source went
                    self._retire_card(p, f"{p.note} and other notes define this term, and now share one card for it")
            card = merged_definition(key, members)
            self._seen[key] = (card.note, card.line)
            if born_now:  # new in this build anyway: it is simply new, under the GUID its note's card got
                assert heir is not None
                card.fp, card.guid, card.nid, card.mod = card.fingerprint(), heir.guid, heir.nid, self.now
                self.changes.new.add(key)
                self._count(card.note, "new", 1)
            else:
                self._plan(card, prev or heir)
            made.append(card)
            if len(made) == 256:  # a few at a time: all of a big vault's at once weigh tens of MB
                self._write(made)
                made = []
        self._write(made)

    def _earlier_self(self, card: Previous) -> Previous | None:
        """The card gone in this build that ``card``, new in it, is (its note renamed, or its words alike):
        ``_reattach`` would pair them, but it runs after the one card of a term has taken ``card``'s place."""
        if self._gone_definitions is None:  # read once for all the terms of the build
            self._gone_definitions = {
                k: (p, self.store.prev_card(p)) for k, p in
                self.store.previous(sorted(self._maybe_gone - self._seen.keys())).items()
                if p.retired is None and p.extractor == "callouts"}
        gone = self._gone_definitions
        if card.extractor != "callouts" or not gone:
            return None
        pairs, _ = reattach([self.store.prev_card(card)], {k: whole for k, (_, whole) in gone.items()})
        return gone.pop(pairs[0].old_key)[0] if pairs else None

    def _write(self, cards: list[StoredCard]) -> None:
        """Save cards to the state and the collection."""
        if cards:
            self.store.save_cards(cards)
            put_notes(self.store.conn, cards)
            self.dirty = True

    def _current(self, keys: list[str]) -> dict[str, Previous]:
        """The state's cards at ``keys``: a first build's from memory, as its key index is not made yet."""
        if not self._track:
            return {k: self._definitions[k] for k in keys if k in self._definitions}
        return self.store.previous(keys)

    def _uncount(self, key: str, note: str) -> None:
        """Take back what planning counted for a card that became part of a term's one card."""
        for kind, listed in (("new", self.changes.new), ("updated", self.changes.updated)):
            if key in listed:
                listed.discard(key)
                self._count(note, kind, -1)
                return
        if note in self.per_note and self.per_note[note].get("unchanged"):
            self.changes.unchanged -= 1
            self._count(note, "unchanged", -1)

    def gone(self, rel: str) -> None:
        """A note that left the vault (or opted out): its cards may be re-attached, else retire."""
        self._may_go(rel)
        self._touched.update(self.store.terms_of(rel))
        self.store.set_definitions(rel, [])
        self.store.drop_note(rel)

    def unchanged(self, rel: str, n: int) -> None:
        self.changes.unchanged += n
        if n:
            self.per_note[rel] = {"unchanged": n}

    def finish(self) -> Changes:
        """One card per shared term, then re-attach, retire and prune; the changes of the whole build."""
        self._concepts()
        gone = {k: p for k, p in self.store.previous(sorted(self._maybe_gone - self._seen.keys())).items()
                if p.retired is None}
        if self._orphans:
            # a card retired by an earlier build may come back too: a note deleted, then restored under
            # another name, or a claim cut and pasted back, with a build in between. Only one of a new
            # card's note or video can: those alone are read whole (thousands may be retired)
            fresh = self.store.previous(self._orphans)
            notes = {key.partition("#")[0] for key in self._orphans}
            videos = {p.video for p in fresh.values() if p.video is not None}
            retired = {p.key: p for p in self.store.retired_before(self.now + 1)
                       if p.key not in self._seen and (p.key.partition("#")[0] in notes or p.video in videos)}
            if gone or retired:
                self._reattach(fresh, gone, retired)
        for key in sorted(gone):
            self._retire_card(gone[key])
        for old in self.store.retired_before(self.now - self.retire_days * 86400):
            self.store.prune_card(old)
            drop_note(self.store.conn, old.nid)
            self.dirty = True
            self.changes.pruned.append(old.key)
        self.changes.still_retired = self.store.count_retired() - len(self.changes.retired)
        self.store.put("next_nid", self._next_nid)
        return self.changes

    def _retire_card(self, prev: Previous, why: str = "") -> None:
        card = self.store.prev_card(prev)
        _retire(card, self.now, why)
        card.fp, card.mod = card.fingerprint(), max(self.now, card.mod + 1)
        self._write([card])
        self.changes.retired.append((card.key, card.note))
        self._count(card.note, "retired", 1)

    def _may_go(self, rel: str) -> None:
        if self._track and rel in self.records:
            self._maybe_gone.update(self.records[rel].keys)

    def _reattach(self, fresh: dict[str, Previous], gone: dict[str, Previous], retired: dict[str, Previous]) -> None:
        """New cards (``fresh``: this build's, as saved) that are gone cards (``gone`` went in this build,
        ``retired`` before) take their Anki notes."""
        pairs, conflicts = reattach([self.store.prev_card(fresh[k]) for k in self._orphans if k in fresh],
                                    {k: self.store.prev_card(p) for k, p in (retired | gone).items()})
        self.changes.conflicts = [(key, fresh[key].note, message) for key, message in conflicts]
        for pair in pairs:
            if pair.old_key in retired:
                pair = Reattachment(pair.new_key, pair.old_key, f"{pair.reason}, back from retirement")
            old = gone.pop(pair.old_key, None) or retired.pop(pair.old_key)
            card = self.store.prev_card(fresh[pair.new_key])
            self.store.drop_card(old.nid)
            drop_note(self.store.conn, old.nid)
            drop_note(self.store.conn, card.nid)
            self._uncount(card.key, card.note)
            self._plan(card, old)  # the card takes over the Anki note of its earlier self
            self._write([card])
            self.changes.reattached.append(pair)

    def _count(self, rel: str, kind: str, n: int) -> None:
        counts = self.per_note.setdefault(rel, {})
        counts[kind] = counts.get(kind, 0) + n
        if not counts[kind]:
            del counts[kind]

    def _new_nid(self) -> int:
        self._next_nid += 1
        return self._next_nid - 1

    def _free_guid(self, card: StoredCard) -> str:
        """The key's GUID (the workers computed it), unless a re-attached or retired card already carries it."""
        guid, n = card.guid or card_guid(self.namespace, card.key), 1
        if self._pruned:  # a card pruned long ago comes back as the Anki note it was (its GUID may be inherited)
            guid = self.store.pruned_guid(card.key) or guid
        # (an inherited GUID may be another new card's own: with pruned cards about, this build's GUIDs
        # are remembered, for a build with no card in its state finds none there)
        while (self._track and self.store.guid_taken(guid)) or guid in self._given:
            n += 1
            guid = card_guid(self.namespace, f"{card.key}~{n}")
        if self._pruned:
            self._given.add(guid)
        return guid
