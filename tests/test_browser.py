"""Cards and the preview page in a real headless browser (Debian's Chromium, driven by Playwright).

`make test` installs Chromium when it is missing; these tests fail rather than skip without it.
``pytest --update-golden`` also writes the screenshots in ``docs/`` from the same renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from conftest import REPO
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

from cardgen.apkg.templates import load_templates
from cardgen.media import MediaOptions
from cardgen.pipeline import BuildOptions, BuildReport, build_deck
from cardgen.preview import page, render_card
from cardgen.state import StoredCard

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FIXTURE = REPO / "tests" / "fixtures" / "preview"
DOCS = REPO / "docs"
PHONE = {"width": 380, "height": 640}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), "Chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def build(notes: Path, tmp_path: Path, **kw: object) -> tuple[BuildReport, list[StoredCard]]:
    cards: list[StoredCard] = []
    report = build_deck(BuildOptions(notes_dir=notes, out_dir=tmp_path / "out", dry_run=True, timestamp=1.76e9,
                                     on_cards=cards.extend, **kw))  # type: ignore[arg-type]
    return report, cards


def open_page(browser: Browser, path: Path, viewport: dict[str, int], dark: bool = False) -> tuple[Page, list[str]]:
    """The page, and every console error or uncaught exception it produces."""
    tab = browser.new_page(viewport=viewport, color_scheme="dark" if dark else "light")
    errors: list[str] = []

    def console(m: ConsoleMessage) -> None:
        if m.type == "error":
            errors.append(m.text)

    tab.on("console", console)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    tab.goto(path.as_uri())
    tab.wait_for_load_state("load")
    return tab, errors


def preview_file(tmp_path: Path, notes: Path, **kw: object) -> tuple[Path, BuildReport, list[StoredCard]]:
    report, cards = build(notes, tmp_path, **kw)
    target = tmp_path / "preview.html"
    target.write_text(page(cards, report, load_templates(), notes.name), encoding="utf-8")
    return target, report, cards


def luminance(css_colour: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def source_of(note: Path) -> str | None:
    """The YouTube id, else the audio URL, in a note's frontmatter, read without cardgen."""
    meta = yaml.safe_load(note.read_text(encoding="utf-8").split("---", 2)[1]) or {}
    if meta.get("videoId"):
        return str(meta["videoId"])
    m = re.search(r"[?&]v=([\w-]{11})", str(meta.get("url", "")))
    return m.group(1) if m else meta.get("audio")


def test_sample_vault_preview_loads_cleanly_and_every_card_links_its_moment(browser: Browser, tmp_path: Path) -> None:
    target, report, cards = preview_file(tmp_path, REPO / "notes")
    tab, errors = open_page(browser, target, {"width": 1200, "height": 900})
    assert errors == []
    assert tab.locator(".pv-card").count() == len(cards) == sum(report.cards.values()) > 100
    assert tab.locator("#pv-shown").inner_text() == f"{len(cards)} cards"
    sources = {str(p.relative_to(REPO / "notes")): source_of(p) for p in (REPO / "notes").rglob("*.md")}
    assert None not in sources.values() and not report.notes_without_video
    for card in cards:
        back = tab.locator(f'.pv-card[data-key="{card.key}"] .pv-side').nth(1)
        links = back.locator(".cg-moment a")
        source = sources[card.note]
        assert links.count() >= 1, f"{card.key} has no moment link"
        for i in range(links.count()):
            url = urlsplit(links.nth(i).get_attribute("href") or "")
            label = links.nth(i).inner_text()
            if source.endswith(".mp3"):  # the podcast note: the audio file with a media fragment
                assert url._replace(fragment="").geturl() == source and url.fragment.startswith("t="), card.key
                seconds = int(url.fragment[2:])
            else:
                query = parse_qs(url.query)
                assert (url.scheme, url.netloc, url.path) == ("https", "www.youtube.com", "/watch"), card.key
                assert query["v"] == [source] or "(other video)" in label, card.key
                seconds = int(query["t"][0].rstrip("s"))
            assert seconds in card.moments, f"{card.key}: link to {seconds}s, card moments {card.moments}"
            h, rest = divmod(seconds, 3600)
            assert label.startswith("▶ " + (f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else
                                            f"{rest // 60}:{rest % 60:02d}")), label


def test_moment_links_are_clickable_and_go_to_the_moment(browser: Browser, tmp_path: Path) -> None:
    target, _, cards = preview_file(tmp_path, FIXTURE)
    tab, errors = open_page(browser, target, PHONE)
    opened: list[str] = []

    def answer(route: Route) -> None:  # stands in for the video sites: nothing leaves the machine
        opened.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>video</title>")

    tab.route(re.compile(r"^https://"), answer)
    expected = {
        "python/generators.md": "https://www.youtube.com/watch?v=Lz4Gn8Rk2Yc&t=747s",
        "podcast.md": "https://media.example.org/episodes/ep12.mp3#t=465",
        "talk.md": "https://vimeo.com/76979871#t=125s",
    }
    keys = {"python/generators.md": "generators#claims#t747", "podcast.md": "podcast#claims#t465",
            "talk.md": "talk#claims#t125"}
    for note, url in expected.items():
        link = tab.locator(f'.pv-card[data-key="{keys[note]}"] .pv-side').nth(1).locator(".cg-moment a").first
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box is not None and box["height"] >= 36 and box["x"] + box["width"] <= PHONE["width"], box
        link.click()
        tab.wait_for_url(url)
        assert opened[-1].split("#")[0] == url.split("#")[0]
        tab.go_back()
    assert errors == []
    assert len(cards) == 11


