"""Finding the notes of a vault."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from cardgen.model import Diagnostic


def discover(notes_dir: Path) -> tuple[list[str], list[Diagnostic]]:
    """Every ``*.md`` under ``notes_dir``, sorted, skipping hidden folders such as ``.obsidian``.

    Symlinked folders are followed once: a link back to a folder already seen (a loop) is skipped
    with a warning instead of hanging the build.
    """
    found: list[str] = []
    problems: list[Diagnostic] = []
    seen = {os.path.realpath(notes_dir)}
    for root, dirs, files in os.walk(notes_dir, followlinks=True):
        rel_root = PurePosixPath(Path(root).relative_to(notes_dir).as_posix())
        keep = []
        for d in sorted(dirs):
            real = os.path.realpath(os.path.join(root, d))
            if d.startswith("."):
                continue
            if real in seen:
                problems.append(Diagnostic(str(rel_root / d), 1, "this folder links back to a folder already "
                                                                 "read (a symlink loop); it was skipped"))
                continue
            seen.add(real)
            keep.append(d)
        dirs[:] = keep
        # joined as strings: a PurePosixPath per file costs a no-change rebuild of 5,000 notes 0.04 s
        prefix = "" if str(rel_root) == "." else f"{rel_root}/"
        found.extend(prefix + f for f in files if f.lower().endswith(".md") and not f.startswith("."))
    return sorted(found), problems
