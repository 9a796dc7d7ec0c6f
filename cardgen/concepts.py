"""One concept, one card: a term several notes define becomes one definition card.

Five videos defining "entropy" should not give five near-identical cards to review. The one card
asks the first note's question with its answer, and links every note's moment and every note.
"""

from __future__ import annotations

from cardgen.state import StoredCard

_CONTEXT, _MOMENT, _SOURCE = 2, 3, 4  # field positions (cardgen.apkg.models)


SHOWN = 12  # notes listed on the card; a term that fifty notes define would bury the answer


def merged_definition(key: str, members: list[StoredCard]) -> StoredCard:
    """The one card for the term that ``members`` (one definition card per note, in note order) define."""
    first, shown = members[0], members[:SHOWN]
    more = f' <span class="cg-from">and {len(members) - SHOWN} more notes</span>' if len(members) > SHOWN else ""
    fields = list(first.fields)
    fields[_MOMENT] = " · ".join(f'{m.fields[_MOMENT]} <span class="cg-from">{_title(m)}</span>'
                                 for m in shown if m.fields[_MOMENT]) + more
    fields[_SOURCE] = "<br>".join(m.fields[_SOURCE] for m in shown) + more
    tags = list(dict.fromkeys(t for m in members for t in m.tags))
    moments = list(dict.fromkeys(s for m in members for s in m.moments))
    return StoredCard(key=key, note=first.note, extractor=first.extractor, kind=first.kind, deck=first.deck,
                      tags=tags, fields=fields, moments=moments, line=first.line, video=first.video,
                      pos=first.pos, concept=first.concept)


def _title(card: StoredCard) -> str:
    """The note's title, from the card's breadcrumb (already HTML-escaped)."""
    return card.fields[_CONTEXT].split(" › ", 1)[0]