def test_search_filters_cards_and_the_theme_switches_night_mode(browser: Browser, tmp_path: Path) -> None:
    target, _, _ = preview_file(tmp_path, FIXTURE)
    tab, errors = open_page(browser, target, {"width": 1000, "height": 800})
    tab.fill("#pv-search", "hippocampus")
    visible = tab.locator(".pv-card:visible")
    assert visible.count() == 2
    assert tab.locator("#pv-shown").inner_text() == "2 of 11 cards"
    assert all("hippocampus" in visible.nth(i).inner_text().lower() or "[...]" in visible.nth(i).inner_text()
               for i in range(2))
    assert tab.locator(".pv-note:visible").count() == 1
    tab.fill("#pv-search", "")
    assert tab.locator(".pv-card:visible").count() == 11

    card = tab.locator(".pv-card .card").first
    assert luminance(card.evaluate("c => getComputedStyle(c).backgroundColor")) > 0.9
    tab.click("#pv-theme")
    assert "nightMode" in (card.get_attribute("class") or "")
    assert luminance(card.evaluate("c => getComputedStyle(c).backgroundColor")) < 0.2
    assert luminance(card.evaluate("c => getComputedStyle(c).color")) > 0.8
    tab.click("#pv-theme")
    assert "nightMode" not in (card.get_attribute("class") or "")
    assert errors == []

    dark, errors = open_page(browser, target, {"width": 1000, "height": 800}, dark=True)
    assert "nightMode" in (dark.locator(".pv-card .card").first.get_attribute("class") or "")
    assert errors == []


def test_players_load_only_when_asked(browser: Browser, tmp_path: Path) -> None:
    target, _, _ = preview_file(tmp_path, FIXTURE, media=MediaOptions(player=True))
    tab, errors = open_page(browser, target, {"width": 1000, "height": 800})
    assert errors == []
    assert tab.locator("iframe[src], audio[src], video[src]").count() == 0, "the page fetched a player by itself"
    embed = tab.locator('.pv-card[data-key="generators#claims#t747"] iframe')
    assert embed.get_attribute("data-src") == "https://www.youtube-nocookie.com/embed/Lz4Gn8Rk2Yc?start=747&end=1192&rel=0"
    audio = tab.locator('.pv-card[data-key="podcast#claims#t250"] audio')
    assert audio.get_attribute("data-src") == "https://media.example.org/episodes/ep12.mp3#t=250,465"
    assert tab.locator(".pv-load").count() == 11


def card_document(html: str, css: str, night: bool) -> str:
    """A card as Anki shows it: the CSS, and the card in a body of class ``card`` (``nightMode`` at night)."""
    mode = " nightMode night_mode" if night else ""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<style>{css}</style></head><body class="card card1{mode}"><div id="qa">{html}</div></body></html>')


def test_card_and_preview_screenshots(browser: Browser, tmp_path: Path, update_golden: bool) -> None:
    """A cloze card, front and back, light and night, on a phone-sized screen; and the preview page."""
    _, cards = build(FIXTURE, tmp_path)
    templates = load_templates()
    card = next(c for c in cards if c.key == "generators#claims#t747")
    front, back = render_card(card, templates)
    shots = tmp_path / "shots"
    shots.mkdir()
    for side, html in (("front", front), ("back", back)):
        for night in (False, True):
            name = f"card-{side}-{'night' if night else 'light'}"
            doc = tmp_path / f"{name}.html"
            doc.write_text(card_document(html, templates["style.css"], night), encoding="utf-8")
            tab, errors = open_page(browser, doc, PHONE)
            assert errors == []
            body = tab.locator("body")
            bg = luminance(body.evaluate("b => getComputedStyle(b).backgroundColor"))
            assert (bg < 0.2) if night else (bg > 0.9), (name, bg)
            assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "scrolls sideways"
            text = body.inner_text()
            assert "Python generators › Generator Functions" in text
            if side == "front":
                assert "[...]" in text and "yield" not in text
            else:
                assert tab.locator(".cloze").inner_text() == "yield"
                assert tab.locator(".cg-moment a").inner_text() == "▶ 12:27"
            tab.screenshot(path=str(shots / f"{name}.png"))
            tab.close()

    target, _, _ = preview_file(tmp_path, FIXTURE)
    tab, errors = open_page(browser, target, {"width": 1200, "height": 1000})
    tab.fill("#pv-search", "generator")
    tab.screenshot(path=str(shots / "preview.png"))
    assert errors == []
    for png in shots.iterdir():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000, png
        if update_golden:
            DOCS.mkdir(exist_ok=True)
            (DOCS / png.name).write_bytes(png.read_bytes())
    assert {p.name for p in shots.iterdir()} <= {p.name for p in DOCS.glob("*.png")} or update_golden, \
        "docs/ lacks a screenshot: run pytest tests/test_browser.py --update-golden"
