"""Delivery straight into Anki: ``--into COLLECTION`` and ``--anki-connect``, on real collections.

``--into`` is checked against a real collection opened by the ``anki`` library; ``--anki-connect``
against a loopback server that holds a real collection open and imports the way AnkiConnect does
(tests/ankiconnect_standin.py says why it is a stand-in).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from anki.collection import Collection
from conftest import REPO, Vault, read_apkg
from typer.testing import CliRunner

from cardgen.apkg.models import BASIC_MODEL_ID, CLOZE_MODEL_ID
from cardgen.cli import app
from cardgen.deliver import DeliveryError, into_collection, to_anki_connect
from cardgen.settings import RETIRED_TAG

T = float(int(time.time()) - 3600)  # builds in the past: Anki keeps a future mod and skips later updates
STANDIN = Path(__file__).parent / "ankiconnect_standin.py"

LEAF = """
---
title: How leaves work
videoId: PhT0synTh3s
---

## Light Reactions

The light reactions split water and release **oxygen** <a class="yt-timestamp" data-t="00:02:03">[00:02:03]</a>.

> [!info] Stroma
> {stroma}

## Calvin Cycle

The enzyme **RuBisCO** fixes carbon dioxide into sugar [00:47:47](#t=00:47:47).
{extra}"""
STROMA = ("The stroma is the fluid that fills the chloroplast.", "The stroma is the dense liquid of the chloroplast.",
          "The stroma is where the Calvin cycle runs.")
EXTRA = """
## Dark Side

Plants respire at night and take in **oxygen** [01:10](#t=01:10).
"""


def new_collection(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "collection.anki2"
    Collection(str(path)).close()
    return path


@contextmanager
def opened(path: Path) -> Iterator[Collection]:
    col = Collection(str(path))
    try:
        yield col
    finally:
        col.close()


@contextmanager
def anki_running(collection: Path) -> Iterator[str]:
    """Anki with AnkiConnect on a free loopback port, holding ``collection`` open; yields its URL."""
    proc = subprocess.Popen([sys.executable, str(STANDIN), str(collection)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        port = proc.stdout.readline().strip()
        assert port.isdigit(), f"the AnkiConnect stand-in did not start (exit {proc.poll()})"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stdin.close()  # the stand-in stops and closes the collection
        proc.stdout.close()
        assert proc.wait(timeout=30) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def snapshot(col: Collection) -> dict[str, dict]:
    """Every note by guid: note id, the Stroma answer, tags, and its card's scheduling and suspension."""
    out = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        (card,) = note.cards()
        out[note.guid] = {"nid": nid, "fields": dict(note.items()), "tags": set(note.tags), "mid": note.mid,
                          "sched": (card.id, card.type, card.due, card.ivl, card.reps, card.lapses, card.factor),
                          "suspended": card.queue == -1}
    return out


def ours(shot: dict[str, dict]) -> dict[str, dict]:
    return {g: s for g, s in shot.items() if s["mid"] in (BASIC_MODEL_ID, CLOZE_MODEL_ID)}


def study(col: Collection, answers: int) -> None:
    """Answer the first cards of the queue through the real scheduler (Good, Easy, Again...)."""
    col.decks.select(col.decks.id_for_name("notes"))
    for ease in [3, 4, 1, 4, 3, 4][:answers]:
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, ease)


def edit_rounds(vault: Vault, collection: Path, deliver: Callable[[Path], object]) -> list[dict[str, dict]]:
    """Build and deliver three times: the first build, then two rounds of edits, studying in between.

    Round 1 edits a definition and removes a section (its cards retire); round 2 edits the definition
    again and brings the section back. Checked each round: every edit updated its note in place,
    nothing is duplicated, every review and scheduling state survived. Returns the snapshots.
    """
    apkg = vault.out / "notes.apkg"
    shots: list[dict[str, dict]] = []
    studied: dict[str, dict] = {}  # the collection after the last study session
    reviews = 0
    for r in range(3):
        vault.write("leaf.md", LEAF.format(stroma=STROMA[r], extra="" if r == 1 else EXTRA))
        report = vault.build(timestamp=T + 60 * r)
        assert not report.errors and report.written
        deliver(apkg)
        with opened(collection) as col:
            shot = snapshot(col)
            shots.append(shot)
            assert col.db.scalar("select count() - count(distinct guid) from notes") == 0
            assert len(ours(shot)) == sum(report.cards.values()) + report.changes["retired"] + report.changes["still_retired"]
            stroma = [s for s in shot.values() if "stroma" in s["fields"].get("Back", "")]
            assert len(stroma) == 1 and STROMA[r] in stroma[0]["fields"]["Back"]
            if studied:
                assert studied.keys() <= shot.keys(), "a note was replaced instead of updated"
                assert {g: shot[g]["nid"] for g in studied} == {g: s["nid"] for g, s in studied.items()}
                assert {g: shot[g]["sched"] for g in studied} == {g: s["sched"] for g, s in studied.items()}, \
                    "scheduling changed by the import"
                assert col.db.scalar("select count() from revlog") == reviews, "reviews lost"
            study(col, 3)
            reviews = col.db.scalar("select count() from revlog")
            studied = snapshot(col)
            assert sum(s["sched"][4] for s in studied.values()) == reviews == 3 * (r + 1)
    assert shots[0].keys() == shots[2].keys()
    retired = {g for g, s in ours(shots[1]).items() if RETIRED_TAG in s["tags"]}
    assert len(retired) == 2 and not any(RETIRED_TAG in s["tags"] for s in ours(shots[2]).values())
    return shots


def test_into_two_rounds_of_edits_keep_reviews_suspend_retired_and_back_up(vault: Vault, tmp_path: Path) -> None:
    collection = new_collection(tmp_path / "profile")
    with opened(collection) as col:  # the learner's own note, tagged like a retired one: never touched
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note.tags = "mine", [RETIRED_TAG]
        col.add_note(note, col.decks.id("Mine"))
    deliveries: list[object] = []
    shots = edit_rounds(vault, collection,
                        lambda apkg: deliveries.append(into_collection(apkg, collection, True, keep=2)))

    retired = {g for g, s in ours(shots[1]).items() if RETIRED_TAG in s["tags"]}
    assert [(d.imported["new"], d.imported["updated"], d.suspended, d.unsuspended) for d in deliveries] == \
        [(len(shots[0]) - 1, 0, 0, 0), (0, 3, 2, 0), (0, 3, 0, 2)], [d.as_dict() for d in deliveries]
    assert {g for g, s in shots[1].items() if s["suspended"]} == retired
    assert not any(s["suspended"] for s in shots[2].values()), "cards that came back stay suspended"
    assert any(s["fields"].get("Front") == "mine" and not s["suspended"] for s in shots[1].values())

    # the last two backups are kept, each a copy of the collection just before its delivery
    backups = sorted((collection.parent / "cardgen-backups").iterdir())
    assert [Path(d.backup) for d in deliveries[1:]] == backups
    with opened(backups[-1]) as col:
        assert snapshot(col).keys() == shots[1].keys()
        assert sum(s["suspended"] for s in snapshot(col).values()) == 2


def test_suspension_is_cardgens_once_and_only_on_its_own_cards(vault: Vault, tmp_path: Path) -> None:
    collection = new_collection(tmp_path / "profile")
    vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=EXTRA))
    vault.build(timestamp=T)
    into_collection(vault.out / "notes.apkg", collection)
    vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=""))
    vault.build(timestamp=T + 60)
    into_collection(vault.out / "notes.apkg", collection, True)
    with opened(collection) as col:  # the learner unsuspends one of them, and suspends another card
        first, second = col.find_cards(f"tag:{RETIRED_TAG}")
        col.sched.unsuspend_cards([first])
        mine = col.find_cards(f"-tag:{RETIRED_TAG}")[0]
        col.sched.suspend_cards([mine])
    done = into_collection(vault.out / "notes.apkg", collection, True)
    assert (done.suspended, done.unsuspended) == (0, 0), "cardgen suspended a card the learner unsuspended again"
    vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=EXTRA))
    vault.build(timestamp=T + 120)
    done = into_collection(vault.out / "notes.apkg", collection)  # comes back even without --suspend-retired
    assert done.unsuspended == 2
    with opened(collection) as col:
        assert col.find_cards("is:suspended") == [mine]
        assert col.find_cards("has-cd:cgsusp") == []


