"""Put items in the right order."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from lms.assessment.items.base import (
    INTERACTION_ACTIVITY,
    N_,
    AnswerError,
    DefinitionErrors,
    ItemType,
    check_scoring,
    lang_map,
    letter_ids,
    normalise_text,
    pick,
    shuffled,
)


class Ordering(ItemType):
    key = "ordering"
    interaction_type = "sequencing"
    fields = frozenset({"items", "items_en", "scoring"})
    label = "Ordering"

    def validate_definition(
        self, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], DefinitionErrors]:
        errors: DefinitionErrors = []
        items = raw.get("items")
        texts: list[str] = []
        if not isinstance(items, list) or len(items) < 2:
            errors.append((("items",), "'items' must list at least two items, in the right order."))
            items = []
        seen: set[str] = set()
        for index, value in enumerate(items):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                errors.append((("items", index), "An item must be a non-empty text."))
                value = f"#{index}"
            elif normalise_text(value) in seen:
                errors.append((("items", index), "The same item appears twice."))
            seen.add(normalise_text(value))
            texts.append(value.strip())
        texts_en = raw.get("items_en")
        if texts_en is not None and (
            not isinstance(texts_en, list)
            or len(texts_en) != len(texts)
            or not all(isinstance(t, str) for t in texts_en)
        ):
            errors.append(
                (("items_en",), "'items_en' must translate every item, in the same order.")
            )
            texts_en = None
        # Letter ids in alphabetical order of the texts: positions would give the order away.
        ids = letter_ids(texts)
        return {
            "items": [
                {"id": i, "text": t, "text_en": (texts_en[n].strip() if texts_en else None)}
                for n, (i, t) in enumerate(zip(ids, texts, strict=True))
            ],
            "scoring": check_scoring(raw, errors),
        }, errors

    def present(self, definition: Mapping[str, Any], rng: random.Random, *, shuffle: bool) -> dict:
        correct = [i["id"] for i in definition["items"]]
        # Always shuffled, and never shown already in the right order.
        return {"order": shuffled(correct, rng, avoid=correct)}

    def public_view(
        self, definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
    ) -> dict[str, Any]:
        by_id = {i["id"]: i for i in definition["items"]}
        order = presentation.get("order") or sorted(by_id)
        return {
            "items": [
                {"id": i, "text": pick(by_id[i]["text"], by_id[i]["text_en"], lang)} for i in order
            ]
        }

    def key_view(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {"correct_response": [i["id"] for i in definition["items"]]}

    def validate_answer(self, definition: Mapping[str, Any], answer: Any) -> Any:
        ids = sorted(i["id"] for i in definition["items"])
        if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
            raise AnswerError(N_("Give the order as a list of item ids."))
        if sorted(answer) != ids:
            raise AnswerError(N_("The order must list every item exactly once."))
        return list(answer)

    def score(self, definition: Mapping[str, Any], answer: Any) -> float:
        if not answer:
            return 0.0
        correct = [i["id"] for i in definition["items"]]
        if definition.get("scoring") == "partial":
            return sum(1 for a, b in zip(answer, correct, strict=False) if a == b) / len(correct)
        return 1.0 if list(answer) == correct else 0.0

    def to_xapi_interaction(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {
            "type": INTERACTION_ACTIVITY,
            "interactionType": "sequencing",
            "correctResponsesPattern": ["[,]".join(i["id"] for i in definition["items"])],
            "choices": [
                {"id": i["id"], "description": lang_map(i["text"], i["text_en"])}
                for i in definition["items"]
            ],
        }

    def xapi_response(self, definition: Mapping[str, Any], answer: Any) -> str:
        return "[,]".join(answer or [])
