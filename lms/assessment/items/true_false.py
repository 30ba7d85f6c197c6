"""A statement that is true or false."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lms.assessment.items.base import (
    INTERACTION_ACTIVITY,
    N_,
    AnswerError,
    DefinitionErrors,
    ItemType,
)


class TrueFalse(ItemType):
    key = "true_false"
    interaction_type = "true-false"
    fields = frozenset({"answer"})
    label = "True / false"

    def validate_definition(
        self, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], DefinitionErrors]:
        errors: DefinitionErrors = []
        answer = raw.get("answer")
        if not isinstance(answer, bool):
            errors.append((("answer",), "'answer' must be true or false."))
            answer = False
        return {"answer": answer}, errors

    def public_view(
        self, definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
    ) -> dict[str, Any]:
        return {"choices": [True, False]}

    def key_view(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {"correct_response": definition["answer"]}

    def validate_answer(self, definition: Mapping[str, Any], answer: Any) -> Any:
        if isinstance(answer, str) and answer.lower() in ("true", "false"):
            return answer.lower() == "true"
        if not isinstance(answer, bool):
            raise AnswerError(N_("Answer true or false."))
        return answer

    def score(self, definition: Mapping[str, Any], answer: Any) -> float:
        return 1.0 if answer is not None and answer == definition["answer"] else 0.0

    def to_xapi_interaction(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {
            "type": INTERACTION_ACTIVITY,
            "interactionType": "true-false",
            "correctResponsesPattern": ["true" if definition["answer"] else "false"],
        }

    def xapi_response(self, definition: Mapping[str, Any], answer: Any) -> str:
        return "" if answer is None else ("true" if answer else "false")