def test_into_refuses_while_anki_has_the_collection_open_then_anki_connect_delivers(vault: Vault,
                                                                                      tmp_path: Path) -> None:
    collection = new_collection(tmp_path / "profile")
    vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=EXTRA))
    runner = CliRunner()
    with anki_running(collection) as url:
        refused = runner.invoke(app, [str(vault.dir), "--out", str(vault.out), "--into", str(collection)])
        assert refused.exit_code == 1, refused.output
        assert f"{collection} is open in Anki" in refused.output and "close Anki" in refused.output
        assert (vault.out / "notes.apkg").is_file(), "the deck is written all the same"
        assert not (collection.parent / "cardgen-backups").exists()

        sent = runner.invoke(app, [str(vault.dir), "--out", str(vault.out), "--anki-connect-url", url])
        assert sent.exit_code == 0, sent.output
        assert f"imported into the Anki running at {url}" in sent.output
    built = len(read_apkg(vault.out / "notes.apkg"))
    with opened(collection) as col:
        assert col.note_count() == built

    done = runner.invoke(app, [str(vault.dir), "--out", str(vault.out), "--into", str(collection), "--json"])
    assert done.exit_code == 0, done.output
    delivery = json.loads(done.stdout)["delivery"]
    assert delivery["imported"] == {"new": 0, "updated": 0, "unchanged": built, "conflicting": 0}
    assert Path(delivery["backup"]).parent == collection.parent / "cardgen-backups"


