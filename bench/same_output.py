#!/usr/bin/env python3
"""A digest of everything build-deck makes from each vault, for changes that must not change output.

    .venv/bin/python bench/same_output.py VAULT [VAULT ...]

Each vault is built at a fixed time into a scratch folder, once in one process and once on the
worker pool, and one digest per vault is printed over the collection's notes and cards (ids,
GUIDs, change times, tags, fields, decks), the note types and decks, and the state's cards and
notes. A speed-up should print the same digests before and after; the two builds of a vault must
agree (else the line says PARALLEL DIFFERS).
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cardgen.pipeline import BuildOptions, build_deck  # noqa: E402

QUERIES = (
    "SELECT n.id, n.guid, n.mid, n.mod, n.tags, n.flds, k.did, s.key, s.note, s.pos, s.fp, s.line, s.moments, "
    "s.deck FROM pkg.notes n JOIN pkg.cards k ON k.nid = n.id JOIN cards s ON s.nid = n.id ORDER BY s.key",
    "SELECT models, decks FROM pkg.col",
    "SELECT rel, hash, video, deck, diagnostics, keys, unlinked FROM notes ORDER BY rel",
)


def digest(vault: Path, jobs: int) -> str:
    with tempfile.TemporaryDirectory(prefix="cardgen-same-") as tmp:
        out = Path(tmp)
        build_deck(BuildOptions(vault, out, timestamp=1_760_000_000, jobs=jobs))
        (state,) = out.glob(".cardgen/*.state.db")
        h = hashlib.sha256()
        conn = sqlite3.connect(state)
        try:
            conn.execute("ATTACH ? AS pkg", (str(state.with_name(state.name.replace(".state.db", ".anki2"))),))
            for query in QUERIES:
                for row in conn.execute(query):
                    h.update(repr(row).encode())
            cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
        finally:
            conn.close()
        return f"{h.hexdigest()[:16]} ({cards} cards)"


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for vault in sys.argv[1:]:
        alone, pooled = digest(Path(vault), 1), digest(Path(vault), 2)
        print(vault, alone, "" if alone == pooled else f"PARALLEL DIFFERS: {pooled}")


if __name__ == "__main__":
    main()
