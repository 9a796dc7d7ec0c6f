"""``cardgen.toml``: the vault's settings, validated once, under the flags given on the command line.

Layers: defaults < ``cardgen.toml`` at the vault root (else ``[tool.cardgen]`` in the
``pyproject.toml`` there) < flags given on the command line. Every key is one entry of
``SETTINGS``: its type, limits, default, the ``BuildOptions`` field it sets and the flag that
overrides it. Paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cardgen.decks import PLACEHOLDERS, check_deck, check_tag, check_template
from cardgen.errors import ConfigError
from cardgen.media import MediaOptions, link_template_problem
from cardgen.settings import (
    ANSWER_WORDS,
    DECK_TEMPLATE,
    EXTRACTOR_NAMES,
    HIDDEN_WORDS,
    RETIRE_DAYS,
    WAIT_SECONDS,
)

CONFIG_FILE = "cardgen.toml"
_TYPE_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
               Path: "a path (a string)", tuple: "a list of strings"}
_SAMPLES: dict[type, Any] = {str: "Videos", tuple: ("videos",)}  # for settings whose default is empty


@dataclass(frozen=True)
class Setting:
    key: str  # dotted inside a table: "extractors.skip" is skip = ... under [extractors]
    type: type  # str, int, float, bool, Path, or tuple (a list of strings)
    default: Any
    help: str
    field: str | None = None  # the BuildOptions field it sets; None: the command line uses it
    flag: str | None = None  # the build-deck parameter that overrides it
    choices: tuple[str, ...] = ()  # the allowed items of a list
    limits: tuple[float, float] | None = None  # of a number, inclusive
    check: Callable[[Any], str | None] | None = None  # why a value is not allowed
    to_option: Callable[[Any], Any] | None = None  # the value as the BuildOptions field wants it


def _each_tag(tags: tuple[str, ...]) -> str | None:
    return next((p for p in map(check_tag, tags) if p), None)


SETTINGS: tuple[Setting, ...] = (
    Setting("deck", str, None, "name of the top deck, and of the .apkg", "deck", "deck", check=check_deck),
    Setting("deck_template", str, DECK_TEMPLATE,
            "every note's deck; placeholders " + ", ".join("{" + p + "}" for p in PLACEHOLDERS),
            "deck_template", check=check_template),
    Setting("tags", tuple, (), "tags added to every card", "tags", check=_each_tag),
    Setting("vault", str, None, "Obsidian vault name for the links back to each note", "vault", "vault"),
    Setting("out", Path, Path("decks"), "folder the .apkg is written to", "out_dir", "out"),
    Setting("templates", Path, Path("templates"), "folder of card templates overriding the shipped ones",
            "templates_dir", "templates", to_option=lambda p: p if p.is_dir() else None),
    Setting("retire_after", int, RETIRE_DAYS, "days a card whose source is gone stays, tagged retired",
            "retire_days", "retire_after", limits=(0, 36500)),
    Setting("wait", float, WAIT_SECONDS, "seconds to wait for another build of the same --out folder",
            "wait", "wait", limits=(0, 86400)),
    Setting("strict", bool, False, "warnings fail the build", flag="strict"),
    Setting("player", bool, False, "embed a player on the back of each card, from its moment to the next",
            flag="player"),
    Setting("link_template", str, None, "URL for YouTube moments instead of youtube.com, with {id}, {seconds} "
            "or {hms}", flag="link_template", check=link_template_problem),
    Setting("extractors.skip", tuple, (), "extractors turned off", "extractors", "skip", choices=EXTRACTOR_NAMES,
            to_option=lambda skip: tuple(n for n in EXTRACTOR_NAMES if n not in skip)),
    Setting("extractors.answer_words", int, ANSWER_WORDS,
            "headings, callouts: stop adding sentences or items to an answer past this many words",
            "answer_words", limits=(5, 500)),
    Setting("extractors.hidden_words", int, HIDDEN_WORDS, "claims: the most words a cloze hides",
            "hidden_words", limits=(1, 20)),
)
_BY_KEY = {s.key: s for s in SETTINGS}
_TABLES = {s.key.split(".")[0] for s in SETTINGS if "." in s.key}


@dataclass(frozen=True)
class Config:
    """The effective settings: each key's value and where it came from (default, file or flag)."""

    notes_dir: Path
    file: Path | None
    values: Mapping[str, Any]
    sources: Mapping[str, str]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def build_options(self) -> dict[str, Any]:
        """The ``BuildOptions`` keyword arguments these settings give."""
        options = {s.field: (s.to_option or (lambda v: v))(self.values[s.key]) for s in SETTINGS if s.field}
        options["media"] = MediaOptions(player=self.values["player"], link_template=self.values["link_template"])
        return options

    def to_toml(self) -> str:
        """The settings as a ``cardgen.toml``, each value commented with where it came from."""
        where = str(self.file) if self.file else f"no {CONFIG_FILE} in {self.notes_dir}"
        lines = [f"# effective configuration ({where}); defaults < file < flags"]
        table = ""
        for s in SETTINGS:
            name = s.key
            if "." in s.key:
                prefix, name = s.key.split(".", 1)
                if prefix != table:
                    table = prefix
                    lines += ["", f"[{table}]"]
            value = self.values[s.key]
            source = self.sources[s.key]
            if source == "flag":
                source = f"flag --{s.flag.replace('_', '-')}" if s.flag else source
            comment = ""
            if value is None and s.key in ("deck", "vault"):  # named after the notes folder
                value, source = self.notes_dir.resolve().name, f"{source}: the notes folder's name"
            elif value is None:  # unset: shown commented out
                value, comment, source = "", "# ", f"{source}: unset"
            elif isinstance(value, Path):  # as the file would say it: relative to the notes folder
                if s.to_option is not None and s.to_option(value) is None:
                    comment, source = "# ", f"{source}: no such folder, so not used"
                value = os.path.relpath(value, self.notes_dir)
            lines.append(f"{comment}{name} = {_toml_value(value)}  # {source}")
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # JSON string escapes are valid TOML basic strings