def test_anki_connect_two_rounds_of_edits_keep_reviews(vault: Vault, tmp_path: Path) -> None:
    collection = new_collection(tmp_path / "profile")

    def deliver(apkg: Path) -> None:  # Anki is started for each delivery: the test studies in between
        with anki_running(collection) as url:
            assert to_anki_connect(apkg, url).target == url

    edit_rounds(vault, collection, deliver)
    with anki_running(collection) as url, pytest.raises(DeliveryError, match="could not import .*missing.apkg"):
        to_anki_connect(tmp_path / "missing.apkg", url)


def test_anki_connect_not_running(vault: Vault) -> None:
    vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=""))
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, [str(vault.dir), "--out", str(vault.out), "--anki-connect-url", url])
    assert result.exit_code == 1
    assert f"Anki with AnkiConnect is not running at {url}" in result.output
    assert (vault.out / "notes.apkg").is_file()


def test_anki_connect_that_never_answers(tmp_path: Path) -> None:
    with socket.socket() as busy:  # accepts connections (the kernel does) but never answers
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        url = f"http://127.0.0.1:{busy.getsockname()[1]}"
        with pytest.raises(DeliveryError, match=f"AnkiConnect at {url} gave no answer within 0.3 s"):
            to_anki_connect(tmp_path / "deck.apkg", url, timeout=0.3)


@pytest.mark.parametrize(("args", "message"), [
    (["--suspend-retired"], "--suspend-retired works with --into only"),
    (["--into", "c.anki2", "--anki-connect"], "choose one of --into and --anki-connect"),
    (["--anki-connect-url", "http://192.0.2.7:8765"], "give an http URL on this machine"),
    (["--anki-connect-url", "ftp://localhost:8765"], "give an http URL on this machine"),
])
def test_bad_delivery_options_are_usage_errors(vault: Vault, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, [str(vault.dir), "--out", str(vault.out), *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not vault.out.exists(), "nothing is built on bad usage"


def test_into_names_what_is_not_a_collection(vault: Vault, tmp_path: Path) -> None:
    vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=""))
    vault.build(timestamp=T)
    with pytest.raises(DeliveryError, match="no Anki collection there"):
        into_collection(vault.out / "notes.apkg", tmp_path / "nowhere" / "collection.anki2")
    junk = tmp_path / "junk.anki2"
    junk.write_text("not a database")
    with pytest.raises(DeliveryError, match="junk.anki2: not an Anki collection"):
        into_collection(vault.out / "notes.apkg", junk)
    assert not (tmp_path / "cardgen-backups").exists()


