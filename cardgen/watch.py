"""``build-deck --watch``: rebuild shortly after notes or templates change, until Ctrl-C."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from cardgen.errors import CardgenError
from cardgen.pipeline import BuildOptions, BuildReport, build_deck

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
    KeyboardInterrupt, for the caller to end on as an interrupted build does."""
    paths = [opts.notes_dir] + ([opts.templates_dir] if opts.templates_dir else [])
    events = watchfiles.watch(*paths, watch_filter=_relevant(opts), debounce=debounce_ms, stop_event=stop,
                              raise_interrupt=True, rust_timeout=500, yield_on_timeout=True)
    try:
        # start watching before the first build: a note saved while it runs (seconds, in a big vault) is not missed
        if next(events, None) is None:
            return
        _build_once(opts, report)
        for changes in events:
            if changes:  # an empty set: the timeout, which lets Ctrl-C and ``stop`` through
                _build_once(opts, report)
    finally:  # Ctrl-C, during a build or between: it stops as after a crash, with nothing half-written
        events.close()


def _build_once(opts: BuildOptions, report: Callable[[BuildReport | CardgenError], None]) -> None:
    try:
        report(build_deck(opts))
    except CardgenError as e:  # a locked folder or a full disk: say so and keep watching
        report(e)
