"""Fault injection for the crash-safety tests: ``CARDGEN_CRASH_AT=N`` kills the process (SIGKILL, no
cleanup, as a power cut or an OOM kill would) when it reaches its N-th checkpoint. Checkpoints
sit between every step that reads a note or writes a file. Unset, a checkpoint costs one test."""

from __future__ import annotations

import os
import signal

_CRASH_AT = int(os.environ.get("CARDGEN_CRASH_AT", "0") or 0)
_passed = 0


def checkpoint() -> None:
    global _passed
    if _CRASH_AT:
        _passed += 1
        if _passed == _CRASH_AT:
            os.kill(os.getpid(), signal.SIGKILL)