def _run_cli_in_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)


def test_plain_build_never_loads_anki_and_into_says_how_to_install_it(vault: Vault, tmp_path: Path) -> None:
    vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=""))
    collection = new_collection(tmp_path / "profile")
    plain = _run_cli_in_python(
        "import sys; from typer.testing import CliRunner; from cardgen.cli import app\n"
        f"r = CliRunner().invoke(app, [{str(vault.dir)!r}, '--out', {str(vault.out)!r}])\n"
        "print(r.exit_code, sorted(m for m in sys.modules if m.split('.')[0] == 'anki' or m == 'cardgen.deliver'))")
    assert plain.stdout.split("\n")[0] == "0 []", plain.stdout + plain.stderr
    missing = _run_cli_in_python(
        "import sys; sys.modules['anki'] = None  # as if cardgen[anki] were not installed\n"
        "from typer.testing import CliRunner; from cardgen.cli import app\n"
        f"r = CliRunner().invoke(app, [{str(vault.dir)!r}, '--out', {str(vault.out)!r}, '--into', {str(collection)!r}])\n"
        "print(r.exit_code); print(r.output)")
    assert missing.stdout.startswith("1\n"), missing.stdout + missing.stderr
    assert "--into needs the anki library: pip install 'cardgen[anki]'" in missing.stdout


def test_watch_delivers_every_build(vault: Vault, tmp_path: Path) -> None:
    note = vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=""))
    collection = new_collection(tmp_path / "profile")
    proc = subprocess.Popen([sys.executable, "-m", "cardgen", str(vault.dir), "--out", str(vault.out), "--watch",
                             "--into", str(collection)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()

    def delivered(what: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not any(f"imported into {collection}: {what}" in line for line in lines):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    try:
        assert delivered("", 30), lines
        for _ in range(60):  # saved again until the watcher, which starts after the first build, sees it
            note.write_text(LEAF.format(stroma=STROMA[1], extra="").lstrip(), encoding="utf-8")
            if delivered("0 new, 1 updated", 0.5):
                break
        else:
            raise AssertionError("the edit was not delivered:\n" + "".join(lines))
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err, err  # Ctrl-C ends it, as it ends a build
    with opened(collection) as col:
        assert any(STROMA[1] in col.get_note(n)["Back"] for n in col.find_notes('"note:cardgen basic"'))


def test_a_scheduled_run_with_nothing_changed_imports_nothing_and_backs_up_nothing(vault: Vault, tmp_path: Path) -> None:
    """Before, every run imported the same deck again after a backup: six runs of a 15-minute cron job left
    five backups of the last 75 minutes and none from before a bad import; and, with Anki open, a run with
    nothing changed failed saying it could not deliver."""
    collection = new_collection(tmp_path / "profile")
    vault.write("leaf.md", LEAF.format(stroma=STROMA[0], extra=EXTRA))
    os.utime(vault.dir / "leaf.md", (time.time() - 3600,) * 2)  # saved an hour ago: reruns take the no-change path
    args = [str(vault.dir), "--out", str(vault.out), "--into", str(collection)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0 and "imported into" in first.output, first.output
    backups = collection.parent / "cardgen-backups"
    assert len(list(backups.iterdir())) == 1
    for _ in range(3):
        again = CliRunner().invoke(app, args)
        assert again.exit_code == 0 and "already has this deck" in again.output, again.output
    assert len(list(backups.iterdir())) == 1
    with anki_running(collection):  # Anki open: nothing to deliver, so nothing fails
        again = CliRunner().invoke(app, args)
        assert again.exit_code == 0 and "already has this deck" in again.output, again.output
    vault.write("leaf.md", LEAF.format(stroma=STROMA[1], extra=EXTRA))
    changed = CliRunner().invoke(app, args)
    assert changed.exit_code == 0 and "1 updated" in changed.output, changed.output
    assert len(list(backups.iterdir())) == 2
