"""``build-deck preview``: every card of a build, front and back, on one static HTML page.

Cards are rendered with the deck's own templates and CSS by a small implementation of Anki's
template language (``{{Field}}``, ``{{#Field}}``/``{{^Field}}`` sections, ``{{FrontSide}}``,
``{{text:}}`` and ``{{cloze:}}``), checked against Anki's renderer in the tests. The page is
self-contained and loads nothing from the network: math stays as its ``\\( \\)`` source (Anki
typesets it with its own MathJax), and an embedded player loads only when asked to.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cardgen.apkg.models import BASIC_FIELDS, CLOZE_FIELDS
from cardgen.apkg.package import current_umask
from cardgen.errors import CardgenError, ConfigError
from cardgen.markup import text_of
from cardgen.pipeline import BuildReport
from cardgen.settings import EXTRACTOR_NAMES
from cardgen.state import StoredCard, write_atomic

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_EMPTY = re.compile(r"^(?:\s|</?(?:br|div)\s?/?>)*$", re.I)  # what Anki counts as an empty field
_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
_SPACER = re.compile(r"<br\s*/?>|</?div>", re.I)  # what Anki's text filter turns into spaces
_ANY_TAG = re.compile(r"<[^>]*>")
_PLAYER = re.compile(r"<(iframe|video|audio)\b([^>]*?)\ssrc=")
Node = str | tuple[str, str, list["Node"]]


@dataclass(frozen=True)
class Templates:
    """One note type's question and answer templates, parsed."""

    front: list[Node]
    back: list[Node]


def parse(template: str, name: str) -> list[Node]:
    """A template -> text and ``(kind, name, children)`` nodes; kind is ``=``, ``#`` or ``^``."""
    root: list[Node] = []
    stack: list[tuple[str, list[Node]]] = [("", root)]
    pos = 0
    for m in _TAG.finditer(template):
        stack[-1][1].append(template[pos:m.start()])
        pos = m.end()
        tag = m.group(1).strip()
        if tag[:1] in ("#", "^"):
            children: list[Node] = []
            stack[-1][1].append((tag[0], tag[1:].strip(), children))
            stack.append((tag[1:].strip(), children))
        elif tag[:1] == "/":
            if len(stack) == 1 or stack[-1][0] != tag[1:].strip():
                raise ConfigError(f"{name}: {{{{{tag}}}}} closes a section that is not open")
            stack.pop()
        else:
            stack[-1][1].append(("=", tag, []))
    if len(stack) > 1:
        raise ConfigError(f"{name}: {{{{#{stack[-1][0]}}}}} is never closed with {{{{/{stack[-1][0]}}}}}")
    root.append(template[pos:])
    return root


def cloze(text: str, ordinal: int, question: bool) -> str:
    """Anki's ``{{cloze:}}`` for card ``ordinal``: a gap on the question, the words on the answer."""
    def one(m: re.Match[str]) -> str:
        n, words, hint = int(m.group(1)), m.group(2), m.group(3)
        if n != ordinal:
            return f'<span class="cloze-inactive" data-ordinal="{n}">{words}</span>'
        if question:
            return (f'<span class="cloze" data-cloze="{html.escape(words)}" data-ordinal="{n}">'
                    f'[{hint or "..."}]</span>')
        return f'<span class="cloze" data-ordinal="{n}">{words}</span>'
    return _CLOZE.sub(one, text)


def render(nodes: list[Node], fields: dict[str, str], question: bool, front_side: str = "",
           ordinal: int = 1) -> str:
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            continue
        kind, name, children = node
        if kind == "=":
            out.append(_replace(name, fields, question, front_side, ordinal))
        elif (kind == "#") == bool(name in fields and not _EMPTY.match(fields[name])):
            out.append(render(children, fields, question, front_side, ordinal))
    return "".join(out)


def _replace(tag: str, fields: dict[str, str], question: bool, front_side: str, ordinal: int) -> str:
    *filters, name = (p.strip() for p in tag.split(":"))
    if name == "FrontSide":
        return front_side
    if name not in fields:
        raise ConfigError(f"{{{{{tag}}}}}: there is no field called {name!r}")
    value = fields[name]
    for f in reversed(filters):  # the filter next to the field name applies first, as in Anki
        if f == "cloze":
            value = cloze(value, ordinal, question)
        elif f == "text":  # Anki's html_to_text_line: tags dropped, entities decoded
            value = html.unescape(_ANY_TAG.sub("", _SPACER.sub(" ", value))).strip()
    return value


