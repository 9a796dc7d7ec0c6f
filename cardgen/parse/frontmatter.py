"""YAML frontmatter -> note metadata (title, video, tags, deck, opt-out), via python-frontmatter."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import frontmatter
import yaml

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

from cardgen.errors import NoteError
from cardgen.media import MEDIA_KEYS, Source, classify
from cardgen.model import Diagnostic
from cardgen.timestamps import youtube_id

_VIDEO_ID = re.compile(r"^[\w-]{11}$")
_URL_KEYS = ("url", "source", "youtube_url", "sourceUrl", "source_url", "youtube", "link", "video")
_ID_KEYS = ("videoId", "video_id", "videoid", "youtube_id")
_FALSE = {False, "false", "no", "off", "0"}


@dataclass
class Meta:
    title: str
    titled: bool  # the title came from the frontmatter, not the file name
    video: str | None
    media: Source | None  # only when there is no YouTube video
    names_media: bool  # a media key is given, usable or not (a file of the vault, "media: [[talk.mp4]]", is not)
    tags: tuple[str, ...]
    deck: str | None
    channel: str | None
    key: str
    enabled: bool
    body: str
    body_line: int  # file line of the body's first line
    warnings: list[Diagnostic] = field(default_factory=list)


class _Loader(SafeLoader):
    """YAML's safe loader (the C one where there is one), except that dates stay text: cardgen reads
    none, and an impossible one (``created: 2024-02-30``, the placeholder ``0000-00-00``) failed the note."""


_Loader.yaml_implicit_resolvers = {
    first: [(kind, pattern) for kind, pattern in resolvers if kind != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()}

# Obsidian writes links in properties (``channel: "[[3Blue1Brown]]"``); unquoted, YAML reads one as a list in a list
_WIKILINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")


def _text(value: Any) -> str:
    """A property's value as text: a link as its alias (else its target), a list as its items."""
    if isinstance(value, list):
        return ", ".join(t for t in map(_text, value) if t)
    return _WIKILINK.sub(lambda m: (m.group(2) or m.group(1)).strip(), str(value)).strip()


def _items(value: Any) -> list[Any]:
    return [i for v in value for i in _items(v)] if isinstance(value, list) else [value]


def tag(value: str) -> str:
    """A frontmatter tag in Anki's form: ``#a/b c`` -> ``a::b_c``."""
    t = re.sub(r"\s+", "_", value.strip().lstrip("#"))
    return "::".join(p for p in t.replace("/", "::").split("::") if p)


def _tags(value: Any) -> tuple[str, ...] | None:
    """A note's tags: a list, or a string of them; ``None`` for a mapping, which is no tags."""
    if value is None:
        return ()
    if isinstance(value, dict):
        return None
    items = _items(value) if isinstance(value, list) else re.split(r"[,\s]+", str(value))
    # (YAML reads a tag "true" or "no" as a boolean: its word as written is lost, its case too)
    words = (str(i).lower() if isinstance(i, bool) else _text(i)
             for i in items if i is not None and not isinstance(i, dict))
    return tuple(dict.fromkeys(t for t in map(tag, words) if t))


def _split(path: str, text: str) -> tuple[dict[str, Any], str, int]:
    if not text.startswith("---"):
        return {}, text, 1
    handler = frontmatter.YAMLHandler()
    try:
        fm, body = handler.split(text)
    except ValueError:  # an opening --- with no closing one: all of it is body
        return {}, text, 1
    try:
        meta = handler.load(fm, Loader=_Loader)  # not frontmatter.parse: it silently drops a list or a string
    except yaml.YAMLError as e:
        mark = getattr(e, "context_mark", None) or getattr(e, "problem_mark", None)  # where the bad value starts
        line = mark.line + 1 if mark is not None else 1  # the YAML text starts with the newline after ---
        problem = getattr(e, "problem", None) or str(e).split("\n")[0]
        raise NoteError(path, line,
                        f"frontmatter is not valid YAML ({problem}); fix it or remove the --- block") from None
    meta = {} if meta is None else meta
    if not isinstance(meta, dict):
        raise NoteError(path, 1, "frontmatter is not a mapping of keys to values (expected e.g. 'title: ...')")
    start = text.find(body[:200]) if body else len(text)
    return meta, body, text.count("\n", 0, max(start, 0)) + 1


