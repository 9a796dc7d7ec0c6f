"""Where a moment plays: the link to it and the optional embedded player, for every kind of source.

A note's source is its YouTube video (``videoId``/``url``, unchanged), else a media URL from the
frontmatter (``mediaUrl``, ``videoUrl``, ``audio``, ...):

* a Vimeo page: ``https://vimeo.com/<id>#t=<s>s``, player ``player.vimeo.com`` (do-not-track);
* an audio or video file (``.mp3``, ``.mp4``, ...): the W3C media fragment ``#t=<start>`` for the
  link, ``#t=<start>,<end>`` for the player, so the browser plays just the clip;
* a URL template with ``{seconds}`` or ``{hms}``: the link fills it in; there is no player.

``--link-template`` replaces the YouTube watch link with a template that also has ``{id}`` (an
Invidious instance, a local copy of the video). The YouTube player is always the privacy-enhanced
``youtube-nocookie.com`` embed, starting at the moment and stopping at the next claim's.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit, urlunsplit

from cardgen.markup import escape
from cardgen.timestamps import LONGEST, Moment, human, parse_parts, to_seconds, watch_url

if TYPE_CHECKING:  # the model holds a Source, so it is imported for annotations only
    from cardgen.model import Note

Kind = Literal["youtube", "vimeo", "audio", "video", "template", "page"]

# frontmatter keys that name a media URL on purpose; any http(s) URL is taken from them
AUDIO_KEYS = ("audio", "audioUrl", "audio_url", "podcast")
MEDIA_KEYS = ("mediaUrl", "media_url", "media", "videoUrl", "video_url", *AUDIO_KEYS)
NOTE_PLACEHOLDERS = ("seconds", "hms")  # in a note's own URL template
LINK_PLACEHOLDERS = ("id", *NOTE_PLACEHOLDERS)  # in --link-template, {id} being the YouTube id

_AUDIO_EXT = {".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac"}
_VIDEO_EXT = {".mp4", ".m4v", ".webm", ".ogv", ".mov"}
# a link into a media file at a moment, as Obsidian's Media Extended writes it: ``[[talk.mp4#t=90]]``,
# ``[[talk.mp4#t=1:30,1:45]]`` (a clip), ``[01:30](talk.mp3#t=90.5)``; the start is seconds, or a clock.
# (also .mkv, which Media Extended plays in the vault though no browser does)
_MEDIA_FILE = "|".join(re.escape(ext) for ext in sorted(_AUDIO_EXT | _VIDEO_EXT | {".mkv"}))
_MEDIA_MOMENT = re.compile(rf"[^#]*(?:{_MEDIA_FILE})#t=(?:npt:)?(?P<start>[\d:.]{{1,12}})(?:,[\d:.]{{0,12}})?", re.I)


def media_moment(target: str) -> int | None:
    """The second a link into a media file starts at (``talk.mp4#t=1:30`` -> 90), else ``None``."""
    m = _MEDIA_MOMENT.fullmatch(target.strip())
    if m is None:
        return None
    start = m.group("start")
    if ":" in start:
        parts = parse_parts(start)
        return None if parts is None else to_seconds(parts, False)
    try:
        seconds = int(float(start))
    except ValueError:
        return None
    return seconds if seconds <= LONGEST else None


_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
# podcast apps' episode pages: no audio file, and no way this page is known to open at a moment
PODCAST_PAGES = {"open.spotify.com", "podcasts.apple.com", "overcast.fm", "pca.st", "castbox.fm", "castro.fm",
                 "podcasts.google.com", "music.amazon.com", "www.podbean.com", "podcastaddict.com"}
_VIMEO_PATH = re.compile(r"^/(?:video/|channels/[^/]+/|groups/[^/]+/videos/)?(\d+)(?:/([0-9a-f]+))?/?$")


@dataclass(frozen=True, slots=True)
class Source:
    kind: Kind
    ref: str  # YouTube id, Vimeo "id" or "id/hash", file URL or URL template


@dataclass(frozen=True, slots=True)
class MediaOptions:
    """What a build does with moments: the player on or off, and the YouTube link template."""

    player: bool = False
    link_template: str | None = None


def link_template_problem(template: str) -> str | None:
    """Why ``template`` cannot be the URL of YouTube moments (``--link-template``), or ``None``."""
    problem = placeholder_problem(template, LINK_PLACEHOLDERS)
    if problem is None and "{id}" not in template:
        problem = "it needs {id}, the YouTube video id"
    if problem is None and not template.startswith(("https://", "http://", "file://")):
        problem = "it must start with https://, http:// or file://"
    return problem


def placeholder_problem(template: str, allowed: Iterable[str]) -> str | None:
    """Why ``template`` cannot be filled in (an unknown ``{name}``, a stray brace), or ``None``."""
    allowed = tuple(allowed)
    try:
        names = [name for _, name, spec, conv in string.Formatter().parse(template) if name is not None]
    except ValueError as e:
        return f"{e}; write a literal brace as {{{{ or }}}}"
    unknown = [n for n in names if n not in allowed]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; use " + ", ".join(f"{{{a}}}" for a in allowed)
    return None


def _hms(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"


def fill(template: str, seconds: int, video_id: str = "") -> str:
    return template.format(id=video_id, seconds=seconds, hms=_hms(seconds))


def _extension(path: str) -> str:
    dot = path.rfind(".")
    return path[dot:].lower() if dot > path.rfind("/") else ""


def classify(url: str, key: str) -> Source | str | None:
    """The source a frontmatter URL names; a message when it cannot be used; ``None`` for a page
    that is no media (a ``url:`` or ``source:`` pointing at an article)."""
    explicit = key in MEDIA_KEYS
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{key} {url!r} is not an http(s) URL; cards get no link" if explicit else None
    if "{" in url or "}" in url:
        problem = placeholder_problem(url.strip(), NOTE_PLACEHOLDERS)
        if problem:
            return f"{key} {url!r}: {problem}; cards get no link"
        return Source("template", url.strip())
    if parts.hostname.lower() in _VIMEO_HOSTS:
        m = _VIMEO_PATH.match(parts.path)
        if m:
            return Source("vimeo", m.group(1) + (f"/{m.group(2)}" if m.group(2) else ""))
    ext = _extension(parts.path)
    if parts.hostname.lower() in PODCAST_PAGES:
        return Source("page", urlunsplit(parts._replace(fragment="")))
    if ext in _AUDIO_EXT or (key in AUDIO_KEYS and ext not in _VIDEO_EXT):
        return Source("audio", urlunsplit(parts._replace(fragment="")))
    if ext in _VIDEO_EXT or explicit:
        return Source("video", urlunsplit(parts._replace(fragment="")))
    return None


def link(source: Source, seconds: int, link_template: str | None = None) -> str:
    """The URL that opens ``source`` at ``seconds``."""
    if source.kind == "youtube":
        return fill(link_template, seconds, source.ref) if link_template else watch_url(source.ref, seconds)
    if source.kind == "vimeo":
        return f"https://vimeo.com/{source.ref}#t={seconds}s"
    if source.kind == "template":
        return fill(source.ref, seconds)
    if source.kind == "page":
        return source.ref
    return f"{source.ref}#t={seconds}"


def player(source: Source, start: int, end: int | None) -> str:
    """HTML that plays ``source`` from ``start`` (to ``end`` where the player can stop); "" if none."""
    label = escape(f"Plays from {human(start)}" + (f" to {human(end)}" if end is not None else ""))
    if source.kind == "youtube":
        url = (f"https://www.youtube-nocookie.com/embed/{source.ref}?start={start}"
               + (f"&end={end}" if end is not None else "") + "&rel=0")
        return _iframe(url, label)
    if source.kind == "vimeo":
        vid, _, secret = source.ref.partition("/")
        url = f"https://player.vimeo.com/video/{vid}?dnt=1" + (f"&h={secret}" if secret else "") + f"#t={start}s"
        return _iframe(url, label)
    if source.kind in ("audio", "video"):
        src = escape(f"{source.ref}#t={start}" + (f",{end}" if end is not None else ""))
        if source.kind == "audio":
            return f'<audio controls preload="none" src="{src}" title="{label}"></audio>'
        return f'<video controls playsinline preload="metadata" src="{src}" title="{label}"></video>'
    return ""


def _iframe(url: str, label: str) -> str:
    return (f'<iframe class="cg-embed" src="{escape(url)}" title="{label}" loading="lazy" '
            'allow="autoplay; encrypted-media; picture-in-picture; fullscreen" allowfullscreen '
            'referrerpolicy="strict-origin-when-cross-origin"></iframe>')


_label = functools.lru_cache(maxsize=8192)(human)  # Moment.label; the same times recur from note to note


class NoteMedia:
    """The source of one note and its moments, turning a card's moments into links and a player."""

    def __init__(self, note: Note, options: MediaOptions) -> None:
        self.options = options
        self.note = note
        self.source = Source("youtube", note.video) if note.video else note.media
        # a card's moments are most often one, linked from several cards of the note (a claim, its
        # section's heading, a callout): their HTML is made once for all of them
        self._links: dict[tuple[Moment, ...], str] = {}

    def url(self, moment: Moment) -> str | None:
        if moment.video:  # another YouTube video the note cites
            return link(Source("youtube", moment.video), moment.seconds, self.options.link_template)
        return link(self.source, moment.seconds, self.options.link_template) if self.source else None

    def anchor(self, moment: Moment) -> str:
        """The link that plays ``moment`` (``▶ 1:40``), as HTML; "" when it has no URL."""
        url = self.url(moment)
        other = " (other video)" if moment.video else ""  # set only for a video the note cites
        return f'<a href="{escape(url)}">▶ {_label(moment.seconds)}{other}</a>' if url else ""

    def links(self, moments: tuple[Moment, ...]) -> str:
        """The links that play a card's moments, as HTML; those without a URL are left out."""
        html = self._links.get(moments)
        if html is None:
            html = self._links[moments] = (self.anchor(moments[0]) if len(moments) == 1 else  # most cards
                                           " · ".join(filter(None, map(self.anchor, moments))))
        return html

    @functools.cached_property  # only a build with the player needs it
    def times(self) -> list[int]:
        """Every moment of the note's own source, in time order: a clip ends at the next one."""
        return sorted({m.seconds for s in self.note.sections for m in s.moments if m.video is None})

    def player(self, moments: Iterable[Moment]) -> str:
        """The embedded player for a card (its first moment of the note's own source), or ""."""
        if not self.options.player or self.source is None:
            return ""
        own = [m.seconds for m in moments if m.video is None]
        if not own:
            return ""
        start = own[0]
        end = next((t for t in self.times if t > start and t not in own), None)
        return player(self.source, start, end)
