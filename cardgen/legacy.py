"""The JSON build state of cardgen 0.1 (``<deck>.cardgen.json``), taken over once by the SQLite state.

It matters: a card re-attached in an earlier build carries a GUID its key no longer gives, and
only the old state knows it. Without it those cards would come back as duplicates.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from cardgen.apkg.collection import put_notes
from cardgen.state import Store, StoredCard


def _states(out_dir: Path, stem: str) -> tuple[Path, Path]:
    """The old state and its backup."""
    base = out_dir / f"{stem}.cardgen.json"
    return base, base.with_name(base.name + ".bak")


def legacy_files(out_dir: Path, stem: str) -> list[Path]:
    """Every file the old state left: itself, its backup, its snapshot."""
    return [p for p in (*_states(out_dir, stem), out_dir / f"{stem}.cardgen.snapshot.json") if p.exists()]


def migrate_legacy(store: Store, out_dir: Path, stem: str, first_nid: int) -> bool:
    """Fill an empty ``store`` from the old JSON state (or its backup); True when there was one."""
    for path in _states(out_dir, stem):
        try:
            data = orjson.loads(path.read_bytes())
            cards = [StoredCard(**c) for c in data["cards"].values()] if data.get("version") == 1 else None
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if cards is None:
            continue
        for n, card in enumerate(cards):  # no note is remembered: each is read again and compared with these
            card.nid = first_nid + n
        store.save_cards(cards)
        put_notes(store.conn, cards)
        store.put("next_nid", first_nid + len(cards))
        return True
    return False
