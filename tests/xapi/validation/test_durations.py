"""Data 4.6 ISO 8601 Durations (XAPI-00077, XAPI-00124), checked as ``result.duration``."""

from __future__ import annotations

import pytest

from tests.xapi.validation.support import STATEMENT, assert_verdict, patched

VALID = [
    "PT4H35M59.14S",
    "PT16559.14S",
    "P3Y1M29DT4H35M59.14S",
    "P3Y",
    "P4W",
    "PT1H0M0S",
    "PT1H0M0.1S",
    "PT1234S",
    "PT0S",
    "P0D",
    "P1M",
    "PT1M",
    "P1DT12H",
    "P1Y2M3DT4H5M6S",
    "PT01M05.5S",
    "PT0.001S",
    "PT36H",
    "P0.5Y",
    "PT1.5H",
    "PT1,5S",
    "P1.5W",
    "PT10M0.123456S",
]

INVALID = [
    "",
    "P",
    "PT",
    "P1DT",
    "T1H",
    "1H",
    "PA1H0M0S",
    "should fail",
    "P4W1D",
    "P1D4W",
    "PT4W",
    "P1S",
    "P16559.14S",
    "P1H",
    "PT1D",
    "P1M1Y",
    "PT1S1M",
    "PT1.5H30M",
    "P1.5Y2M",
    "P1Y.5M",
    "PT.5S",
    "PT1.S",
    "-PT1H",
    "P-1D",
    "pt1h",
    "PT1h",
    "P0001-02-03T04:05:06",
    "P1Y 2M",
    "PT1H ",
    "01:00:00",
]


@pytest.mark.parametrize("value", VALID)
def test_valid_duration(value: str) -> None:
    assert_verdict(patched(STATEMENT, {"result": {"duration": value}}), None)


@pytest.mark.parametrize("value", INVALID)
def test_invalid_duration(value: str) -> None:
    """Note "P16559.14S": the 1.0.3 example table omits the "T"; ISO 8601 requires it."""
    assert_verdict(patched(STATEMENT, {"result": {"duration": value}}), "result.duration")


@pytest.mark.parametrize("value", [3600, 1.5, None, {"key": "invalid"}, ["PT1H"], True])
def test_duration_must_be_a_string(value: object) -> None:
    assert_verdict(patched(STATEMENT, {"result": {"duration": value}}), "result.duration")
