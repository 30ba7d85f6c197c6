"""A short text typed by the learner, compared after normalisation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lms.assessment.items.base import (
    INTERACTION_ACTIVITY,
    N_,
    AnswerError,
    DefinitionErrors,
    ItemType,
    check_bool,
    normalise_text,
)

MAX_LENGTH = 500


class FillIn(ItemType):
    key = "fill_in"
    interaction_type = "fill-in"
    fields = frozenset({"answers", "case_sensitive", "ignore_diacritics"})
    label = "Fill in"

    def validate_definition(
        self, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], DefinitionErrors]:
        errors: DefinitionErrors = []
        answers = raw.get("answers")
        out: list[str] = []
        if not isinstance(answers, list) or not answers:
            errors.append((("answers",), "'answers' must list at least one accepted text."))
        else:
            for index, value in enumerate(answers):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    value = str(value)
                if not isinstance(value, str) or not value.strip():
                    errors.append(
                        (("answers", index), "An accepted answer must be a non-empty text.")
                    )
                    continue
                out.append(value.strip())
        return {
            "answers": out,
            "case_sensitive": check_bool(raw, "case_sensitive", False, errors),
            "ignore_diacritics": check_bool(raw, "ignore_diacritics", False, errors),
        }, errors

    def public_view(
        self, definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
    ) -> dict[str, Any]:
        return {"max_length": MAX_LENGTH}

    def key_view(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {"correct_response": list(definition["answers"])}

    def validate_answer(self, definition: Mapping[str, Any], answer: Any) -> Any:
        if not isinstance(answer, str):
            raise AnswerError(N_("Type the answer as text."))
        if len(answer) > MAX_LENGTH:
            raise AnswerError(N_("The answer is longer than %(n)s characters."), n=MAX_LENGTH)
        return answer

    def score(self, definition: Mapping[str, Any], answer: Any) -> float:
        if not isinstance(answer, str):
            return 0.0
        options = {
            "case_sensitive": definition.get("case_sensitive", False),
            "ignore_diacritics": definition.get("ignore_diacritics", False),
        }
        given = normalise_text(answer, **options)
        if not given:
            return 0.0
        accepted = {normalise_text(a, **options) for a in definition["answers"]}
        return 1.0 if given in accepted else 0.0

    def to_xapi_interaction(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        prefix = "{case_matters=true}" if definition.get("case_sensitive") else ""
        return {
            "type": INTERACTION_ACTIVITY,
            "interactionType": "fill-in",
            "correctResponsesPattern": [prefix + a for a in definition["answers"]],
        }

    def xapi_response(self, definition: Mapping[str, Any], answer: Any) -> str:
        return "" if answer is None else str(answer)
