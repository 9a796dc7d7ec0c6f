"""The Anki fields of a card: the short cuts card_fields takes give urllib's and escape()'s exact text."""

from __future__ import annotations

from urllib.parse import quote

from cardgen.apkg.package import _quote, source_html
from cardgen.markup import escape


def test_quote_is_urllibs_for_every_character():
    text = "".join(map(chr, range(128))) + " é 🙂 İ ß"
    for part in (text, text[:128], "Photon Pressure", "a/b c.md", ""):
        assert _quote(part) == quote(part, safe="")


def test_source_link_is_the_escaped_obsidian_url():
    path, heading = "space/<odd> & 'ok'.md", "Q&A: 100% \"É\" #1"
    target = quote(f"{path[:-3]}#{heading}", safe="")
    url = escape(f"obsidian://open?vault={quote('my vault', safe='')}&file={target}")
    assert source_html(path, 7, heading, "my vault") == f'<a href="{url}">{escape(path)}:7</a>'
    assert source_html(path, 7, "", "my vault") == (
        f'<a href="{escape("obsidian://open?vault=my%20vault&file=" + quote(path[:-3], safe=""))}">'
        f"{escape(path)}:7</a>")


def test_moment_links_name_another_video_and_skip_moments_without_a_url():
    from cardgen.media import MediaOptions, NoteMedia
    from cardgen.model import Moment
    from cardgen.parse import parse_note

    note, _ = parse_note("n.md", "---\ntitle: T\nvideoId: Sa1LpRz0-Qk\n---\n\n## A\n\nText here.\n", "n")
    assert note is not None
    media = NoteMedia(note, MediaOptions())
    moments = (Moment(100), Moment(30, "Lz4Gn8Rk2Yc"), Moment(100))
    assert media.links(moments) == (
        '<a href="https://www.youtube.com/watch?v=Sa1LpRz0-Qk&amp;t=100s">▶ 1:40</a> · '
        '<a href="https://www.youtube.com/watch?v=Lz4Gn8Rk2Yc&amp;t=30s">▶ 0:30 (other video)</a> · '
        '<a href="https://www.youtube.com/watch?v=Sa1LpRz0-Qk&amp;t=100s">▶ 1:40</a>')
    bare, _ = parse_note("b.md", "---\ntitle: B\n---\n\n## A\n\nText here.\n", "b")
    assert bare is not None
    assert NoteMedia(bare, MediaOptions()).links(moments) == (
        '<a href="https://www.youtube.com/watch?v=Lz4Gn8Rk2Yc&amp;t=30s">▶ 0:30 (other video)</a>')
