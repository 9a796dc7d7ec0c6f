"""What a rebuild changes: new, updated, unchanged, re-attached and retired cards.

Each card keeps the time its content last changed as its Anki modification time, so a rebuild
with no change re-imports as a no-op, an edited card updates, and a card the learner edited or
tagged in Anki keeps the learner's version until its source really changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from cardgen.apkg.models import STATUS_FIELD
from cardgen.ids import Reattachment, card_guid, reattach
from cardgen.markup import escape
from cardgen.settings import RETIRE_DAYS, RETIRED_TAG
from cardgen.state import State, StoredCard


@dataclass
class Changes:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reattached: list[Reattachment] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # newly retired in this build
    still_retired: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)  # retired long enough: no longer packaged
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (a contender's key, message)


def _retire(card: StoredCard, now: int) -> StoredCard:
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    fields = list(card.fields)
    fields[STATUS_FIELD] = escape(
        f"Retired on {day}: its source is gone from {card.note}. Find every retired card with the "
        f"search tag:{RETIRED_TAG} in Anki's browser, and delete them when you no longer want them.")
    return replace(card, fields=fields, tags=sorted({*card.tags, RETIRED_TAG}), retired=now)


def plan(fresh: list[StoredCard], state: State, namespace: str, now: int,
         retire_days: int = RETIRE_DAYS) -> tuple[list[StoredCard], Changes]:
    """The cards to package, in order, with GUID, fingerprint and modification time set.

    ``namespace`` (the top deck's name) keeps two vaults' GUIDs apart.
    """
    changes = Changes()
    changes.reattached, changes.conflicts = reattach(fresh, state.cards)
    old_key_of = {r.new_key: r.old_key for r in changes.reattached}
    previous = {c.key: state.cards.get(c.key) or state.cards.get(old_key_of.get(c.key, "")) for c in fresh}
    # every GUID already held (inherited now, or kept by a retired card) is off limits for new cards
    used = {c.guid for c in state.cards.values()}
    out: list[StoredCard] = []
    for card in fresh:
        prev = previous[card.key]
        card.guid = prev.guid if prev else _free_guid(namespace, card.key, used)
        used.add(card.guid)
        card.fp = card.fp or card.fingerprint()  # a card from the cache keeps its fingerprint
        if prev is None:
            card.mod = now
            changes.new.append(card.key)
        elif prev.fp == card.fp:
            card.mod = prev.mod
            changes.unchanged.append(card.key)
        else:
            card.mod = max(now, prev.mod + 1)  # Anki updates only strictly newer notes
            changes.updated.append(card.key)
        out.append(card)
    current = {c.key for c in out} | set(old_key_of.values())
    for key in sorted(k for k in state.cards if k not in current):
        old = state.cards[key]
        if old.retired is None:
            gone = _retire(old, now)
            gone.fp, gone.mod = gone.fingerprint(), max(now, old.mod + 1)
            changes.retired.append(key)
        elif now - old.retired > retire_days * 86400:
            changes.pruned.append(key)
            continue
        else:
            gone = old
            changes.still_retired.append(key)
        out.append(gone)
    return out, changes


def _free_guid(namespace: str, key: str, used: set[str]) -> str:
    """The key's GUID, unless a re-attached card already carries it."""
    guid, n = card_guid(namespace, key), 1
    while guid in used:
        n += 1
        guid = card_guid(namespace, f"{key}~{n}")
    return guid
