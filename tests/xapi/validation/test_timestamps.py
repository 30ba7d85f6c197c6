"""Data 4.5 ISO 8601 Timestamps (XAPI-00022, XAPI-00122, XAPI-00123) and the ``since``/``until``
parameters, which must follow the same rules (XAPI-00012)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lms.xapi.validation import XapiValidationError, validate_timestamp
from lms.xapi.validation.fields import utc_timestamp
from tests.xapi.validation.support import STATEMENT, assert_verdict, patched

ICT = timezone(timedelta(hours=7))

VALID = [
    ("2013-05-18T05:32:34.804Z", datetime(2013, 5, 18, 5, 32, 34, 804000, UTC)),
    ("2013-05-18T05:32:34.804+00:00", datetime(2013, 5, 18, 5, 32, 34, 804000, UTC)),
    ("2013-05-18T12:32:34.804+07:00", datetime(2013, 5, 18, 12, 32, 34, 804000, ICT)),
    ("2013-05-18T12:32:34.804+0700", datetime(2013, 5, 18, 12, 32, 34, 804000, ICT)),
    ("2013-05-18T12:32:34.804+07", datetime(2013, 5, 18, 12, 32, 34, 804000, ICT)),
    ("2013-05-18T00:02:34-05:30", datetime(2013, 5, 18, 5, 32, 34, tzinfo=UTC)),
    ("2013-05-18T05:32:34Z", datetime(2013, 5, 18, 5, 32, 34, tzinfo=UTC)),
    ("2013-05-18T05:32Z", datetime(2013, 5, 18, 5, 32, tzinfo=UTC)),
    ("2013-05-18T05:32:34.1Z", datetime(2013, 5, 18, 5, 32, 34, 100000, UTC)),
    ("2013-05-18T05:32:34.123456789Z", datetime(2013, 5, 18, 5, 32, 34, 123456, UTC)),
    ("2013-05-18T05:32:34,804Z", datetime(2013, 5, 18, 5, 32, 34, 804000, UTC)),
    ("2013-05-18t05:32:34z", datetime(2013, 5, 18, 5, 32, 34, tzinfo=UTC)),
    ("2013-05-18T05:32:34", datetime(2013, 5, 18, 5, 32, 34, tzinfo=UTC)),
    ("20130518T053234Z", datetime(2013, 5, 18, 5, 32, 34, tzinfo=UTC)),
    ("20130518T053234.804+0700", datetime(2013, 5, 18, 5, 32, 34, 804000, ICT)),
    ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
    ("2000-02-29T00:00:00Z", datetime(2000, 2, 29, tzinfo=UTC)),
    ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, 999999, UTC)),
    ("1776-07-04T16:00:45.123Z", datetime(1776, 7, 4, 16, 0, 45, 123000, UTC)),
    ("0001-01-01T05:00:00+05:00", datetime(1, 1, 1, tzinfo=UTC)),
    ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
]

INVALID = [
    "should fail",
    "01/011/2015",
    "2013-05-18",
    "05:32:34Z",
    "2013-05-18T",
    "2013-05-18T05Z",
    "2013-5-18T05:32:34Z",
    "2013-05-18T5:32:34Z",
    "13-05-18T05:32:34Z",
    "2013-05-18T05:32:34.Z",
    "2013-05-18T05:32:34.804+7:00",
    "2013-05-18T05:32:34.804 +07:00",
    "2013-05-18T05:32:34.804UTC",
    "2013-05-18T05:32:34.804GMT+7",
    "2008-09-15T15:53:00.601-00",
    "2008-09-15T15:53:00.601-0000",
    "2008-09-15T15:53:00.601-00:00",
    "2013-13-18T05:32:34Z",
    "2013-00-18T05:32:34Z",
    "2013-05-32T05:32:34Z",
    "2013-04-31T05:32:34Z",
    "2013-02-29T05:32:34Z",
    "1900-02-29T05:32:34Z",
    "2013-05-18T24:00:00Z",
    "2013-05-18T05:60:00Z",
    "2013-05-18T05:32:61Z",
    "2013-05-18T05:32:34+24:00",
    "2013-05-18T05:32:34+05:60",
    "2013-05-18 05:32:34Z",
    "20130518T05:32:34Z",
    "2013-05-18T053234Z",
    "Sat, 18 May 2013 05:32:34 GMT",
    "1368855154",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    " 2013-05-18T05:32:34Z",
    "2013-05-18T05:32:34Z ",
    "",
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_valid_timestamp(value: str, expected: datetime) -> None:
    assert validate_timestamp(value, path="since") == expected
    assert validate_timestamp(value, path="since").tzinfo is not None
    assert_verdict(patched(STATEMENT, {"timestamp": value}), None)


@pytest.mark.parametrize("value", INVALID)
def test_invalid_timestamp(value: str) -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_timestamp(value, path="since")
    assert caught.value.path == "since"
    assert_verdict(patched(STATEMENT, {"timestamp": value}), "timestamp")


@pytest.mark.parametrize("value", [None, 1368855154, 1.5, ["2013-05-18T05:32:34Z"], {}, True])
def test_timestamp_must_be_a_string(value: object) -> None:
    with pytest.raises(XapiValidationError, match=r"^until: "):
        validate_timestamp(value, path="until")


def test_negative_zero_offset_message_explains_the_rule() -> None:
    with pytest.raises(XapiValidationError, match="unknown"):
        validate_timestamp("2008-09-15T15:53:00.601-00:00", path="timestamp")


def test_space_separator_follows_the_version() -> None:
    """RFC 3339 allows a space; xAPI 1.0.x follows ISO 8601, which does not."""
    value = "2008-09-15 15:53:00.601+00:00"
    assert validate_timestamp(value, path="since", version="2.0.0") == datetime(
        2008, 9, 15, 15, 53, 0, 601000, UTC
    )
    with pytest.raises(XapiValidationError):
        validate_timestamp(value, path="since")


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2025-10-12T13:45:07.123+07:00", "2025-10-12T06:45:07.123Z"),
        ("2025-10-01T03:00:00+07:00", "2025-09-30T20:00:00Z"),  # the day and month before
        ("2024-12-31T22:30:00.5-05:30", "2025-01-01T04:00:00.5Z"),  # the year after
        ("2024-02-29T23:59:59.123456-01:00", "2024-03-01T00:59:59.123456Z"),
        ("2025-06-30T23:59:60.25+00:00", "2025-06-30T23:59:59.99Z"),  # leap second: end of minute
        ("2025-10-12T13:45:07.1234567+07:00", "2025-10-12T06:45:07.123456Z"),
        ("2025-10-12T13:45:07+00:00", "2025-10-12T13:45:07Z"),
        ("2025-10-12t13:45:07+0700", "2025-10-12T06:45:07Z"),
    ],
)
def test_timestamps_are_stored_in_utc_with_their_fraction(value: str, stored: str) -> None:
    """Data 4.5.s1.b6: returned in UTC; the digits of the fraction as sent (up to 6)."""
    assert utc_timestamp(value) == stored
