"""One build at a time per output folder: a timer and a manual run never interleave their writes."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cardgen.errors import CardgenError


class BuildLocked(CardgenError):
    """Another build-deck holds the output folder."""


@contextmanager
def build_lock(out_dir: Path, wait: float) -> Iterator[None]:
    """Hold the output folder's lock, waiting up to ``wait`` seconds for another build to finish.

    The lock is an OS file lock (``flock``): it is released when the holder exits or is killed,
    so a crashed build never leaves a stale lock behind.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".cardgen.lock"
    with open(path, "a+") as f:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    f.seek(0)
                    holder = f.read().strip() or "another process"
                    raise BuildLocked(f"another build-deck ({holder}) is writing to {out_dir}; "
                                      f"waited {wait:g}s; run again when it has finished") from None
                time.sleep(0.1)
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)
