"""Result and Score (Data 2.4.5, 2.4.5.1)."""

from __future__ import annotations

from typing import Any

from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import (
    check_bool,
    check_duration,
    check_extensions,
    check_number,
    check_object,
    check_string,
)

RESULT_KEYS = frozenset(("score", "success", "completion", "response", "duration", "extensions"))
SCORE_KEYS = frozenset(("scaled", "raw", "min", "max"))


def check_result(value: Any, path: str) -> None:
    """Booleans must be JSON booleans and numbers JSON numbers (XAPI-00006, XAPI-00074-78)."""
    result = check_object(value, path, "a Result object", RESULT_KEYS, "a Result")
    if "score" in result:
        check_score(result["score"], f"{path}.score")
    if "success" in result:
        check_bool(result["success"], f"{path}.success")
    if "completion" in result:
        check_bool(result["completion"], f"{path}.completion")
    if "response" in result:
        check_string(result["response"], f"{path}.response")
    if "duration" in result:
        check_duration(result["duration"], f"{path}.duration")
    if "extensions" in result:
        check_extensions(result["extensions"], f"{path}.extensions")


def check_score(value: Any, path: str) -> None:
    """``scaled`` in [-1, 1]; ``min`` < ``max``; ``min`` <= ``raw`` <= ``max`` (XAPI-00079-83).

    The spec's table says min is "less than max", so equal bounds are rejected; raw is
    "between min and max (if present) inclusive", each bound checked on its own.
    """
    score = check_object(value, path, "a Score object", SCORE_KEYS, "a Score")
    if "scaled" in score:
        scaled = check_number(score["scaled"], f"{path}.scaled")
        if not -1 <= scaled <= 1:
            raise XapiValidationError(f"{path}.scaled", f"{scaled} is not between -1 and 1")
    low = check_number(score["min"], f"{path}.min") if "min" in score else None
    high = check_number(score["max"], f"{path}.max") if "max" in score else None
    if low is not None and high is not None and not low < high:
        raise XapiValidationError(f"{path}.max", f"{high} must be greater than min ({low})")
    if "raw" in score:
        raw = check_number(score["raw"], f"{path}.raw")
        if low is not None and raw < low:
            raise XapiValidationError(f"{path}.raw", f"{raw} is below min ({low})")
        if high is not None and raw > high:
            raise XapiValidationError(f"{path}.raw", f"{raw} is above max ({high})")
