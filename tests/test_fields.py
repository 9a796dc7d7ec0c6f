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
