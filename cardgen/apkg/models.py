"""The two Anki note types. Frozen: ids, names of fields and templates, their order, sort field.

Changing any of these makes Anki skip every update of existing notes (see the README, "Card
identity"). Only the template HTML and CSS may change; they update in place on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import genanki

BASIC_MODEL_ID = 1764083297
CLOZE_MODEL_ID = 1764083298
# Status: e.g. "retired"; Media: the embedded player (cardgen/media.py); Reserved is spare, since a
# field added after the first release would stop updates.
BASIC_FIELDS = ("Front", "Back", "Context", "Moment", "Source", "Status", "Media", "Reserved")
CLOZE_FIELDS = ("Text", "Back Extra", "Context", "Moment", "Source", "Status", "Media", "Reserved")
STATUS_FIELD = BASIC_FIELDS.index("Status")
assert STATUS_FIELD == CLOZE_FIELDS.index("Status")
CONTEXT_FIELD = BASIC_FIELDS.index("Context")
assert CONTEXT_FIELD == CLOZE_FIELDS.index("Context")
SOURCE_FIELD = BASIC_FIELDS.index("Source")
assert SOURCE_FIELD == CLOZE_FIELDS.index("Source")


def build_models(templates: dict[str, str]) -> tuple[genanki.Model, genanki.Model]:
    import genanki  # not at the top: a build that changes no note type never needs genanki

    css = templates["style.css"]
    basic = genanki.Model(
        BASIC_MODEL_ID, "cardgen basic", fields=[{"name": f} for f in BASIC_FIELDS],
        templates=[{"name": "Card 1", "qfmt": templates["basic_front.html"], "afmt": templates["basic_back.html"]}],
        css=css, sort_field_index=0)
    cloze = genanki.Model(
        CLOZE_MODEL_ID, "cardgen cloze", fields=[{"name": f} for f in CLOZE_FIELDS],
        templates=[{"name": "Cloze", "qfmt": templates["cloze_front.html"], "afmt": templates["cloze_back.html"]}],
        css=css, model_type=genanki.Model.CLOZE, sort_field_index=0)
    return basic, cloze
