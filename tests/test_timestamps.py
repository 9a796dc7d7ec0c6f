"""Unit tests for cardgen.timestamps: reading stamps, the mm:ss:00 slip, YouTube URLs."""

from __future__ import annotations

import pytest

from cardgen.timestamps import (
    Moment,
    find_parts,
    human,
    is_slip_reading,
    note_has_slip,
    parse_parts,
    to_seconds,
    url_seconds,
    watch_url,
    youtube_id,
)

VID = "8Sz7OleIb04"


# -- parse_parts --------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "parts"), [
    ("01:02:03", (1, 2, 3)),
    ("00:47:47", (0, 47, 47)),
    ("05:30", (5, 30)),
    ("1:2", (1, 2)),
    ("5:03", (5, 3)),
    ("00:00", (0, 0)),
    ("0:0:59", (0, 0, 59)),
    ("00:59:59", (0, 59, 59)),
    (" 05:30 ", (5, 30)),  # surrounding space is tolerated
    ("53:18:00", (53, 18, 0)),  # the slip is read later, parts are as written
    ("24:45:04", (24, 45, 4)),
    ("128:05", (128, 5)),  # a long podcast in minutes: was no stamp, kept as text without a warning
])
def test_parse_parts_valid(text: str, parts: tuple[int, ...]) -> None:
    assert parse_parts(text) == parts


@pytest.mark.parametrize("text", [
    "99:99",  # seconds out of range
    "00:60",
    "00:60:00",  # minutes out of range in h:m:s
    "01:02:60",
    "1:02:03:04",  # four fields
    "1234:00",  # four-digit field
    "12",
    "abc",
    "",
    "01:02:03x",
    "[01:02:03]",  # brackets are not part of the stamp
])
def test_parse_parts_invalid(text: str) -> None:
    assert parse_parts(text) is None


# -- find_parts ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "found"), [
    ("01:09:09, 01:09:11", [(1, 9, 9), (1, 9, 11)]),
    ("01:09:09, 01:09:11, 01:09:28, 01:09:33", [(1, 9, 9), (1, 9, 11), (1, 9, 28), (1, 9, 33)]),
    ("00:34-02:42", [(0, 34), (2, 42)]),
    ("09:32-10:08, 10:48-11:05", [(9, 32), (10, 8), (10, 48), (11, 5)]),
    ("00:00 – 00:14", [(0, 0), (0, 14)]),
    ("99:99 and 01:02", [(1, 2)]),  # the invalid one is dropped, the valid one kept
    ("05:30", [(5, 30)]),
    ("no stamp here", []),
    ("99:99", []),
])
def test_find_parts(text: str, found: list[tuple[int, ...]]) -> None:
    assert find_parts(text) == found


# -- to_seconds / slip --------------------------------------------------------------------------
@pytest.mark.parametrize(("parts", "slip", "seconds"), [
    ((5, 30), False, 330),
    ((5, 30), True, 330),  # two-part stamps never change with the slip
    ((47, 47), False, 2867),
    ((0, 47, 47), False, 2867),
    ((1, 2, 3), False, 3723),
    ((1, 2, 7), True, 62),  # in a slip note, a stamp with another third field is minutes too
    ((1, 7, 0), False, 4020),  # a normal note: hours
    ((1, 7, 0), True, 67),  # a slip note: 1m07s
    ((53, 18, 0), False, 53 * 60 + 18),  # first field >= 24 is never hours
    ((24, 0, 0), False, 1440),
    ((23, 59, 0), False, 23 * 3600 + 59 * 60),
    ((0, 0, 0), False, 0),
])
def test_to_seconds(parts: tuple[int, ...], slip: bool, seconds: int) -> None:
    assert to_seconds(parts, slip) == seconds


@pytest.mark.parametrize(("stamps", "expected"), [
    ([(1, 7, 0), (1, 8, 0), (1, 9, 0)], True),  # three three-part stamps, all :00
    ([(29, 50, 0)], True),  # one impossible hour field is enough
    ([(0, 1, 0), (53, 18, 0)], True),
    ([(1, 7, 0), (1, 8, 0)], False),  # only two: too few to call it a slip
    ([(1, 7, 0), (1, 8, 0), (1, 9, 5)], False),  # one real second field: read as written
    # a 22-minute talk: 34 stamps end in :00 up to 21:49:00, one does not (the tool's own)
    ([(2, 1, 43)] + [(m, 7 * m % 60, 0) for m in range(2, 22, 2)], True),
    ([(0, 15, 0), (1, 10, 0), (2, 30, 0), (2, 47, 12)], False),  # a long podcast's whole-minute chapters
    ([(0, 5, 0), (1, 30, 0), (3, 45, 0), (6, 10, 0), (6, 12, 35)], False),  # a 10-hour course's chapters
    ([(2, 1, 43)] + [(m, 7 * m % 60, 0) for m in range(2, 12)], False),  # no hour field of 12 or more
    ([(2, 1, 43), (3, 1, 43)] + [(m, 7 * m % 60, 0) for m in range(2, 22, 2)], False),  # two in twelve: as written
    ([(1, 7, 0), (1, 8, 0), (1, 9, 0), (5, 30)], True),  # two-part stamps do not count
    ([(5, 30), (6, 0), (7, 0)], False),  # no three-part stamps at all
    ([(0, 2, 3), (0, 47, 47), (1, 2, 7)], False),  # an ordinary hh:mm:ss note
    ([(23, 59, 59)], False),
    ([(0, 1, 0), (0, 4, 0), (0, 9, 0)], False),  # whole minutes of the first hour, not a note of its first 10 s
    ([(0, 1, 0), (0, 4, 0), (1, 9, 0)], True),
    ([], False),
])
def test_note_has_slip(stamps: list[tuple[int, ...]], expected: bool) -> None:
    assert note_has_slip(stamps) is expected


