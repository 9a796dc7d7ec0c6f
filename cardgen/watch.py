"""``build-deck --watch``: rebuild shortly after notes or templates change, until Ctrl-C."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from cardgen.errors import CardgenError
from cardgen.pipeline import BuildOptions, BuildReport, build_deck, check_notes_dir

DEBOUNCE_MS = 700  # editors save in bursts (temp file, rename, metadata): wait for the burst to end


def _relevant(opts: BuildOptions) -> Callable[[watchfiles.Change, str], bool]:
    out = opts.out_dir.resolve()
    templates = opts.templates_dir.resolve() if opts.templates_dir else None

    def keep(change: watchfiles.Change, path: str) -> bool:
        p = Path(path).resolve()
        if out in p.parents:
            return False
        return p.suffix.lower() == ".md" or (templates is not None and templates in p.parents)

    return keep


def watch(opts: BuildOptions, report: Callable[[BuildReport | CardgenError], None],
          stop: threading.Event | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
    """Build now, then after every burst of changes. Returns when ``stop`` is set; Ctrl-C raises
    KeyboardInterrupt, for the caller to end on as an interrupted build does.

    A notes folder deleted and made again (a backup restored, a repository cloned anew, a sync) is
    watched again once it is back: the system's watch went with the folder it was on."""
    check_notes_dir(opts.notes_dir)
    stop = stop or threading.Event()
    while not stop.is_set():
        folder = _identity(opts.notes_dir)
        paths = [opts.notes_dir] + ([opts.templates_dir] if opts.templates_dir else [])
        # a burst ends after debounce_ms of quiet (watchfiles' step); a longer one is built every 10 bursts' time
        events = watchfiles.watch(*paths, watch_filter=_relevant(opts), step=debounce_ms, debounce=10 * debounce_ms,
                                  stop_event=stop, raise_interrupt=True, rust_timeout=500, yield_on_timeout=True)
        try:
            # start watching before the first build: a note saved while it runs (seconds, in a big vault) is not missed
            if next(events, None) is None:
                return
            _build_once(opts, report)
            for changes in events:
                if _identity(opts.notes_dir) != folder:
                    break
                if changes:  # an empty set: the timeout, which lets Ctrl-C and ``stop`` through
                    _build_once(opts, report)
        finally:  # Ctrl-C, during a build or between: it stops as after a crash, with nothing half-written
            events.close()
        if _identity(opts.notes_dir) is None:
            report(CardgenError(f"notes folder {opts.notes_dir} is gone; the deck stays as it was, and is built "
                                "again when the folder is back"))
        while _identity(opts.notes_dir) is None and not stop.wait(0.5):
            pass


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        info = folder.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _build_once(opts: BuildOptions, report: Callable[[BuildReport | CardgenError], None]) -> None:
    try:
        report(build_deck(opts))
    except CardgenError as e:  # a locked folder or a full disk: say so and keep watching
        report(e)
