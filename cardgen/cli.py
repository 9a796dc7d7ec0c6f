"""The ``build-deck`` command: maps options to ``build_deck`` and its report to output and exit code."""

from __future__ import annotations

import io
import json
import os
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape as rich_escape

from cardgen import __version__
from cardgen.config import CONFIG_FILE, SETTINGS, Config, load_config
from cardgen.errors import CardgenError, ConfigError
from cardgen.model import Diagnostic
from cardgen.pipeline import BuildOptions, BuildReport, build_deck, counted
from cardgen.settings import ANKI_CONNECT_URL, EXTRACTOR_NAMES, RETIRE_DAYS, RETIRED_TAG, WAIT_SECONDS

if TYPE_CHECKING:
    from cardgen.deliver import Deliver
    from cardgen.state import StoredCard

app = typer.Typer(add_completion=False, rich_markup_mode=None)
preview_app = typer.Typer(add_completion=False, rich_markup_mode=None)
config_app = typer.Typer(add_completion=False, rich_markup_mode=None)
_PROGRESS_FROM = 50  # notes; smaller vaults build before a bar would be worth drawing

# options the build, the preview and `config` share: the preview shows the cards the same build would make;
# those cardgen.toml also sets take their defaults from cardgen.config.SETTINGS
NotesDir = Annotated[Path, typer.Argument(help="Folder of Markdown notes, searched recursively.")]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Folder the .apkg is written to.")]
DeckName = Annotated[str | None, typer.Option(help="Name of the top deck [default: the notes folder's name].")]
VaultName = Annotated[str | None, typer.Option(
    help="Obsidian vault name for the links back to each note [default: the notes folder's name].")]
Skip = Annotated[list[str] | None, typer.Option(
    "--skip", metavar="NAME", help=f"Turn an extractor off (repeatable): {', '.join(EXTRACTOR_NAMES)}.")]
TemplatesDir = Annotated[Path, typer.Option(
    help="Folder with card templates overriding the shipped ones, if it exists.")]
Player = Annotated[bool, typer.Option(
    "--player/--no-player", help="Embed a player on the back of each card, playing from its moment to the next.")]
LinkTemplate = Annotated[str | None, typer.Option(
    metavar="TEMPLATE", help="URL for YouTube moments instead of youtube.com, with {id}, {seconds} or {hms}.")]
Strict = Annotated[bool, typer.Option("--strict", help="Treat warnings as failure (exit 1).")]
# the same limits as in cardgen.toml (cardgen.config): out of them, a usage error (exit 2)
RetireAfter = Annotated[int, typer.Option(
    metavar="DAYS", min=0, max=36500,
    help="Keep packaging cards whose source is gone, tagged retired, for this many days.")]
Wait = Annotated[float, typer.Option(
    metavar="SECONDS", min=0, max=86400, help="Wait this long for another build of the same --out folder to finish.")]


def _config(ctx: typer.Context, notes_dir: Path) -> Config:
    """Defaults < the vault's cardgen.toml < the flags this command line gave."""
    given = {s.key: ctx.params[s.flag] for s in SETTINGS
             if s.flag in ctx.params and _source(ctx, s.flag) == "COMMANDLINE"}
    unknown = set(given.get("extractors.skip", ())) - set(EXTRACTOR_NAMES)
    if unknown:
        raise typer.BadParameter(f"unknown extractor {sorted(unknown)[0]!r}; choose from {', '.join(EXTRACTOR_NAMES)}",
                                 param_hint="--skip")
    for s in SETTINGS:  # a flag is held to what cardgen.toml is
        problem = s.check(given[s.key]) if s.check and given.get(s.key) is not None else None
        if problem:
            raise typer.BadParameter(problem, param_hint=f"--{s.flag.replace('_', '-')}" if s.flag else None)
    try:
        return load_config(notes_dir, given)
    except CardgenError as e:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"[red]error:[/red] {rich_escape(str(e))}")
        raise typer.Exit(1) from None


def _source(ctx: typer.Context, name: str) -> str | None:
    source = ctx.get_parameter_source(name)
    return source.name if source is not None else None


def _options(ctx: typer.Context, notes_dir: Path, **kw: object) -> tuple[BuildOptions, Config]:
    config = _config(ctx, notes_dir)
    return BuildOptions(notes_dir=notes_dir, **config.build_options(), **kw), config  # type: ignore[arg-type]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cardgen {__version__}")
        raise typer.Exit()


