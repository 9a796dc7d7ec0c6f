"""Delivery of a built .apkg straight into Anki: ``--into COLLECTION`` or ``--anki-connect``.

Imported only when one of those options is given, and ``anki`` only inside ``into_collection``:
a plain build never loads either.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen.apkg.models import BASIC_MODEL_ID, CLOZE_MODEL_ID
from cardgen.errors import CardgenError, ConfigError
from cardgen.settings import RETIRED_TAG
from cardgen.state import STATE_DIR

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anki.cards import CardId
    from anki.collection import Collection

ANKI_CONNECT_TIMEOUT = 300.0  # seconds; Anki imports on its main thread and answers when done
BACKUPS_KEPT = 5
BACKUP_DIR = "cardgen-backups"
# A card cardgen suspended carries this key in its custom data (card-level, invisible, kept by
# imports, and no note ``mod`` bump that could make Anki skip a later update of the note).
SUSPENDED_MARK = "cgsusp"
_OURS = f'(mid:{BASIC_MODEL_ID} OR mid:{CLOZE_MODEL_ID})'
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class DeliveryError(CardgenError):
    """The deck was built but could not be put into Anki."""


@dataclass
class Delivered:
    target: str
    imported: dict[str, int] = field(default_factory=dict)  # Anki's import log counts (--into only)
    backup: str | None = None
    suspended: int = 0
    unsuspended: int = 0
    already: bool = False  # this very deck was put there by an earlier run: nothing done

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def lines(self) -> list[str]:
        if self.already:
            return [f"{self.target} already has this deck: nothing changed since it was put there"]
        if not self.imported:
            return [f"imported into the Anki running at {self.target}"]
        i = self.imported
        out = [f"imported into {self.target}: {i['new']} new, {i['updated']} updated, {i['unchanged']} unchanged"
               + (f" (backup {self.backup})" if self.backup else "")]
        if i["conflicting"]:
            out.append(f"{i['conflicting']} notes were not updated: their note type in the collection differs "
                       "from cardgen's (see README, Decks, tags and card identity)")
        if self.suspended or self.unsuspended:
            out.append(f"suspended {self.suspended} retired cards, unsuspended {self.unsuspended} that came back")
        return out


Deliver = Callable[[Path], Delivered]


def delivery(into: Path | None, anki_connect_url: str | None, suspend_retired: bool) -> Deliver | None:
    """What to do with the built .apkg, from the command-line options; ConfigError on a bad combination."""
    if into is not None and anki_connect_url is not None:
        raise ConfigError("choose one of --into and --anki-connect")
    if suspend_retired and into is None:
        raise ConfigError("--suspend-retired works with --into only")
    if into is not None:
        return _unless_there(lambda apkg: into_collection(apkg, into, suspend_retired), str(into.resolve()))
    if anki_connect_url is not None:
        url = loopback_url(anki_connect_url)
        return _unless_there(lambda apkg: to_anki_connect(apkg, url), url)
    return None


def _unless_there(send: Deliver, target: str) -> Deliver:
    """``send``, unless this very deck was put into ``target`` already (a scheduled build that found nothing
    changed): each import backs the collection up first, and a backup a run would soon leave none from
    before a bad import; nor does a no-change run fail because Anki is open."""
    def deliver(apkg: Path) -> Delivered:
        marker = apkg.parent / STATE_DIR / f"{apkg.stem}.delivered.json"
        info = apkg.stat()
        deck = [info.st_size, info.st_mtime_ns]
        try:
            record = json.loads(marker.read_text())
        except (OSError, ValueError):
            record = {}
        record = record if isinstance(record, dict) else {}
        if record.get(target) == deck:
            return Delivered(target, already=True)
        done = send(apkg)
        record[target] = deck
        with contextlib.suppress(OSError):  # at worst, the next run imports the same deck again
            scratch = marker.with_suffix(".tmp")
            scratch.write_text(json.dumps(record))
            scratch.replace(marker)
        return done
    return deliver


# ------------------------------------------------------------------ --into COLLECTION ----

def into_collection(apkg: Path, collection: Path, suspend_retired: bool = False,
                    keep: int = BACKUPS_KEPT) -> Delivered:
    """Import ``apkg`` as Anki's File > Import does (default options), after a backup of the collection."""
    try:
        from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
        from anki.errors import AnkiException, DBError
    except ImportError:
        raise DeliveryError("--into needs the anki library: pip install 'cardgen[anki]'") from None
    if not collection.is_file():
        raise DeliveryError(f"{collection}: no Anki collection there (it is the collection.anki2 file "
                            "in your Anki profile folder)")
    backup = _backup(collection, keep)
    try:
        col = Collection(str(collection))
    except DBError as e:
        if "already open" in str(e):  # Anki opened it between the backup and now
            raise _open_in_anki(collection) from None
        raise DeliveryError(f"{collection}: Anki cannot open it: {e}") from None
    try:
        # Default options = the GUI's defaults: update notes and note types only if newer, no merge,
        # no scheduling or presets from the package (cardgen's cards carry none worth importing).
        log = col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(apkg.resolve()), options=ImportAnkiPackageOptions())).log
        done = Delivered(str(collection), {
            "new": len(log.new), "updated": len(log.updated), "unchanged": len(log.duplicate),
            "conflicting": len(log.conflicting)}, str(backup))
        done.unsuspended = _unsuspend_returned(col)
        if suspend_retired:
            done.suspended = _suspend_retired(col)
        return done
    except AnkiException as e:  # an import Anki refuses leaves the collection as it was
        raise DeliveryError(f"Anki could not import {apkg} into {collection}: {e}") from None
    finally:
        col.close()


