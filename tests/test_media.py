"""Where a moment plays: sources from the frontmatter, their links, players and clip ends."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cardgen.cli import app
from cardgen.media import (
    LINK_PLACEHOLDERS,
    MediaOptions,
    NoteMedia,
    Source,
    classify,
    link,
    media_moment,
    placeholder_problem,
    player,
)
from cardgen.parse import parse_note
from cardgen.timestamps import Moment

runner = CliRunner()
MP3 = "https://media.example.org/ep12.mp3"


def note(front: str, body: str = "## Idea\n\nA claim about **sleep** [00:04:10].\n\nAnother about **dreams** [00:07:45].\n"):
    parsed, diagnostics = parse_note("n.md", f"---\n{front}\n---\n\n{body}", "n")
    assert parsed is not None
    return parsed, [d for d in diagnostics if d.level != "hint"]  # (its claims are short: --report's hints)


@pytest.mark.parametrize("url, key, source", [
    ("https://vimeo.com/76979871", "videoUrl", Source("vimeo", "76979871")),
    ("https://vimeo.com/channels/staffpicks/76979871", "url", Source("vimeo", "76979871")),
    ("https://player.vimeo.com/video/76979871", "mediaUrl", Source("vimeo", "76979871")),
    ("https://vimeo.com/76979871/a1b2c3d4e5", "videoUrl", Source("vimeo", "76979871/a1b2c3d4e5")),
    (MP3, "url", Source("audio", MP3)),
    (MP3 + "#t=30", "audio", Source("audio", MP3)),
    ("https://cdn.example.org/feed/episode-12?id=9", "podcast", Source("audio", "https://cdn.example.org/feed/episode-12?id=9")),
    ("https://example.org/talk.MP4", "source", Source("video", "https://example.org/talk.MP4")),
    ("https://example.org/stream/123", "mediaUrl", Source("video", "https://example.org/stream/123")),
    ("https://archive.example/x?start={seconds}", "mediaUrl", Source("template", "https://archive.example/x?start={seconds}")),
    ("https://en.wikipedia.org/wiki/Sleep", "url", None),  # an article, not media: no link, no warning
    ("https://vimeo.com/about", "url", None),
])
def test_classify(url: str, key: str, source: Source | None) -> None:
    assert classify(url, key) == source


@pytest.mark.parametrize("url, key, message", [
    ("ep12.mp3", "audio", "audio 'ep12.mp3' is not an http(s) URL; cards get no link"),
    ("javascript:alert(1)", "mediaUrl", "is not an http(s) URL"),
    ("https://x.example/?t={minutes}", "mediaUrl", "unknown placeholder {minutes}; use {seconds}, {hms}"),
    ("https://x.example/?t={seconds", "videoUrl", "expected '}' before end of string"),
])
def test_classify_explains_unusable_urls(url: str, key: str, message: str) -> None:
    result = classify(url, key)
    assert isinstance(result, str) and message in result


def test_links_for_every_kind() -> None:
    assert link(Source("youtube", "Lz4Gn8Rk2Yc"), 747) == "https://www.youtube.com/watch?v=Lz4Gn8Rk2Yc&t=747s"
    assert link(Source("youtube", "Lz4Gn8Rk2Yc"), 3725, "https://yewtu.be/watch?v={id}&t={seconds}#{hms}") == \
        "https://yewtu.be/watch?v=Lz4Gn8Rk2Yc&t=3725#01:02:05"
    assert link(Source("vimeo", "76979871"), 125) == "https://vimeo.com/76979871#t=125s"
    assert link(Source("audio", MP3), 250) == MP3 + "#t=250"
    assert link(Source("template", "https://a.example/p?at={hms}"), 250) == "https://a.example/p?at=00:04:10"


def test_players_start_at_the_moment_and_stop_where_they_can() -> None:
    yt = player(Source("youtube", "Lz4Gn8Rk2Yc"), 747, 1192)
    assert 'src="https://www.youtube-nocookie.com/embed/Lz4Gn8Rk2Yc?start=747&amp;end=1192&amp;rel=0"' in yt
    assert 'title="Plays from 12:27 to 19:52"' in yt and "allowfullscreen" in yt
    assert "end=" not in player(Source("youtube", "Lz4Gn8Rk2Yc"), 747, None)
    assert 'src="https://player.vimeo.com/video/76979871?dnt=1&amp;h=abc#t=125s"' in \
        player(Source("vimeo", "76979871/abc"), 125, 200)
    assert player(Source("audio", MP3), 250, 465) == (
        f'<audio controls preload="none" src="{MP3}#t=250,465" title="Plays from 4:10 to 7:45"></audio>')
    assert player(Source("video", "https://e.org/t.mp4"), 5, None).startswith(
        '<video controls playsinline preload="metadata" src="https://e.org/t.mp4#t=5"')
    assert player(Source("template", "https://a.example/?t={seconds}"), 5, 9) == ""


def test_placeholders_are_checked() -> None:
    assert placeholder_problem("https://x/{id}?t={seconds}", LINK_PLACEHOLDERS) is None
    assert placeholder_problem("https://x/{vid}", LINK_PLACEHOLDERS) == "unknown placeholder {vid}; use {id}, {seconds}, {hms}"
    assert placeholder_problem("https://x/{{literal}}?t={seconds}", LINK_PLACEHOLDERS) is None


def test_frontmatter_source_youtube_wins_and_media_replaces_the_no_video_warning() -> None:
    syntax_fm, _ = note(f"title: Syntax 711\nurl: {MP3}\nyoutube_url: https://www.youtube.com/watch?v=Lz4Gn8Rk2Yc")
    assert (syntax_fm.video, syntax_fm.media) == ("Lz4Gn8Rk2Yc", None)
    podcast, diagnostics = note(f"title: Sleep\naudio: {MP3}")
    assert (podcast.video, podcast.media) == (None, Source("audio", MP3))
    assert diagnostics == []
    bare, diagnostics = note("title: Sleep")
    assert bare.media is None and "has timestamps but no video" in diagnostics[0].message
    assert "'mediaUrl:' for Vimeo, an audio or video file" in diagnostics[0].message


def test_bad_media_url_is_a_warning_at_its_line_and_a_later_key_still_counts() -> None:
    parsed, diagnostics = note(f"title: Sleep\nmediaUrl: ep12.mp3\naudio: {MP3}")
    assert parsed.media == Source("audio", MP3)
    assert [(d.line, d.level) for d in diagnostics] == [(3, "warning")]
    assert "mediaUrl 'ep12.mp3' is not an http(s) URL" in diagnostics[0].message


@pytest.mark.parametrize("page", ["https://open.spotify.com/episode/4VqPOruhp5EdPBeR92t6lQ",
                                  "https://podcasts.apple.com/us/podcast/huberman-lab/id1545953110?i=1000"])
def test_a_podcast_apps_page_is_no_audio_file(page: str) -> None:
    """Before, it was played as one: links went to page#t=250, and --player gave an <audio> with a web page."""
    parsed, diagnostics = note(f"title: Sleep\npodcast: {page}")
    assert parsed.media == Source("page", page)
    assert link(parsed.media, 250) == page
    assert player(parsed.media, 250, None) == ""
    assert [(d.line, d.level) for d in diagnostics] == [(3, "warning")]
    assert "not an audio file" in diagnostics[0].message and "{seconds}" in diagnostics[0].message