@app.command(help="""Build Anki decks (.apkg) from a folder of Markdown video notes.

Every *.md under NOTES_DIR (default: notes/) becomes question/answer cards (headings, callouts)
and cloze cards (timestamped claims), each linking to its moment in the video. One .apkg is
written to --out (default: decks/), with a subdeck per folder; the build state in
<out>/.cardgen/ keeps every card's identity and change time. Import the .apkg into
Anki; after a rebuild, re-importing updates changed cards in place, leaves unchanged ones (and
what you did to them in Anki) alone, and keeps every review.

`build-deck preview [NOTES_DIR] [--html PATH]` writes every card to one HTML page instead
(see `build-deck preview --help`).

Settings can also live in cardgen.toml at the top of NOTES_DIR; flags given here override it.
`build-deck config NOTES_DIR` prints the settings in effect.

Exit status: 0 built; 1 a note failed (the others are still built), the settings are wrong or,
with --strict, a warning; 2 bad usage.""")
def build(
    ctx: typer.Context,
    notes_dir: NotesDir = Path("notes"),
    out: OutDir = Path("decks"),
    deck: DeckName = None,
    vault: VaultName = None,
    skip: Skip = None,
    templates: TemplatesDir = Path("templates"),
    player: Player = False,
    link_template: LinkTemplate = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change; write nothing.")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="Keep running; rebuild shortly after notes change.")] = False,
    report_weak: Annotated[bool, typer.Option(
        "--report", help="After building, list weak cards (file:line) and count them by kind.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Report changes per note.")] = False,
    strict: Strict = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    retire_after: RetireAfter = RETIRE_DAYS,
    wait: Wait = WAIT_SECONDS,
    into: Annotated[Path | None, typer.Option(metavar="COLLECTION", help=(
        "Then import the deck into this Anki collection (collection.anki2; Anki closed), after a backup. "
        "Needs: pip install 'cardgen[anki]'."))] = None,
    suspend_retired: Annotated[bool, typer.Option(
        "--suspend-retired", help="With --into: suspend the cards of retired notes.")] = False,
    anki_connect: Annotated[bool, typer.Option(
        "--anki-connect", help="Then import the deck into the running Anki through AnkiConnect.")] = False,
    anki_connect_url: Annotated[str | None, typer.Option(
        metavar="URL", help=f"AnkiConnect on this machine (implies --anki-connect) [default: {ANKI_CONNECT_URL}].")]
    = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    if watch and report_weak:
        raise typer.BadParameter("cannot be used with --watch", param_hint="--report")
    if quiet and verbose:
        raise typer.BadParameter("cannot be used with --quiet", param_hint="--verbose")
    cards: list[StoredCard] = []  # with --report: every card the deck holds
    opts, config = _options(ctx, notes_dir, dry_run=dry_run,
                            on_cards=cards.extend if report_weak else None)
    deliver = _delivery(into, anki_connect, anki_connect_url, suspend_retired)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    stdout = err if quiet else Console(soft_wrap=True, highlight=False)
    if watch:
        _watch(opts, stdout, err, quiet, verbose, deliver)
        return
    try:
        report = _run(opts, show_bar=not as_json and not quiet and err.is_terminal, console=err)
    except CardgenError as e:
        err.print(f"[red]error:[/red] {rich_escape(str(e))}")
        if as_json:  # a script reading stdout gets JSON whatever happened
            typer.echo(json.dumps({"error": str(e), "written": False}, ensure_ascii=False))
        raise typer.Exit(1) from None
    except KeyboardInterrupt:  # as after a crash: the transaction rolls back, no file is half-written
        err.print("interrupted: nothing is left half-written, and the next build carries on from here")
        raise typer.Exit(130) from None
    weak: dict[str, object] = {}
    if report_weak:  # loaded only when asked for: it reads card text as the parser does
        from cardgen.report import find_weak, report_json, report_lines

        found = find_weak(cards, report.hints, opts.answer_words)
        weak = {"report": report_json(found)}
    if not as_json:
        _print_summary(report, stdout, err, quiet, verbose, opts.notes_dir)
        if report_weak:
            typer.echo("\n".join(report_lines(found, lambda path: _from_here(path, opts.notes_dir))))
    strict_failure = config["strict"] and bool(report.warnings) and not report.errors
    if strict_failure:  # a deck that failed its check is not put into Anki
        err.print(f"[red]failed:[/red] --strict, and the build had {counted(len(report.warnings), 'warning')}"
                  + (" (not delivered to Anki)" if deliver is not None else ""))
        deliver = None
    delivered = _deliver(deliver, report, err if as_json else stdout, err, quiet)
    if as_json:
        typer.echo(json.dumps(report.as_dict() | weak | delivered, indent=2, ensure_ascii=False))
    if report.errors or "error" in delivered.get("delivery", {}) or strict_failure:
        raise typer.Exit(1)


def _delivery(into: Path | None, anki_connect: bool, url: str | None, suspend_retired: bool) -> Deliver | None:
    if into is None and not anki_connect and url is None and not suspend_retired:
        return None  # cardgen.deliver (urllib, and anki later) is loaded only when asked for
    from cardgen.deliver import delivery

    try:
        return delivery(into, url or (ANKI_CONNECT_URL if anki_connect else None), suspend_retired)
    except ConfigError as e:
        raise typer.BadParameter(str(e)) from None


def _deliver(deliver: Deliver | None, report: BuildReport, out: Console, err: Console,
             quiet: bool) -> dict[str, dict[str, object]]:
    """Import the built deck into Anki, if asked; what happened, for --json."""
    if deliver is None or report.dry_run or report.output is None:
        return {}
    try:
        done = deliver(Path(report.output))
    except CardgenError as e:
        err.print(f"[red]error:[/red] {rich_escape(str(e))}")
        return {"delivery": {"error": str(e)}}
    if not quiet:
        for line in done.lines():
            out.print(rich_escape(line))
    return {"delivery": done.as_dict()}


def _watch(opts: BuildOptions, out: Console, err: Console, quiet: bool, verbose: bool,
           deliver: Deliver | None) -> None:
    from cardgen.watch import watch

    def show(result: BuildReport | CardgenError) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        if isinstance(result, CardgenError):
            err.print(f"[red]{stamp} error:[/red] {rich_escape(str(result))}")
        else:
            out.print(f"[dim]{stamp}[/dim]", end=" ")
            _print_summary(result, out, err, quiet, verbose, opts.notes_dir)
            _deliver(deliver, result, out, err, quiet)

    err.print(f"watching {opts.notes_dir} (Ctrl-C to stop)")
    try:
        watch(opts, show)
    except CardgenError as e:  # no notes folder to watch
        err.print(f"[red]error:[/red] {rich_escape(str(e))}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("stopped watching: nothing is left half-written")
        raise typer.Exit(130) from None
    err.print("stopped watching")


def _run(opts: BuildOptions, show_bar: bool, console: Console) -> BuildReport:
    if not show_bar:
        return build_deck(opts)
    # imported only for a bar, here: a scheduled build (no terminal) or a quiet one starts 8 ms sooner
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("notes", total=None)

        def tick(done: int, total: int) -> None:
            if total >= _PROGRESS_FROM:
                bar.update(task, completed=done, total=total)

        return build_deck(opts, progress=tick)


def _from_here(path: str, notes_dir: Path) -> str:
    """A note's path from the current folder (where an editor opens ``file:line``), not from the
    notes folder as the build keeps it; any other path as it is."""
    return str(notes_dir / path) if not Path(path).is_absolute() and (notes_dir / path).is_file() else path


def _located(d: Diagnostic, notes_dir: Path) -> str:
    return str(replace(d, path=_from_here(d.path, notes_dir)))


def _print_diagnostics(report: BuildReport, err: Console, notes_dir: Path, quiet: bool = False) -> None:
    # quiet, a build that read no note again (a scheduled run, nothing changed) repeats no warning: a cron
    # job would mail the same ones every 15 minutes; errors are always said
    repeat = not quiet or report.cached < report.notes or not report.notes
    for d in report.diagnostics:
        if d.level == "error" or repeat:
            colour = "red" if d.level == "error" else "yellow"
            err.print(f"[{colour}]{rich_escape(_located(d, notes_dir))}[/{colour}]")


def _print_summary(report: BuildReport, out: Console, err: Console, quiet: bool, verbose: bool,
                   notes_dir: Path) -> None:
    _print_diagnostics(report, err, notes_dir, quiet)
    if quiet:
        return
    kinds = ", ".join(f"{n} {k}" for k, n in report.cards.items())
    out.print(f"{counted(report.notes, 'note')} -> {counted(sum(report.cards.values()), 'card')} ({kinds})")
    c = report.changes
    out.print(f"changes: {c['new']} new, {c['updated']} updated, {c['unchanged']} unchanged, "
              f"{c['reattached']} re-attached, {c['retired']} retired"
              + (f" ({c['still_retired']} retired earlier)" if c["still_retired"] else ""))
    if verbose:
        for note, counts in sorted(report.per_note.items()):
            out.print(f"  {rich_escape(note)}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
        for r in report.reattached:
            out.print(f"  re-attached {rich_escape(r['card'])} to {rich_escape(r['was'])} ({r['why']})")
    if c["retired"] or c["still_retired"]:
        out.print(f"retired cards stay in the deck tagged {RETIRED_TAG}; to remove them, search "
                  f"tag:{RETIRED_TAG} in Anki's browser and delete the notes")
    if report.notes_without_video:
        unlinked = report.cards_without_link
        out.print(f"{counted(len(report.notes_without_video), 'note')} without a video: "
                  f"{counted(unlinked, 'card')} {'has' if unlinked == 1 else 'have'} no video link")
    if report.skipped:
        out.print(f"{counted(len(report.skipped), 'note')} opted out (cardgen: false)")
    if report.failed:
        failed = len(report.failed)
        out.print(f"[red]{counted(failed, 'note')} failed and {'was' if failed == 1 else 'were'} left out[/red]")
    out.print(report.tally())
    if report.dry_run:
        out.print(f"dry run: nothing written (would write {report.output})")
    elif report.written:
        out.print(f"wrote {report.output}")
    else:
        out.print(f"{report.output} is up to date")


@preview_app.command(help="""Write one HTML page showing every card, front and back, as Anki renders it.

Builds the cards exactly as build-deck would (same options, templates and CSS) without writing
the deck or its state, and writes a self-contained page grouped by note, with the build's counts
and warnings, a search box and a light/dark switch. Open it in any browser; it needs no network.""")
def preview(
    ctx: typer.Context,
    notes_dir: NotesDir = Path("notes"),
    html_path: Annotated[Path | None, typer.Option(
        "--html", metavar="PATH", help="Where to write the page [default: <out>/<deck>.preview.html].")] = None,
    out: OutDir = Path("decks"),
    deck: DeckName = None,
    vault: VaultName = None,
    skip: Skip = None,
    templates: TemplatesDir = Path("templates"),
    player: Player = False,
    link_template: LinkTemplate = None,
) -> None:
    from cardgen.apkg.templates import load_templates
    from cardgen.preview import page, write_page

    cards: list[StoredCard] = []
    opts, _ = _options(ctx, notes_dir, dry_run=True, on_cards=cards.extend)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        report = build_deck(opts)
        assert report.output is not None
        target = html_path or Path(report.output).with_suffix(".preview.html")
        write_page(target, page(cards, report, load_templates(opts.templates_dir), Path(report.output).stem))
    except (CardgenError, OSError) as e:
        err.print(f"[red]error:[/red] {rich_escape(str(e))}")
        raise typer.Exit(1) from None
    _print_diagnostics(report, err, opts.notes_dir)
    typer.echo(f"{counted(report.notes, 'note')} -> {counted(len(cards), 'card')}; wrote {target}")
    if report.errors:
        raise typer.Exit(1)


@config_app.command(help=f"""Print the effective configuration as TOML: the defaults, then the
vault's {CONFIG_FILE} (or [tool.cardgen] in its pyproject.toml), then the flags given here. Each
value says where it came from.""")
def show_config(
    ctx: typer.Context,
    notes_dir: NotesDir = Path("notes"),
    out: OutDir = Path("decks"),
    deck: DeckName = None,
    vault: VaultName = None,
    skip: Skip = None,
    templates: TemplatesDir = Path("templates"),
    strict: Strict = False,
    retire_after: RetireAfter = RETIRE_DAYS,
    wait: Wait = WAIT_SECONDS,
    player: Player = False,
    link_template: LinkTemplate = None,
) -> None:
    # the options are declared for --help and parsing; _config reads them from ctx, with their source
    typer.echo(_config(ctx, notes_dir).to_toml(), nl=False)


# build-deck <name> ...; anything else is the build's NOTES_DIR (a notes folder named so: ./config)
_SUBCOMMANDS = {"preview": preview_app, "config": config_app}


def main() -> None:
    for stream in (sys.stdout, sys.stderr):  # a log or terminal that cannot show a note's letters (LANG=C,
        if isinstance(stream, io.TextIOWrapper):  # latin-1): "?" for them, not a traceback
            stream.reconfigure(errors="replace")
    try:
        if len(sys.argv) > 1 and sys.argv[1] in _SUBCOMMANDS:
            _SUBCOMMANDS[sys.argv[1]](args=sys.argv[2:], prog_name=f"build-deck {sys.argv[1]}")
        app(prog_name="build-deck")
    except BrokenPipeError:  # "build-deck … | head": the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as e:  # its messages could not be written (a full log disk); every file write is atomic
        sys.stderr.write(f"error: build-deck could not write its messages ({e.strerror or e}); the deck and its "
                         "build state are whole\n")
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
