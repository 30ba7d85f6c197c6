"""One or more correct options; all-or-nothing or partial credit."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from lms.assessment.items import _options
from lms.assessment.items.base import N_, AnswerError, DefinitionErrors, ItemType, check_scoring


class MultipleChoice(ItemType):
    key = "multiple_choice"
    interaction_type = "choice"
    fields = frozenset({"options", "scoring"})
    label = "Multiple choice"

    def validate_definition(
        self, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], DefinitionErrors]:
        errors: DefinitionErrors = []
        options = _options.validate_options(raw, errors)
        if options and not any(o["correct"] for o in options):
            errors.append((("options",), "A multiple-choice question needs a correct option."))
        return {"options": options, "scoring": check_scoring(raw, errors)}, errors

    def present(self, definition: Mapping[str, Any], rng: random.Random, *, shuffle: bool) -> dict:
        return _options.present(definition, rng, shuffle=shuffle)

    def public_view(
        self, definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
    ) -> dict[str, Any]:
        return _options.public_view(definition, presentation, lang) | {"multiple": True}

    def key_view(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {"correct_response": _options.correct_ids(definition)}

    def validate_answer(self, definition: Mapping[str, Any], answer: Any) -> Any:
        ids = [o["id"] for o in definition["options"]]
        if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
            raise AnswerError(N_("Give the chosen options as a list of ids."))
        unknown = [a for a in answer if a not in ids]
        if unknown:
            raise AnswerError(N_("Unknown option: %(ids)s."), ids=", ".join(unknown))
        chosen = set(answer)
        return [i for i in ids if i in chosen]  # definition order, no duplicates

    def score(self, definition: Mapping[str, Any], answer: Any) -> float:
        """Partial credit: (right picks - wrong picks) / correct options, never below zero.

        Subtracting wrong picks keeps "tick everything" from earning credit.
        """
        if not answer:
            return 0.0
        correct = set(_options.correct_ids(definition))
        chosen = set(answer)
        if definition.get("scoring") == "partial":
            hits = len(chosen & correct)
            wrong = len(chosen - correct)
            return max(0.0, (hits - wrong) / len(correct))
        return 1.0 if chosen == correct else 0.0

    def to_xapi_interaction(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return _options.xapi_interaction(definition, "[,]".join(_options.correct_ids(definition)))

    def xapi_response(self, definition: Mapping[str, Any], answer: Any) -> str:
        return "[,]".join(answer or [])
