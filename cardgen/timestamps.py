"""Video moments: reading stamps written by people and tools, and linking to them.

A stamp is read as ``h:m:s`` or ``m:s``. Real notes also carry the *mm:ss:00 slip*: a tool wrote
``mm:ss`` with a spurious ``:00`` appended (``[53:18:00]`` in a 20-minute video). cardgen reads a
three-part stamp as minutes and seconds when

* its first field is 24 or more (no video note is a day long), or
* the whole note shows the slip: three or more three-part stamps, every one ending in ``:00``, not
  all in the first hour (``[00:01:00]``, ``[00:04:00]``, ``[00:09:00]`` are whole minutes: read as
  the slip, the whole note would be said in its video's first ten seconds); or ten or more, nine in
  ten of them, end so, one with an hour field few videos reach (``SLIP_HOURS`` or more).
  The tools that slip write ``:00`` on nearly every stamp and a few others with a small third field
  (``[02:01:43]`` among ``[07:51:00]``, ``[21:49:00]`` … in a 22-minute talk: 2:01, not 2 h 1), but
  a long podcast's chapters are whole minutes too (``[01:10:00]``, ``[02:30:00]`` among
  ``[02:47:12]``: hours). In a slip note every three-part stamp is minutes, seconds and that third
  field, which is dropped.

Everything else is read as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

# h:m:s or m:s, maybe with the milliseconds subtitle files write (00:12:34.500, SRT's 00:12:34,500)
STAMP = r"\d{1,3}(?::\d{1,2}){1,2}(?:\.\d{1,3}|,\d{3}(?![:\d]))?"
_STAMP_RE = re.compile(STAMP)
_YOUTUBE_ID = re.compile(r"^[\w-]{11}$")
_YT_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtu.be",
             "music.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"}
# 91, 91s, 1h2m3s; and 62.35, as players that keep fractions of a second write it (Media Extended's #t=62.35)
_T_PARAM = re.compile(r"^(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,9})(?:\.\d{1,6})?s?)?$")
# among stamps that mostly end in :00 (SLIP_MIXED or more, nine in ten), an hour field this high is minutes
SLIP_HOURS, SLIP_MIXED = 12, 10
LONGEST = 100 * 3600  # seconds: no video runs this long, so a t= past it is a slip of the keyboard

Parts = tuple[int, ...]


class Moment(NamedTuple):
    """A second of a video; ``video`` is set only when it is not the note's own video.

    A named tuple rather than a frozen dataclass: notes hold hundreds, hashed and compared often."""

    seconds: int
    video: str | None = None

    @property
    def label(self) -> str:
        return human(self.seconds)


@functools.lru_cache(maxsize=8192)  # the same times recur through a note and across notes
def parse_parts(text: str) -> Parts | None:
    """``"01:02:03"`` -> ``(1, 2, 3)``; ``None`` when a field is out of range (``[99:99]``)."""
    if not _STAMP_RE.fullmatch(text.strip()):
        return None
    whole = text.strip().split(".")[0].split(",")[0]  # the seconds, without a fraction of one
    parts = tuple(int(p) for p in whole.split(":"))
    if parts[-1] >= 60 or (len(parts) == 3 and parts[1] >= 60):
        return None
    return parts


def find_parts(text: str) -> list[Parts]:
    """Every valid stamp in a bracket such as ``[01:09:09, 01:09:11]`` or ``[00:34-02:42]``."""
    found = (parse_parts(m.group(0)) for m in _STAMP_RE.finditer(text))
    return [p for p in found if p is not None]


def note_has_slip(stamps: Iterable[Parts]) -> bool:
    """True when a note's three-part stamps are mm:ss with ``:00`` appended (see module doc)."""
    triples = [p for p in stamps if len(p) == 3]
    if any(p[0] >= 24 for p in triples):
        return True
    whole = [p for p in triples if p[2] == 0]
    if len(whole) < 3:
        return False
    if len(whole) == len(triples):
        return any(p[0] for p in whole)
    return len(whole) >= SLIP_MIXED and len(whole) * 10 >= len(triples) * 9 and any(p[0] >= SLIP_HOURS for p in whole)


def is_slip_reading(parts: Parts, slip: bool) -> bool:
    """Whether ``h:m:s`` is read as ``m:s`` (see the module doc)."""
    return len(parts) == 3 and (slip or parts[0] >= 24)


def to_seconds(parts: Parts, slip: bool) -> int:
    if is_slip_reading(parts, slip):
        return parts[0] * 60 + parts[1]
    total = 0
    for p in parts:
        total = total * 60 + p
    return total


def human(seconds: int) -> str:
    """47:47, 1:02:07: how a video player shows a time."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def youtube_id(url: str) -> str | None:
    """The video id of a YouTube URL, or ``None``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host not in _YT_HOSTS:
        return None
    if host.endswith("youtu.be"):
        candidate = parts.path.strip("/").split("/")[0]
    elif parts.path.startswith(("/embed/", "/shorts/", "/live/", "/v/")):
        candidate = parts.path.split("/")[2]
    else:
        candidate = parse_qs(parts.query).get("v", [""])[0]
    return candidate if _YOUTUBE_ID.match(candidate) else None


def url_seconds(url: str) -> int | None:
    """Seconds from a ``t=``/``start=`` query or fragment: ``91``, ``91s``, ``12m28s``, ``1h2m``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    for chunk in (parts.query, parts.fragment):
        values = parse_qs(chunk)
        for key in ("t", "start"):
            if key in values:
                m = _T_PARAM.match(values[key][0])
                if m and any(m.groups()):
                    h, mi, s = (int(g or 0) for g in m.groups())
                    seconds = h * 3600 + mi * 60 + s
                    return seconds if seconds <= LONGEST else None
    return None


def watch_url(video: str, seconds: int) -> str:
    return f"https://www.youtube.com/watch?v={video}&t={seconds}s"