def _key_line(text: str, key: str) -> int:
    found = re.search(rf"\n{re.escape(key)}:", text, re.I)  # (as written: "URL:" is url's line)
    return text.count("\n", 0, found.start()) + 2 if found else 1


# Keys are read whatever their case ("Title:", "URL:", "VideoID:", as Notion's importer and many templates
# write them); one written in cardgen's own case wins. Not the note's identity (id, cardgen_id) nor the
# opt-out: a property "ID:" of another tool must not change every card's identity.
_KEYS = {k.lower(): k for k in (*_ID_KEYS, *_URL_KEYS, *MEDIA_KEYS, "title", "tags", "deck", "channel")}


def _in_known_case(meta: dict[Any, Any]) -> dict[Any, Any]:
    for key in list(meta):
        known = _KEYS.get(key.lower()) if isinstance(key, str) else None
        if known is not None and known not in meta:
            meta[known] = meta[key]
    return meta


def _media(path: str, text: str, meta: dict[str, Any], warnings: list[Diagnostic]) -> Source | None:
    """The first usable media URL: from a key that names one (``mediaUrl``, ``audio``, ...), else a
    Vimeo page or media file under a generic key (``url``, ``source``, ...)."""
    for key in (*MEDIA_KEYS, *_URL_KEYS):
        if meta.get(key) in (None, ""):
            continue
        found = classify(str(meta[key]), key)
        if isinstance(found, Source) and found.kind == "page":
            warnings.append(Diagnostic(path, _key_line(text, key), (
                f"{key} is a podcast app's page, not an audio file: cards link to the episode, not to its moments, "
                "and --player has nothing to play. Give the episode's audio file (audio: https://….mp3), or, if the "
                "page opens at a time, its link with {seconds} (mediaUrl: https://…?t={seconds})")))
        if isinstance(found, Source):
            return found
        if found is not None:
            warnings.append(Diagnostic(path, _key_line(text, key), found))
    return None


def read_meta(path: str, text: str, stem: str) -> Meta:
    meta, body, body_line = _split(path, text)
    meta = _in_known_case(meta)
    warnings: list[Diagnostic] = []
    video = None
    for key in _ID_KEYS:
        if meta.get(key) not in (None, ""):
            raw = str(meta[key]).strip()
            video = raw if _VIDEO_ID.match(raw) else youtube_id(raw)
            if video is None:
                warnings.append(Diagnostic(path, _key_line(text, key), f"{key} {raw!r} is not a YouTube video id "
                                                    "(11 letters, digits, - or _); cards get no video link"))
            break
    if video is None:
        # a YouTube URL wins under any key, mediaUrl: and videoUrl: too (else it would be played as a file)
        video = next((v for v in (youtube_id(str(meta[k])) for k in (*_URL_KEYS, *MEDIA_KEYS) if meta.get(k)) if v),
                     None)
    media = None if video else _media(path, text, meta, warnings)
    title = _text(meta.get("title") or stem) or stem
    note_id = meta.get("cardgen_id") or meta.get("id")
    deck = meta.get("deck")
    channel = meta.get("channel")
    tags = _tags(meta.get("tags"))
    if tags is None:
        warnings.append(Diagnostic(path, _key_line(text, "tags"), "tags is a mapping (key: value), not a list of "
                                                                  "tags; write tags: [a, b] (its values are left out)"))
    return Meta(
        title=title, titled=bool(_text(meta.get("title") or "")), video=video, media=media,
        names_media=any(meta.get(k) not in (None, "") for k in MEDIA_KEYS),
        tags=tags or (),
        deck=(_text(deck) or None) if deck else None,
        channel=(_text(channel) or None) if channel else None,
        key=f"id:{note_id}" if note_id not in (None, "") else stem,
        enabled=meta.get("cardgen", True) not in _FALSE,
        body=body, body_line=body_line, warnings=warnings)