def test_a_clip_ends_at_the_next_later_moment_of_the_note() -> None:
    parsed, _ = note(f"title: Sleep\naudio: {MP3}",
                     "## A\n\nLate claim [00:09:00].\n\nEarly claim [00:01:00] and again [00:02:00].\n\n"
                     "Cited elsewhere [[sources/Lz4Gn8Rk2Yc]] [00:00:30].\n")
    media = NoteMedia(parsed, MediaOptions(player=True))
    assert media.times == [60, 120, 540]
    assert "#t=60,540" in media.player([Moment(60), Moment(120)])  # its own second moment is not the end
    assert "#t=120,540" in media.player([Moment(120)])
    assert "#t=540\"" in media.player([Moment(540)])  # the last moment plays to the end
    assert media.player([Moment(30, "Lz4Gn8Rk2Yc")]) == ""  # no player for another video
    assert NoteMedia(parsed, MediaOptions()).player([Moment(60)]) == ""
    assert media.url(Moment(30, "Lz4Gn8Rk2Yc")) == "https://www.youtube.com/watch?v=Lz4Gn8Rk2Yc&t=30s"


def test_build_with_player_fills_media_and_links_other_sources(vault) -> None:
    vault.write("podcast.md", f"---\ntitle: Sleep\naudio: {MP3}\n---\n\n## Plain\n\nNo stamp in this section at all.\n\n"
                              "## Idea\n\nA claim about **sleep** [00:04:10].\n")
    vault.write("yt.md", "---\ntitle: YT\nvideoId: Lz4Gn8Rk2Yc\n---\n\n## Idea\n\n"
                         "Any function whose body contains **yield** is a generator function [00:01:00].\n\n"
                         "Each call to next resumes the body until the next **yield** statement [00:02:00].\n")
    report = vault.build()
    assert report.notes_without_video == [] and report.cards_without_link == 0
    cards = {c["fields"].get("Front", c["fields"].get("Text")): c["fields"] for c in vault.cards()}
    assert all(f["Media"] == "" for f in cards.values())
    moments = sorted(f["Moment"] for f in cards.values() if MP3 in f["Moment"])
    assert moments[0] == f'<a href="{MP3}#t=0">▶ 0:00</a>'  # a section without stamps plays from the start
    assert f'<a href="{MP3}#t=250">▶ 4:10</a>' in moments

    again = vault.build(timestamp=1_760_000_100.0, media=MediaOptions(player=True))
    assert again.changes["updated"] == len(cards) and again.changes["new"] == 0
    media = sorted(c["fields"]["Media"] for c in vault.cards())
    assert any("youtube-nocookie.com/embed/Lz4Gn8Rk2Yc?start=60&amp;end=120" in m for m in media)
    assert any(f'src="{MP3}#t=250"' in m for m in media)


