"""The question-type registry: type key -> :class:`ItemType`.

Adding a question type is one module here and one line in :data:`TYPES`.
"""

from __future__ import annotations

from lms.assessment.items.base import AnswerError, ItemType
from lms.assessment.items.fill_in import FillIn
from lms.assessment.items.matching import Matching
from lms.assessment.items.multiple_choice import MultipleChoice
from lms.assessment.items.numeric import Numeric
from lms.assessment.items.ordering import Ordering
from lms.assessment.items.single_choice import SingleChoice
from lms.assessment.items.true_false import TrueFalse

__all__ = ["TYPES", "AnswerError", "ItemType", "get_type"]

TYPES: dict[str, ItemType] = {
    t.key: t
    for t in (
        SingleChoice(),
        MultipleChoice(),
        TrueFalse(),
        FillIn(),
        Numeric(),
        Matching(),
        Ordering(),
    )
}


def get_type(key: str) -> ItemType:
    """The type registered under ``key``; KeyError for an unknown one."""
    return TYPES[key]
