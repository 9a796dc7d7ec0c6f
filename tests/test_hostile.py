"""Hostile notes: nothing a note says can run script in Anki's card view or write outside --out."""

from __future__ import annotations

import re

import pytest
from conftest import T0

ATTACKS = {
    "img onerror": '<img src=x onerror=alert(1)>',
    "script": "<script>alert(1)</script>",
    "javascript link (markdown)": "[click me](javascript:alert(1))",
    "javascript link (html)": '<a href="javascript:alert(1)">click me</a>',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "svg onload": "<svg onload=alert(1)></svg>",
    "style tag": "<style>.card{display:none}</style>",
    "style attribute": '<span style="position:fixed;top:0;left:0;width:100%;height:100%">cover</span>',
    "event handler in bold": '<b onmouseover="alert(1)">hover</b>',
    "data url": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "template syntax": "{{FrontSide}} {{c1::leak}} {{#Back}}x{{/Back}}",
}
DANGER = re.compile(r"<script|<iframe|<svg|<style|\bon\w+\s*=|javascript:|data:text|style=|\{\{(?!c1::)", re.I)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_is_neutralised_and_the_text_still_shows(vault, name):
    attack = ATTACKS[name]
    vault.write("evil.md", f"""
    ---
    title: Evil
    videoId: Ev1lEv1lEv1
    ---

    ## Attack

    Before the attack {attack} and after the attack comes the payload text [00:00:05].

    > [!info] Payload
    > Definition with the attack {attack} inside it.
    """)
    vault.build(T0)
    cards = vault.cards()
    assert cards
    for card in cards:
        for field, value in card["fields"].items():
            assert not DANGER.search(value), (name, field, value)
    text = " ".join(" ".join(c["fields"].values()) for c in cards)
    assert "Before the attack" in text and "after the attack comes the payload text" in text
    assert "Definition with the attack" in text


def test_img_onerror_and_script_card_html_is_exactly_the_safe_text(vault):
    vault.write("evil.md", """
    ---
    title: Evil
    videoId: Ev1lEv1lEv1
    ---

    ## Attack

    Photosynthesis turns light <img src=x onerror=alert(1)> into sugar <script>alert(1)</script> in leaves [00:00:05].
    """)
    vault.build(T0)
    [cloze] = [c for c in vault.cards() if c["notetype"] == "cardgen cloze"]
    html = cloze["fields"]["Text"]
    assert "onerror" not in html and "<script" not in html and "alert" not in html
    assert re.sub(r"\{\{c1::(.*?)\}\}", r"\1", re.sub("<[^>]+>", "", html)) == \
        "Photosynthesis turns light into sugar in leaves."


@pytest.mark.parametrize("deck", ["../../outside", "/etc/cron.d/x", "..", "a/../../b"])
def test_deck_names_never_write_outside_the_output_folder(vault, deck, tmp_path):
    vault.write("n.md", f"---\ntitle: N\ndeck: {deck}\nvideoId: abcdefghijk\n---\n\n## A\n\nSome text here.\n")
    vault.build(T0, deck=deck)
    written = {p.resolve() for p in tmp_path.rglob("*") if p.is_file()} - {p.resolve() for p in vault.dir.rglob("*")}
    assert written and all(vault.out.resolve() in p.parents for p in written), written
