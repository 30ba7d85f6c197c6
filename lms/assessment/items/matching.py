"""Match every left-hand item to a right-hand one."""

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
    check_text,
    lang_map,
    letter_ids,
    normalise_text,
    optional_text,
    pick,
    shuffled,
)
from lms.edge import ascii_digits

_PAIR_FIELDS = {"left", "right", "left_en", "right_en"}


class Matching(ItemType):
    key = "matching"
    interaction_type = "matching"
    fields = frozenset({"pairs", "scoring"})
    label = "Matching"

    def validate_definition(
        self, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], DefinitionErrors]:
        errors: DefinitionErrors = []
        pairs = raw.get("pairs")
        lefts: list[dict[str, Any]] = []
        rights: list[dict[str, Any]] = []
        if not isinstance(pairs, list) or len(pairs) < 2:
            errors.append((("pairs",), "'pairs' must list at least two pairs."))
            pairs = []
        for index, pair in enumerate(pairs):
            path = ("pairs", index)
            if not isinstance(pair, Mapping):
                errors.append((path, "A pair must be a mapping with left and right."))
                continue
            for unknown in sorted(set(pair) - _PAIR_FIELDS):
                errors.append(((*path, unknown), f"Unknown pair field '{unknown}'."))
            lefts.append(
                {
                    "text": check_text(pair, "left", errors, path),
                    "text_en": optional_text(pair, "left_en", errors, path),
                }
            )
            rights.append(
                {
                    "text": check_text(pair, "right", errors, path),
                    "text_en": optional_text(pair, "right_en", errors, path),
                }
            )
        for side, items in (("left", lefts), ("right", rights)):
            seen: set[str] = set()
            for index, item in enumerate(items):
                folded = normalise_text(item["text"])
                if folded and folded in seen:
                    errors.append((("pairs", index, side), f"The same {side} text appears twice."))
                seen.add(folded)
        # Left ids are positions (the left column is shown in the author's order); right ids
        # are letters in alphabetical order, so neither says which right belongs to which left.
        for index, item in enumerate(lefts):
            item["id"] = str(index + 1)
        for item, right_id in zip(rights, letter_ids([r["text"] for r in rights]), strict=True):
            item["id"] = right_id
        return {
            "left": lefts,
            "right": rights,
            "key": {lf["id"]: r["id"] for lf, r in zip(lefts, rights, strict=True)},
            "scoring": check_scoring(raw, errors),
        }, errors

    def present(self, definition: Mapping[str, Any], rng: random.Random, *, shuffle: bool) -> dict:
        rights = [r["id"] for r in definition["right"]]
        lefts = [lf["id"] for lf in definition["left"]]
        return {
            "left": shuffled(lefts, rng) if shuffle else lefts,
            # Always shuffled: the author's order is the key.
            "right": shuffled(rights, rng, avoid=[definition["key"][lf] for lf in lefts]),
        }

    def public_view(
        self, definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
    ) -> dict[str, Any]:
        left = {lf["id"]: lf for lf in definition["left"]}
        right = {r["id"]: r for r in definition["right"]}
        left_order = presentation.get("left") or sorted(left)
        right_order = presentation.get("right") or sorted(right)
        return {
            "left": [
                {"id": i, "text": pick(left[i]["text"], left[i]["text_en"], lang)}
                for i in left_order
            ],
            "right": [
                {"id": i, "text": pick(right[i]["text"], right[i]["text_en"], lang)}
                for i in right_order
            ],
        }

    def key_view(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {"correct_response": dict(definition["key"])}

    def validate_answer(self, definition: Mapping[str, Any], answer: Any) -> Any:
        if not isinstance(answer, Mapping):
            raise AnswerError(N_("Give the matches as an object {left id: right id}."))
        lefts = {lf["id"] for lf in definition["left"]}
        rights = {r["id"] for r in definition["right"]}
        out: dict[str, str] = {}
        for left_id, right_id in answer.items():
            if left_id not in lefts:
                raise AnswerError(N_("Unknown left item '%(id)s'."), id=left_id)
            if right_id is None:
                continue
            if not isinstance(right_id, str) or right_id not in rights:
                raise AnswerError(N_("Unknown right item for '%(id)s'."), id=left_id)
            out[left_id] = right_id
        return {k: out[k] for k in sorted(out, key=_numeric_key)}

    def score(self, definition: Mapping[str, Any], answer: Any) -> float:
        if not answer:
            return 0.0
        key = definition["key"]
        right = sum(1 for left_id, right_id in key.items() if answer.get(left_id) == right_id)
        if definition.get("scoring") == "partial":
            return right / len(key)
        return 1.0 if right == len(key) else 0.0

    def to_xapi_interaction(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        key = definition["key"]
        return {
            "type": INTERACTION_ACTIVITY,
            "interactionType": "matching",
            "correctResponsesPattern": ["[,]".join(f"{lf}[.]{r}" for lf, r in key.items())],
            "source": [
                {"id": lf["id"], "description": lang_map(lf["text"], lf["text_en"])}
                for lf in definition["left"]
            ],
            "target": [
                {"id": r["id"], "description": lang_map(r["text"], r["text_en"])}
                for r in definition["right"]
            ],
        }

    def xapi_response(self, definition: Mapping[str, Any], answer: Any) -> str:
        return "[,]".join(f"{lf}[.]{r}" for lf, r in (answer or {}).items())


def _numeric_key(value: str) -> tuple[int, str]:
    return (int(value), "") if ascii_digits(value) else (1 << 30, value)
