"""A number, right within a tolerance."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lms.assessment.items.base import (
    INTERACTION_ACTIVITY,
    N_,
    AnswerError,
    DefinitionErrors,
    ItemType,
    to_decimal,
)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


class Numeric(ItemType):
    key = "numeric"
    interaction_type = "numeric"
    fields = frozenset({"answer", "tolerance"})
    label = "Number"

    def validate_definition(
        self, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], DefinitionErrors]:
        errors: DefinitionErrors = []
        answer = to_decimal(raw.get("answer"))
        if answer is None or isinstance(raw.get("answer"), str):
            errors.append((("answer",), "'answer' must be a number."))
            answer = Decimal(0)
        tolerance = to_decimal(raw.get("tolerance", 0))
        if tolerance is None or tolerance < 0 or isinstance(raw.get("tolerance"), str):
            errors.append((("tolerance",), "'tolerance' must be a number, zero or more."))
            tolerance = Decimal(0)
        # Kept as strings: the exact decimal the author wrote, not its binary approximation.
        return {"answer": _plain(answer), "tolerance": _plain(tolerance)}, errors

    def public_view(
        self, definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
    ) -> dict[str, Any]:
        return {}

    def key_view(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {"correct_response": definition["answer"], "tolerance": definition["tolerance"]}

    def validate_answer(self, definition: Mapping[str, Any], answer: Any) -> Any:
        number = to_decimal(answer)
        if number is None:
            raise AnswerError(N_("Give a number (e.g. 42.5 or 42,5)."))
        return _plain(number)

    def score(self, definition: Mapping[str, Any], answer: Any) -> float:
        """Right when within ±tolerance, bounds included, compared as decimals.

        Binary floats would reject 0.4 for 0.3 ± 0.1 (0.4 - 0.3 = 0.10000000000000003).
        """
        number = to_decimal(answer)
        if number is None:
            return 0.0
        target = Decimal(definition["answer"])
        return 1.0 if abs(number - target) <= Decimal(definition["tolerance"]) else 0.0

    def to_xapi_interaction(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        target = Decimal(definition["answer"])
        tolerance = Decimal(definition["tolerance"])
        pattern = (
            _plain(target)
            if tolerance == 0
            else f"{_plain(target - tolerance)}[:]{_plain(target + tolerance)}"
        )
        return {
            "type": INTERACTION_ACTIVITY,
            "interactionType": "numeric",
            "correctResponsesPattern": [pattern],
        }

    def xapi_response(self, definition: Mapping[str, Any], answer: Any) -> str:
        return "" if answer is None else str(answer)