@pytest.mark.parametrize("template, message", [
    ("https://yewtu.be/watch?v={vid}", "unknown placeholder {vid}"),
    ("https://yewtu.be/watch?t={seconds}", "it needs {id}"),
    ("javascript:alert('{id}')", "must start with https://, http:// or file://"),
])
def test_bad_link_template_is_a_usage_error(vault, template: str, message: str) -> None:
    result = runner.invoke(app, [str(vault.dir), "--out", str(vault.out), "--link-template", template])
    assert result.exit_code == 2 and message in result.output
    assert not vault.out.exists()


def test_link_template_sends_youtube_moments_elsewhere(vault) -> None:
    vault.write("yt.md", "---\ntitle: YT\nvideoId: Lz4Gn8Rk2Yc\n---\n\n## Idea\n\nOne **claim** here [00:01:00].\n")
    result = runner.invoke(app, [str(vault.dir), "--out", str(vault.out),
                                 "--link-template", "file:///videos/{id}.mp4#t={seconds}"])
    assert result.exit_code == 0, result.output
    assert {c["fields"]["Moment"] for c in vault.cards()} == {'<a href="file:///videos/Lz4Gn8Rk2Yc.mp4#t=60">▶ 1:00</a>'}


def test_a_media_file_of_the_vault_gets_one_warning_and_its_stamps_make_claims() -> None:
    """Media Extended's notes name a file of the vault ("media: [[lecture.mp4]]"): Anki cannot open it,
    which its warning says; before, every such note also got "has timestamps but no video"."""
    local, diagnostics = note('title: Lecture 3\nmedia: "[[lecture.mp4]]"', "## Idea\n\nDeep sleep clears "
                              "metabolic waste from the brain overnight [[lecture.mp4#t=4:10]].\n")
    assert (local.video, local.media) == (None, None)
    assert [d.message for d in diagnostics] == ["media '[[lecture.mp4]]' is not an http(s) URL; cards get no link"]
    assert [c.moments for c in local.sections[0].claims] == [(Moment(250),)]


@pytest.mark.parametrize(("target", "seconds"), [
    ("lecture.mp4#t=90", 90),
    ("lecture.mp4#t=1:30,1:45", 90),  # a clip starts at its first time
    ("Media/talk.MP3#t=90.5", 90),
    ("talk.webm#t=npt:01:02:03", 3723),
    ("talk.m4a#t=,10", None),  # a clip from the start: no moment given
    ("lecture.mp4", None),
    ("lecture.mp4#t=99:99", None),
    ("lecture.mp4#t=1.2.3", None),
    ("notes.md#t=90", None),  # a page, not a media file
    ("lecture.mp4#t=" + "9" * 5000, None),
])
def test_media_moment(target: str, seconds: int | None) -> None:
    assert media_moment(target) == seconds