def render_card(card: StoredCard, templates: dict[str, str]) -> tuple[str, str]:
    """The question and answer HTML of a card, as Anki renders them (without the CSS)."""
    prefix, names = ("cloze", CLOZE_FIELDS) if card.kind == "cloze" else ("basic", BASIC_FIELDS)
    front_name, back_name = f"{prefix}_front.html", f"{prefix}_back.html"
    fields = dict(zip(names, card.fields, strict=True))
    front = render(parse(templates[front_name], front_name), fields, question=True)
    back = render(parse(templates[back_name], back_name), fields, question=False, front_side=front)
    return front, back


def _defer_players(fragment: str) -> str:
    """Players load on a click, not with the page: the preview fetches nothing by itself."""
    return _PLAYER.sub(r'<\1\2 data-src=', fragment)


def _plain(fragment: str) -> str:
    return " ".join(text_of(fragment).split())


def _card_html(card: StoredCard, templates: dict[str, str]) -> str:
    front, back = render_card(card, templates)
    has_player = "data-src=" in _defer_players(back)
    words = _plain(" ".join([card.note, *card.fields[:3], card.extractor]))
    link = "" if card.fields[3] else '<span class="pv-flag">no video link</span>'
    retired = '<span class="pv-flag">retired</span>' if card.retired is not None else ""
    load = '<button type="button" class="pv-load">Load player</button>' if has_player else ""
    return f"""<article class="pv-card" data-search="{html.escape(words.lower())}" data-key="{html.escape(card.key)}">
<div class="pv-meta">{html.escape(card.extractor)} · line {card.line} {link}{retired}{load}</div>
<div class="pv-sides">
<div class="pv-side"><div class="pv-label">Front</div><div class="card card1">{_defer_players(front)}</div></div>
<div class="pv-side"><div class="pv-label">Back</div><div class="card card1">{_defer_players(back)}</div></div>
</div></article>"""


def _counts(report: BuildReport, cards: list[StoredCard]) -> str:
    kinds = ", ".join(f"{report.cards.get(k, 0)} {k}" for k in EXTRACTOR_NAMES if k in report.cards)
    c = report.changes
    changes = (f"compared with the last build: {c.get('new', 0)} new, {c.get('updated', 0)} updated, "
               f"{c.get('unchanged', 0)} unchanged, {c.get('retired', 0) + c.get('still_retired', 0)} retired")
    without = (f" · {report.cards_without_link} cards without a video link"
               if report.cards_without_link else "")
    return (f"{report.notes} notes → <b>{len(cards)}</b> cards ({kinds}) · {changes}{without} · "
            f"{report.tally()}")


def _diagnostics(report: BuildReport) -> str:
    if not report.diagnostics:
        return ""
    items = "".join(f'<li class="pv-{d.level}">{html.escape(str(d))}</li>' for d in report.diagnostics)
    return f'<details class="pv-diagnostics" open><summary>Warnings and errors</summary><ul>{items}</ul></details>'


def page(cards: Iterable[StoredCard], report: BuildReport, templates: dict[str, str], title: str) -> str:
    """The whole preview page: cards grouped by note, in the note's order, searchable, light and dark."""
    cards = sorted(cards, key=lambda c: (c.note, c.line, EXTRACTOR_NAMES.index(c.extractor), c.key))
    by_note: dict[str, list[StoredCard]] = {}
    for card in cards:
        by_note.setdefault(card.note, []).append(card)
    problems: dict[str, list[str]] = {}
    for d in report.diagnostics:
        problems.setdefault(d.path, []).append(html.escape(str(d)))
    sections = []
    for note, group in by_note.items():
        name = html.escape(_plain(group[0].fields[2]).split(" › ")[0])
        notes = "".join(f"<li>{p}</li>" for p in problems.get(note, []))
        sections.append(
            f'<section class="pv-note"><h2>{name} <small>{html.escape(note)} · {len(group)} cards</small></h2>'
            + (f'<ul class="pv-note-problems">{notes}</ul>' if notes else "")
            + "\n".join(_card_html(c, templates) for c in group) + "</section>")
    return _PAGE.format(title=html.escape(title), css=templates["style.css"], counts=_counts(report, cards),
                        diagnostics=_diagnostics(report), sections="\n".join(sections), total=len(cards),
                        script=_SCRIPT.replace("TOTAL", json.dumps(len(cards))))


