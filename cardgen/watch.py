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
    """Build now, then after every burst of changes. Returns on Ctrl-C or when ``stop`` is set."""
    paths = [opts.notes_dir] + ([opts.templates_dir] if opts.templates_dir else [])
    _build_once(opts, report)
    for _ in watchfiles.watch(*paths, watch_filter=_relevant(opts), debounce=debounce_ms, stop_event=stop,
                              raise_interrupt=False, rust_timeout=500, yield_on_timeout=False):
        _build_once(opts, report)


def _build_once(opts: BuildOptions, report: Callable[[BuildReport | CardgenError], None]) -> None:
    try:
        report(build_deck(opts))
    except CardgenError as e:  # a locked folder or a full disk: say so and keep watching
        report(e)