def _open_in_anki(collection: Path) -> DeliveryError:
    return DeliveryError(f"{collection} is open in Anki (or being synced): close Anki and build again, or "
                         "deliver to the running Anki with --anki-connect; the deck itself was written")


def _backup(collection: Path, keep: int) -> Path:
    """A consistent copy (SQLite's backup API, so pages still in the WAL are included) in cardgen-backups/."""
    folder = collection.parent / BACKUP_DIR
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]  # milliseconds: several deliveries in one second
    target = folder / f"{collection.stem}-{stamp}{collection.suffix}"
    with contextlib.closing(_readable(collection)) as src:
        try:
            folder.mkdir(exist_ok=True)
            with contextlib.closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
        except (OSError, sqlite3.Error) as e:
            target.unlink(missing_ok=True)
            raise DeliveryError(f"could not back up {collection} to {folder}: {e}") from None
    for old in sorted(folder.glob(f"{collection.stem}-*{collection.suffix}"))[:-keep]:
        old.unlink()
    return target


def _readable(collection: Path) -> sqlite3.Connection:
    """A connection to the collection, once a read worked: at once, while Anki holds its lock, it fails."""
    db = sqlite3.connect(collection, timeout=0.5)
    try:
        db.execute("select ver from col").fetchone()
    except sqlite3.Error as e:
        db.close()
        if getattr(e, "sqlite_errorcode", None) in (_SQLITE_BUSY, _SQLITE_LOCKED):
            raise _open_in_anki(collection) from None
        raise DeliveryError(f"{collection}: not an Anki collection ({e})") from None
    return db


def _suspend_retired(col: Collection) -> int:
    """Suspend the cards of cardgen's retired notes, once each: a card the user unsuspends stays so."""
    ids = col.find_cards(f'"tag:{RETIRED_TAG}" {_OURS} -is:suspended -has-cd:{SUSPENDED_MARK}')
    if ids:
        col.sched.suspend_cards(ids)
        _mark(col, ids, True)
    return len(ids)


def _unsuspend_returned(col: Collection) -> int:
    """Cards cardgen suspended whose note is no longer retired come back; others' suspensions stay."""
    ids = col.find_cards(f'has-cd:{SUSPENDED_MARK} -"tag:{RETIRED_TAG}"')
    if ids:
        col.sched.unsuspend_cards(col.find_cards(f'has-cd:{SUSPENDED_MARK} -"tag:{RETIRED_TAG}" is:suspended'))
        _mark(col, ids, False)
    return len(ids)


def _mark(col: Collection, ids: Sequence[CardId], on: bool) -> None:
    cards = []
    for cid in ids:
        card = col.get_card(cid)
        data = json.loads(card.custom_data or "{}")
        if on:
            data[SUSPENDED_MARK] = 1
        else:
            data.pop(SUSPENDED_MARK, None)
        card.custom_data = json.dumps(data, separators=(",", ":")) if data else ""
        cards.append(card)
    col.update_cards(cards)


# ------------------------------------------------------------------ --anki-connect ----

def loopback_url(url: str) -> str:
    """``url`` if it points at this machine: AnkiConnect opens the .apkg by its path on Anki's machine."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("http", "https") or not loopback:
        raise ConfigError(f"--anki-connect-url {url}: give an http URL on this machine (localhost, 127.0.0.1 "
                          "or [::1]); AnkiConnect reads the deck from a path on its own machine")
    return url


def to_anki_connect(apkg: Path, url: str, timeout: float = ANKI_CONNECT_TIMEOUT) -> Delivered:
    """Hand ``apkg`` to AnkiConnect's ``importPackage`` (which imports it into the open profile)."""
    answer = _call(url, "importPackage", {"path": str(apkg.resolve())}, timeout)
    if answer.get("error") is not None:
        raise DeliveryError(f"AnkiConnect at {url} could not import {apkg}: {answer['error']}")
    if answer.get("result") is not True:
        raise DeliveryError(f"AnkiConnect at {url} did not import {apkg}: no profile is open in Anki")
    return Delivered(url)


def _call(url: str, action: str, params: dict[str, object], timeout: float) -> dict[str, object]:
    request = urllib.request.Request(url, json.dumps({"action": action, "version": 6, "params": params}).encode(),
                                     headers={"Content-Type": "application/json"})
    # no proxies: an http_proxy setting would send a loopback request to the proxy
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as e:
        raise DeliveryError(f"AnkiConnect at {url} answered HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, ConnectionRefusedError):
            raise DeliveryError(f"Anki with AnkiConnect is not running at {url}: start Anki (with the AnkiConnect "
                                "add-on), or close Anki and use --into; the deck itself was written") from None
        if isinstance(e.reason, TimeoutError):
            raise _no_answer(url, timeout) from None
        raise DeliveryError(f"could not reach AnkiConnect at {url}: {e.reason}") from None
    except TimeoutError:
        raise _no_answer(url, timeout) from None
    except OSError as e:
        raise DeliveryError(f"could not reach AnkiConnect at {url}: {e}") from None
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "result" not in answer:
        raise DeliveryError(f"{url} does not answer like AnkiConnect (API version 6): {body[:200]!r}")
    return answer


def _no_answer(url: str, timeout: float) -> DeliveryError:
    return DeliveryError(f"AnkiConnect at {url} gave no answer within {timeout:g} s (a dialog open in Anki?)")
