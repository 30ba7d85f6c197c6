"""Options of the choice types, shared by single_choice and multiple_choice."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from lms.assessment.items.base import (
    INTERACTION_ACTIVITY,
    DefinitionErrors,
    check_text,
    lang_map,
    optional_text,
    pick,
    shuffled,
)

_OPTION_FIELDS = {"id", "text", "text_en", "correct"}


def validate_options(raw: Mapping[str, Any], errors: DefinitionErrors) -> list[dict[str, Any]]:
    options = raw.get("options")
    if not isinstance(options, list) or len(options) < 2:
        errors.append((("options",), "'options' must list at least two options."))
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, option in enumerate(options):
        path = ("options", index)
        if not isinstance(option, Mapping):
            errors.append((path, "An option must be a mapping with id and text."))
            continue
        for unknown in sorted(set(option) - _OPTION_FIELDS):
            errors.append(((*path, unknown), f"Unknown option field '{unknown}'."))
        option_id = option.get("id")
        if isinstance(option_id, int) and not isinstance(option_id, bool):
            option_id = str(option_id)
        if not isinstance(option_id, str) or not option_id.strip():
            errors.append(((*path, "id"), "An option needs an 'id'."))
            option_id = f"#{index}"
        elif option_id in seen:
            errors.append(((*path, "id"), f"Option id '{option_id}' is used twice."))
        elif "," in option_id or "[" in option_id:
            errors.append(((*path, "id"), "An option id may not contain ',' or '['."))
        seen.add(option_id)
        correct = option.get("correct", False)
        if not isinstance(correct, bool):
            errors.append(((*path, "correct"), "'correct' must be true or false."))
            correct = False
        out.append(
            {
                "id": option_id,
                "text": check_text(option, "text", errors, path),
                "text_en": optional_text(option, "text_en", errors, path),
                "correct": correct,
            }
        )
    return out


def correct_ids(definition: Mapping[str, Any]) -> list[str]:
    return [o["id"] for o in definition["options"] if o["correct"]]


def present(definition: Mapping[str, Any], rng: random.Random, *, shuffle: bool) -> dict:
    ids = [o["id"] for o in definition["options"]]
    return {"order": shuffled(ids, rng) if shuffle else ids}


def public_view(
    definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
) -> dict[str, Any]:
    by_id = {o["id"]: o for o in definition["options"]}
    order = presentation.get("order") or list(by_id)
    return {
        "options": [
            {"id": i, "text": pick(by_id[i]["text"], by_id[i]["text_en"], lang)}
            for i in order
            if i in by_id
        ]
    }


def xapi_interaction(definition: Mapping[str, Any], correct_pattern: str) -> dict[str, Any]:
    return {
        "type": INTERACTION_ACTIVITY,
        "interactionType": "choice",
        "correctResponsesPattern": [correct_pattern],
        "choices": [
            {"id": o["id"], "description": lang_map(o["text"], o["text_en"])}
            for o in definition["options"]
        ],
    }
