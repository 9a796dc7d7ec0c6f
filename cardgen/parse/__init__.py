"""Parse stage: a note file's text -> the typed ``Note`` model."""

from __future__ import annotations

from typing import Any

from cardgen.errors import NoteError
from cardgen.markup import fix_mojibake
from cardgen.model import Diagnostic, Note
from cardgen.parse.frontmatter import Meta, read_meta, tag
from cardgen.parse.inline import Context
from cardgen.parse.syntax import create_parser, hide_comments, hide_fields, speaker_turns, timestamp_blocks
from cardgen.parse.tree import Walker
from cardgen.timestamps import note_has_slip, youtube_id

__all__ = ["parse_note"]

_parser = create_parser()


def _stamp_parts(tokens: list[dict[str, Any]]) -> list[tuple[int, ...]]:
    """Every stamp's parts, in no particular order (``note_has_slip`` needs none): a stack, not
    a call per token list."""
    found: list[tuple[int, ...]] = []
    stack = [tokens]
    while stack:
        for tok in stack.pop():
            if tok["type"] == "stamp":
                found.extend(tok["attrs"]["parts"])
            elif "children" in tok:
                stack.append(tok["children"])
    return found


def parse_note(path: str, text: str, stem: str) -> tuple[Note | None, list[Diagnostic]]:
    """Parse one note. ``None`` when the note opts out (``cardgen: false``).

    Raises ``NoteError`` for a note that cannot be read at all (broken frontmatter).
    """
    text = fix_mojibake(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    meta: Meta = read_meta(path, text, stem)
    diagnostics = list(meta.warnings)
    if not meta.enabled:
        return None, diagnostics
    body, block_url = timestamp_blocks(speaker_turns(hide_fields(hide_comments(meta.body))))
    # the Timestamp Notes plugin names the video in the note's text, not its frontmatter
    video = meta.video or (youtube_id(block_url) if block_url and meta.media is None else None)
    try:
        tokens = _parser(body)
    except RecursionError:
        raise NoteError(path, meta.body_line, "nesting too deep to read (blockquotes or lists)") from None
    assert isinstance(tokens, list)
    ctx = Context(slip=note_has_slip(_stamp_parts(tokens)), video=video, own_media=meta.media is not None)
    walker = Walker(body, meta.body_line, ctx)
    ctx.locate = walker.loc.line_of
    sections = walker.sections(tokens)
    if ctx.slip_examples:
        line, example = next(iter(ctx.slip_examples.values()))
        n = len(ctx.slip_examples)
        which = f"stamp [{example}]" if n == 1 else f"{n} stamps such as [{example}]"
        diagnostics.append(Diagnostic(path, line, (
            f"{which} read as minutes:seconds (the mm:ss:00 slip); write [mm:ss] to silence this")))
    diagnostics.extend(Diagnostic(path, line, message) for line, message in ctx.problems)
    diagnostics.extend(Diagnostic(path, line, message, "hint") for line, message in ctx.hints)
    for line, raw in ctx.bad_stamps.values():
        diagnostics.append(Diagnostic(path, line, f"stamp {raw} is not a valid time, so it links nowhere; "
                                                  "write it as [mm:ss] or [hh:mm:ss]"))
    # (ctx.video: a note without one in its frontmatter may name it above its first section)
    if ctx.video is None and meta.media is None and not meta.names_media:  # (whose warning says why no link)
        stamped = next((s for s in sections if any(m.video is None for m in s.moments)), None)
        if stamped is not None:
            diagnostics.append(Diagnostic(path, (stamped.claims[0].line if stamped.claims else stamped.line), (
                "has timestamps but no video: add 'videoId: <11-character id>' or 'url: <YouTube URL>' "
                "(or 'mediaUrl:' for Vimeo, an audio or video file) "
                "to the frontmatter so its cards link to their moments")))
    title = meta.title
    if not meta.titled and sections and sections[0].heading is not None and sections[0].level == 1:
        title = sections[0].heading.plain  # no frontmatter title: the note's "# Title" line
    tags = tuple(dict.fromkeys((*meta.tags, *(t for t in map(tag, ctx.tags) if t)))) if ctx.tags else meta.tags
    note = Note(path=path, key=meta.key, title=title, video=ctx.video, media=meta.media,
                channel=(walker.channel or meta.channel), tags=tags, deck=meta.deck,
                sections=tuple(sections))
    return note, diagnostics
