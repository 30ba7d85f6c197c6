"""One correct option out of several."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from lms.assessment.items import _options
from lms.assessment.items.base import N_, AnswerError, DefinitionErrors, ItemType


class SingleChoice(ItemType):
    key = "single_choice"
    interaction_type = "choice"
    fields = frozenset({"options"})
    label = "Single choice"

    def validate_definition(
        self, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], DefinitionErrors]:
        errors: DefinitionErrors = []
        options = _options.validate_options(raw, errors)
        if options and sum(o["correct"] for o in options) != 1:
            errors.append(
                (("options",), "A single-choice question needs exactly one correct option.")
            )
        return {"options": options}, errors

    def present(self, definition: Mapping[str, Any], rng: random.Random, *, shuffle: bool) -> dict:
        return _options.present(definition, rng, shuffle=shuffle)

    def public_view(
        self, definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
    ) -> dict[str, Any]:
        return _options.public_view(definition, presentation, lang)

    def key_view(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {"correct_response": _options.correct_ids(definition)[0]}

    def validate_answer(self, definition: Mapping[str, Any], answer: Any) -> Any:
        ids = {o["id"] for o in definition["options"]}
        if not isinstance(answer, str) or answer not in ids:
            raise AnswerError(N_("Choose one of the options by its id."))
        return answer

    def score(self, definition: Mapping[str, Any], answer: Any) -> float:
        return 1.0 if answer is not None and answer in _options.correct_ids(definition) else 0.0

    def to_xapi_interaction(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return _options.xapi_interaction(definition, _options.correct_ids(definition)[0])

    def xapi_response(self, definition: Mapping[str, Any], answer: Any) -> str:
        return "" if answer is None else str(answer)