def find_file(notes_dir: Path) -> tuple[Path, dict[str, Any], str] | None:
    """The vault's settings file, its settings table, and the table's name prefix for line lookups."""
    toml = notes_dir / CONFIG_FILE
    if toml.is_file():
        return toml, _read(toml), ""
    project = notes_dir / "pyproject.toml"
    if project.is_file():
        table = _read(project).get("tool", {}).get("cardgen")
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"{project}: [tool.cardgen] must be a table")
            return project, table, "tool.cardgen"
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8; re-save it as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        at = re.search(r"\(at line (\d+), column \d+\)", str(e))
        line = f":{at.group(1)}" if at else ""
        reason = str(e).replace(at.group(0), "").strip() if at else str(e)
        raise ConfigError(f"{path}{line}: not valid TOML ({reason})") from None


def _flatten(table: Mapping[str, Any]) -> dict[str, Any]:
    """{"extractors": {"skip": [...]}} -> {"extractors.skip": [...]}; other values stay as they are."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if key in _TABLES and isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _line(path: Path, key: str, prefix: str) -> str:
    """``path:line`` of ``key = ...`` (tomllib keeps no positions, so the text is searched)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return str(path)
    *tables, leaf = key.split(".")
    header = ".".join(p for p in (prefix, *tables) if p)
    start = 0
    if header:
        found = re.search(rf"^\s*\[\s*{re.escape(header)}\s*\]", text, re.M)
        start = found.end() if found else 0
    dotted = re.escape(".".join(tables + [leaf]))
    found = re.compile(rf"^\s*(?:\"?{re.escape(leaf)}\"?|{dotted})\s*=", re.M).search(text, start)
    return f"{path}:{text.count(chr(10), 0, found.start()) + 1}" if found else str(path)


def _value(setting: Setting, raw: Any, base: Path) -> tuple[Any, str | None]:
    """The value of ``raw`` for ``setting``, or why it is not one."""
    t = setting.type
    sample = setting.default if setting.default not in (None, ()) else setting.choices[-1:] or _SAMPLES[t]
    shown = "a table" if isinstance(raw, dict) else _toml_value(tuple(raw) if isinstance(raw, list) else raw)
    wrong = f"expected {_TYPE_NAMES[t]} (e.g. {setting.key.split('.')[-1]} = {_toml_value(sample)}), got {shown}"
    if t is bool:
        return (raw, None) if isinstance(raw, bool) else (None, wrong)
    if t in (int, float):
        if isinstance(raw, bool) or not isinstance(raw, int if t is int else int | float):
            return None, wrong
        low, high = setting.limits or (float("-inf"), float("inf"))
        if not low <= raw <= high:
            return None, f"must be from {low:g} to {high:g}, got {raw}"
        return t(raw), None
    if t is tuple:
        if not isinstance(raw, list) or not all(isinstance(i, str) for i in raw):
            return None, wrong
        bad = [i for i in raw if setting.choices and i not in setting.choices]
        if bad:
            return None, f"unknown value {bad[0]!r}; choose from {', '.join(setting.choices)}"
        return tuple(dict.fromkeys(raw)), None
    if not isinstance(raw, str):
        return None, wrong
    if t is Path:
        path = base / raw
        if setting.to_option is not None and not path.is_dir():
            return None, f"no folder {path}"
        return path, None
    return raw, None


def load_config(notes_dir: Path, flags: Mapping[str, Any] | None = None) -> Config:
    """The effective settings for the vault at ``notes_dir``; ``flags``: setting key -> value given on
    the command line. Raises ``ConfigError`` naming the file, line and key of the first bad setting.
    """
    values = {s.key: s.default for s in SETTINGS}
    sources = dict.fromkeys(values, "default")
    found = find_file(notes_dir)
    file = None
    if found is not None:
        file, table, prefix = found
        for key, raw in _flatten(table).items():
            setting = _BY_KEY.get(key)
            if key in _TABLES:
                raise ConfigError(f"{_line(file, key, prefix)}: {key} must be a table: [{key}] and its keys below it")
            if setting is None:
                close = difflib.get_close_matches(key, _BY_KEY, 1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = ", ".join(s.key for s in SETTINGS)
                raise ConfigError(f"{_line(file, key, prefix)}: unknown key {key!r}{hint}; known keys: {known}")
            value, problem = _value(setting, raw, file.parent)
            if problem is None and setting.check is not None:
                problem = setting.check(value)
            if problem:
                raise ConfigError(f"{_line(file, key, prefix)}: {key}: {problem}")
            values[key], sources[key] = value, "file"
    for key, value in (flags or {}).items():
        values[key], sources[key] = (tuple(value) if isinstance(value, list) else value), "flag"
    return Config(notes_dir, file, values, sources)