def write_page(path: Path, text: str) -> None:
    """Write the page whole, or say in one line why not: never over a folder or a device
    (``--html /dev/full`` as root replaced the device), through a symlink to the file it names."""
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not target.is_file():
        raise CardgenError(f"cannot write the preview to {path}: it is not a file")
    try:
        write_atomic(target, text.encode("utf-8"))
        os.chmod(target, 0o666 & ~current_umask())  # a page to open and share, not a private temp file
    except OSError as e:
        raise CardgenError(f"cannot write the preview to {path}: {e.strerror or e}") from None


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}: card preview</title>
<style>
{css}
</style>
<style>
/* the page around the cards; the cards themselves use only the deck's CSS above */
html {{ --pv-bg: #eef0f3; --pv-text: #1f2328; --pv-muted: #5f6b7a; --pv-panel: #fff; --pv-line: #d5d9de; }}
html.pv-dark {{ --pv-bg: #111214; --pv-text: #e7e9ec; --pv-muted: #a2abb6; --pv-panel: #18191b; --pv-line: #34373c; }}
body {{ margin: 0; background: var(--pv-bg); color: var(--pv-text); font: 15px/1.45 system-ui, sans-serif; }}
.pv-bar {{ position: sticky; top: 0; z-index: 2; background: var(--pv-panel); border-bottom: 1px solid var(--pv-line);
          padding: .6em 1em; display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: center; }}
.pv-bar h1 {{ font-size: 1.1em; margin: 0; }}
.pv-bar input {{ flex: 1 1 14em; font: inherit; padding: .35em .6em; border: 1px solid var(--pv-line);
                border-radius: .4em; background: var(--pv-bg); color: inherit; }}
.pv-bar button, .pv-load {{ font: inherit; padding: .3em .8em; border: 1px solid var(--pv-line); border-radius: .4em;
                          background: var(--pv-bg); color: inherit; cursor: pointer; }}
.pv-summary {{ padding: .6em 1em 0; color: var(--pv-muted); }}
.pv-diagnostics {{ margin: .5em 1em; }}
.pv-diagnostics li, .pv-note-problems li {{ font-family: ui-monospace, monospace; font-size: .85em; }}
.pv-warning {{ color: #b45309; }} .pv-error {{ color: #dc2626; }}
main {{ padding: 0 1em 2em; }}
.pv-note h2 {{ font-size: 1.15em; margin: 1.4em 0 .5em; }}
.pv-note h2 small {{ font-weight: normal; color: var(--pv-muted); font-size: .75em; margin-left: .4em; }}
.pv-card {{ background: var(--pv-panel); border: 1px solid var(--pv-line); border-radius: .6em; margin: .7em 0;
           padding: .5em .7em .7em; }}
.pv-meta {{ font-size: .8em; color: var(--pv-muted); margin-bottom: .3em; display: flex; gap: .6em;
            align-items: center; }}
.pv-flag {{ color: #b45309; }}
.pv-sides {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: .7em; }}
.pv-side {{ border: 1px solid var(--pv-line); border-radius: .4em; overflow: hidden; display: flex;
            flex-direction: column; }}
.pv-label {{ font-size: .7em; text-transform: uppercase; letter-spacing: .08em; color: var(--pv-muted);
            padding: .3em .7em; border-bottom: 1px solid var(--pv-line); }}
.pv-side > .card {{ max-width: none; margin: 0; flex: 1; }}
[hidden] {{ display: none !important; }}
</style></head>
<body>
<div class="pv-bar"><h1>{title}</h1>
<input id="pv-search" type="search" placeholder="Search cards" aria-label="Search cards">
<span id="pv-shown">{total} cards</span>
<button type="button" id="pv-theme">Dark</button></div>
<div class="pv-summary">{counts}</div>
{diagnostics}
<main>
{sections}
</main>
<script>{script}</script>
</body></html>
"""

_SCRIPT = """
(function () {
  var total = TOTAL, root = document.documentElement;
  var cards = Array.prototype.slice.call(document.querySelectorAll(".pv-card"));
  var notes = Array.prototype.slice.call(document.querySelectorAll(".pv-note"));
  var button = document.getElementById("pv-theme");
  function theme(dark) {
    root.classList.toggle("pv-dark", dark);
    document.querySelectorAll(".card").forEach(function (c) {
      c.classList.toggle("nightMode", dark); c.classList.toggle("night_mode", dark);
    });
    button.textContent = dark ? "Light" : "Dark";
  }
  theme(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  button.addEventListener("click", function () { theme(!root.classList.contains("pv-dark")); });
  document.getElementById("pv-search").addEventListener("input", function (e) {
    var words = e.target.value.toLowerCase().split(/\\s+/).filter(Boolean), shown = 0;
    cards.forEach(function (c) {
      var text = c.getAttribute("data-search");
      var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
      c.hidden = !hit; if (hit) shown++;
    });
    notes.forEach(function (n) { n.hidden = !n.querySelector(".pv-card:not([hidden])"); });
    document.getElementById("pv-shown").textContent = (words.length ? shown + " of " : "") + total + " cards";
  });
  document.addEventListener("click", function (e) {
    if (!e.target.classList.contains("pv-load")) return;
    e.target.closest(".pv-card").querySelectorAll("[data-src]").forEach(function (p) {
      p.setAttribute("src", p.getAttribute("data-src"));
    });
    e.target.remove();
  });
})();
"""
