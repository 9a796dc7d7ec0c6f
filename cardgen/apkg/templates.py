"""Card templates: the shipped defaults, each overridable by a file of the same name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

TEMPLATE_FILES = ("basic_front.html", "basic_back.html", "cloze_front.html", "cloze_back.html", "style.css")


def load_templates(override_dir: Path | None = None) -> dict[str, str]:
    """The shipped templates, each replaced by a file of the same name in ``override_dir``."""
    shipped = resources.files("cardgen") / "templates"
    out = {}
    for name in TEMPLATE_FILES:
        custom = override_dir / name if override_dir else None
        out[name] = (custom.read_text(encoding="utf-8") if custom and custom.is_file()
                     else (shipped / name).read_text(encoding="utf-8"))
    return out
