"""Shared fixtures: a vault in tmp_path, a build helper, and a stdlib reader for built decks."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cardgen.apkg.package import unpack_collection
from cardgen.pipeline import BuildOptions, BuildReport, build_deck

REPO = Path(__file__).resolve().parent.parent
T0 = 1_760_000_000.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current output")


@pytest.fixture(autouse=True)
def _away_from_the_repo(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in an empty folder: a command's defaults (``notes``, ``decks``, ``templates``)
    must never meet the repository's own, e.g. the deck ``make deck`` built, whose state a preview
    would then start from."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _decks_of_several_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deck packs its collection as zstd frames of 1 MiB: far more than a test's notes make. Small
    frames give every test's deck several, so that whatever reads a deck (Anki, recovery) is tried on them."""
    from cardgen.apkg import package

    monkeypatch.setattr(package, "FRAME_BYTES", 16384)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


class Vault:
    """A notes folder in tmp_path: ``write`` notes, ``build`` them, ``cards`` read the result back."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "notes"
        self.out = root / "decks"
        self.dir.mkdir()

    def write(self, rel: str, text: str, dedent: bool = True) -> Path:
        path = self.dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n") if dedent else text, encoding="utf-8")
        return path

    def build(self, timestamp: float = T0, **kw: object) -> BuildReport:
        return build_deck(BuildOptions(notes_dir=self.dir, out_dir=self.out, timestamp=timestamp, **kw))

    def cards(self, deck: str = "notes") -> list[dict]:
        return read_apkg(self.out / f"{deck}.apkg")


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(tmp_path)


@pytest.fixture
def col(tmp_path: Path) -> Iterator:
    """A fresh, empty Anki collection under tmp_path (the real backend: the oracle for imports)."""
    from anki.collection import Collection  # only the tests that import into Anki pay for loading it

    (tmp_path / "anki").mkdir()
    c = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        yield c
    finally:
        c.close()


def read_apkg(path: Path) -> list[dict]:
    """Notes of a package: guid, notetype, mod, tags, fields by name, deck; in package order."""
    with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory() as tmp:
        assert z.read("meta") == b"\x08\x03", "the package declares collection.anki21b"
        collection = Path(tmp) / "collection.anki2"
        unpack_collection(path, collection)
        db = sqlite3.connect(collection)
        try:
            models_json, decks_json = db.execute("select models, decks from col").fetchone()
            models = {int(k): m for k, m in json.loads(models_json).items()}
            decks = {int(k): d["name"] for k, d in json.loads(decks_json).items()}
            card_deck = dict(db.execute("select nid, did from cards"))
            out = []
            for nid, guid, mid, mod, tags, flds in db.execute(
                    "select id, guid, mid, mod, tags, flds from notes order by id"):
                names = [f["name"] for f in sorted(models[mid]["flds"], key=lambda f: f["ord"])]
                out.append({"guid": guid, "notetype": models[mid]["name"], "mod": mod, "tags": tags.split(),
                            "fields": dict(zip(names, flds.split("\x1f"), strict=True)),
                            "deck": decks[card_deck[nid]]})
            return out
        finally:
            db.close()


Reader = Callable[[Path], list[dict]]