@pytest.mark.parametrize(("parts", "slip", "expected"), [
    ((53, 18, 0), False, True),
    ((1, 7, 0), True, True),
    ((1, 7, 0), False, False),
    ((1, 7, 5), True, True),
    ((1, 7, 5), False, False),
    ((5, 30), True, False),
])
def test_is_slip_reading(parts: tuple[int, ...], slip: bool, expected: bool) -> None:
    assert is_slip_reading(parts, slip) is expected


# -- human / Moment -----------------------------------------------------------------------------
@pytest.mark.parametrize(("seconds", "text"), [
    (2867, "47:47"),
    (3727, "1:02:07"),
    (5, "0:05"),
    (0, "0:00"),
    (59, "0:59"),
    (60, "1:00"),
    (3600, "1:00:00"),
    (36000 + 61, "10:01:01"),
])
def test_human(seconds: int, text: str) -> None:
    assert human(seconds) == text


def test_moment_label_and_defaults() -> None:
    m = Moment(3727)
    assert m.video is None
    assert m.label == "1:02:07"
    assert Moment(91, VID).video == VID
    assert Moment(91) == Moment(91, None)
    assert Moment(91) != Moment(91, VID)


# -- youtube_id ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "video"), [
    (f"https://www.youtube.com/watch?v={VID}", VID),
    (f"http://www.youtube.com/watch?v={VID}&t=91", VID),
    (f"https://youtube.com/watch?t=5&v={VID}", VID),
    ("https://m.youtube.com/watch?v=-UrdExQW0cs&t=1", "-UrdExQW0cs"),  # ids may start with - or _
    ("https://www.youtube.com/watch?v=_kRg-ZP1vQc", "_kRg-ZP1vQc"),
    (f"https://youtu.be/{VID}", VID),
    (f"https://youtu.be/{VID}?t=3", VID),
    (f"https://www.youtube.com/embed/{VID}", VID),
    (f"https://www.youtube.com/embed/{VID}?start=30", VID),
    (f"https://youtube.com/shorts/{VID}", VID),
    (f"https://www.youtube.com/live/{VID}", VID),
    (f"  https://youtu.be/{VID}  ", VID),
])
def test_youtube_id(url: str, video: str) -> None:
    assert youtube_id(url) == video


@pytest.mark.parametrize("url", [
    "https://vimeo.com/123456789",
    "https://en.wikipedia.org/wiki/3D_game",
    f"https://evil.example/watch?v={VID}",  # the id alone does not make a YouTube URL
    f"https://youtube.com.evil.example/watch?v={VID}",
    "https://www.youtube.com/watch?v=short",  # not 11 characters
    "https://www.youtube.com/watch",
    "https://www.youtube.com/embed/",
    "https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw",
    "https://example.com/episode.mp3",
    "not a url",
    "",
    "http://[::1",  # unparseable
])
def test_youtube_id_rejects(url: str) -> None:
    assert youtube_id(url) is None


# -- url_seconds --------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "seconds"), [
    (f"https://www.youtube.com/watch?v={VID}&t=91", 91),
    (f"https://youtu.be/{VID}?t=91s", 91),
    ("https://www.youtube.com/watch?v=11-YE-A9etM&t=12m28s", 748),
    (f"https://www.youtube.com/watch?v={VID}&t=1h2m3s", 3723),
    (f"https://www.youtube.com/watch?v={VID}&t=1h2m", 3720),
    (f"https://www.youtube.com/watch?v={VID}&t=2m", 120),
    (f"https://www.youtube.com/embed/{VID}?start=30", 30),
    (f"https://www.youtube.com/watch?v={VID}#t=45", 45),  # fragment form
    (f"https://www.youtube.com/watch?v={VID}&t=0", 0),
    (f"https://www.youtube.com/watch?v={VID}#t=62.35", 62),  # a fraction of a second (Media Extended)
    (f"https://youtu.be/{VID}?t=1m2.5s", 62),
])
def test_url_seconds(url: str, seconds: int) -> None:
    assert url_seconds(url) == seconds


@pytest.mark.parametrize("url", [
    f"https://www.youtube.com/watch?v={VID}",
    f"https://youtu.be/{VID}",
    f"https://www.youtube.com/watch?v={VID}&t=",
    f"https://www.youtube.com/watch?v={VID}&t=abc",
    f"https://www.youtube.com/watch?v={VID}&t=1:02",
    f"https://www.youtube.com/watch?v={VID}&t=62.",
    f"https://www.youtube.com/watch?v={VID}&t=.5",
    "http://[::1",
    # past any video's length: once a build-wide crash (Integer exceeds 64-bit range), or beyond
    # Python's 4,300 digits for int()
    f"https://youtu.be/{VID}?t=18446744073709551616",
    f"https://youtu.be/{VID}?t=360001",
    f"https://youtu.be/{VID}?t=101h",
    f"https://youtu.be/{VID}?t={'9' * 5000}",
])
def test_url_seconds_none(url: str) -> None:
    assert url_seconds(url) is None


# -- watch_url ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("video", "seconds", "url"), [
    (VID, 91, f"https://www.youtube.com/watch?v={VID}&t=91s"),
    ("-UrdExQW0cs", 0, "https://www.youtube.com/watch?v=-UrdExQW0cs&t=0s"),
    ("AF8d72mA41M", 3727, "https://www.youtube.com/watch?v=AF8d72mA41M&t=3727s"),
])
def test_watch_url(video: str, seconds: int, url: str) -> None:
    assert watch_url(video, seconds) == url


def test_watch_url_round_trips() -> None:
    url = watch_url(VID, 748)
    assert youtube_id(url) == VID
    assert url_seconds(url) == 748
