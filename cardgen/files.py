"""Finding the notes of a vault."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from cardgen.model import Diagnostic


def discover(notes_dir: Path) -> tuple[list[str], list[Diagnostic], list[str]]:
    """Every ``*.md`` under ``notes_dir``, sorted, skipping hidden folders such as ``.obsidian``; the
    problems met; and the folders that could not be read (``"sub/"``, ``""`` for ``notes_dir``), whose
    notes' cards must stay as they are: an unmounted or unreadable folder is no folder of deleted notes.

    Symlinked folders are followed once: a link back to a folder already seen (a loop) is skipped
    with a warning instead of hanging the build.
    """
    found: list[str] = []
    problems: list[Diagnostic] = []
    unreadable: list[str] = []

    def cannot_read(rel: str, why: str) -> None:
        unreadable.append(f"{rel}/" if rel != "." else "")
        problems.append(Diagnostic(rel, 1, f"this folder could not be read ({why}): the cards of its notes are kept "
                                           "as they were; make it readable (or mount it) and build again", "error"))

    def walk_error(e: OSError) -> None:
        cannot_read(Path(e.filename).relative_to(notes_dir).as_posix(), e.strerror or type(e).__name__)

    seen = {os.path.realpath(notes_dir)}
    for root, dirs, files in os.walk(notes_dir, followlinks=True, onerror=walk_error):
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
        for f in files:  # a link whose folder is gone: a drive or share not mounted now
            if not f.startswith(".") and not f.lower().endswith(".md") and not os.path.exists(os.path.join(root, f)):
                cannot_read(prefix + f, "it links to a folder that is not there")
    return sorted(found), problems, sorted(unreadable)
