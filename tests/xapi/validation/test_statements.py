"""Data 2.4 Statement properties: id (2.4.1), timestamp (2.4.7), stored (2.4.8), version
(2.4.10), and POST batches (Communication 2.1.2) with "[i]." error paths."""

from __future__ import annotations

from typing import Any

import pytest

from lms.xapi.validation import XapiValidationError, validate_statement, validate_statements
from tests.xapi.validation.support import (
    STATEMENT,
    assert_verdict,
    case,
    patched,
    without,
)

STATEMENT_CASES = [
    # id (XAPI-00027 .. XAPI-00030).
    case({"id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}, None, "2.4.1 lowercase UUID"),
    case({"id": "FD41C918-B88B-4B20-A0A5-A4C32391AAA0"}, None, "4.4 uppercase UUID"),
    case(
        {"id": "12345678-1234-5678-1234-567812345678"}, None, "2.4.s2 spec example (not variant 2)"
    ),
    case({"id": "00000000-0000-0000-0000-000000000000"}, None, "4.4 nil UUID is well-formed"),
    case({"id": "AA97B177-9383-4934-8543-0F91A7A028368"}, "id", "XAPI-00027 too many digits"),
    case({"id": "MA97B177-9383-4934-8543-0F91A7A02836"}, "id", "XAPI-00027 non-hex letter"),
    case({"id": "fd41c918b88b4b20a0a5a4c32391aaa0"}, "id", "XAPI-00029 no hyphens"),
    case({"id": "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}"}, "id", "XAPI-00029 braces"),
    case({"id": "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}, "id", "XAPI-00029 URN form"),
    case({"id": " fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}, "id", "XAPI-00029 leading space"),
    case({"id": 12345}, "id", "XAPI-00028 number"),
    case({"id": {"key": "should fail"}}, "id", "XAPI-00028 object"),
    # timestamp and stored (XAPI-00022, XAPI-00023).
    case({"timestamp": "2015-11-18T12:17:00+00:00"}, None, "Appendix A timestamp"),
    case({"timestamp": "2013-05-18T05:32:34.804Z"}, None, "2.4.7 Z timestamp"),
    case({"timestamp": "2013-05-18T05:32:34.804+07:00"}, None, "2.4.7 Vietnam offset"),
    case({"timestamp": "should fail"}, "timestamp", "XAPI-00022 invalid string"),
    case({"timestamp": "01/011/2015"}, "timestamp", "XAPI-00022 invalid date"),
    case({"timestamp": "2008-09-15T15:53:00.601-00:00"}, "timestamp", "XAPI-00123 -00:00 offset"),
    case({"timestamp": 1447849020}, "timestamp", "XAPI-00022 epoch number"),
    case({"timestamp": "2099-01-01T00:00:00Z"}, None, "2.4.7.s3.b6 future timestamp not rejected"),
    case(
        {"stored": "2013-05-18T05:32:34.804+00:00"},
        None,
        "2.4.8 stored is validated then overwritten",
    ),
    case({"stored": "2013-13-18T05:32:34Z"}, "stored", "2.4.8.s3.b2 invalid stored"),
    # version (XAPI-00101).
    case({"version": "1.0.0"}, None, "2.4.10 version 1.0.0"),
    case({"version": "1.0.3"}, None, "2.4.10 version 1.0.3"),
    case({"version": "1.0"}, None, "XAPI-00101 version 1.0"),
    case({"version": "1.0.99"}, None, "2.4.10.s3.b1 any 1.0.x"),
    case({"version": "0.95"}, "version", "2.4.10.s3.b2 version 0.95"),
    case({"version": "1.1.0"}, "version", "2.4.10.s3.b2 version 1.1.0"),
    case({"version": "2.0.0"}, "version", "2.4.10.s3.b2 version 2.0.0 with a 1.0 header"),
    case({"version": "1.0.x"}, "version", "XAPI-00101 literal x"),
    case({"version": "1.0."}, "version", "XAPI-00101 trailing dot"),
    case({"version": "v1.0.0"}, "version", "XAPI-00101 v prefix"),
    case({"version": 1.0}, "version", "XAPI-00101 number"),
]


@pytest.mark.parametrize(("changes", "error"), STATEMENT_CASES)
def test_statement_property_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)


V2_STATEMENT_CASES = [
    case({"version": "2.0.0"}, None, "2.0 statement version 2.0.0"),
    case({"version": "1.0.0"}, None, "2.0 LRS still accepts 1.0.0 statements"),
    case({"version": "2.1.0"}, "version", "2.0 version 2.1.0"),
    case({"timestamp": "2008-09-15 15:53:00.601+00:00"}, None, "2.0 RFC 3339 space separator"),
    case({"timestamp": "2008-09-15T15:53:00.601-00"}, "timestamp", "2.0 -00 offset"),
    case({"timestamp": "2008-09-15T15:53:00.601-0000"}, "timestamp", "2.0 -0000 offset"),
    case({"timestamp": "2008-09-15T15:53:00.601-00:00"}, "timestamp", "2.0 -00:00 offset"),
    case({"result": {"duration": "P4W1D"}}, "result.duration", "2.0 weeks do not combine"),
]


@pytest.mark.parametrize(("changes", "error"), V2_STATEMENT_CASES)
def test_xapi_2_statement_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error, version="2.0.0")


def test_space_separated_timestamp_needs_xapi_2() -> None:
    stmt = patched(STATEMENT, {"timestamp": "2008-09-15 15:53:00.601+00:00"})
    assert_verdict(stmt, "timestamp", version="1.0.3")


# --- batches (Communication 2.1.2) -------------------------------------------------------------


def _statement(index: int) -> dict[str, Any]:
    return patched(STATEMENT, {"id": f"fd41c918-b88b-4b20-a0a5-a4c32391a{index:03d}"})


def test_single_statement_body_becomes_a_list() -> None:
    stmt = _statement(1)
    assert validate_statements(stmt) == [stmt]


def test_batch_is_returned_as_given() -> None:
    batch = [_statement(1), _statement(2), without(STATEMENT, "id")]
    assert validate_statements(batch) is batch


BATCH_CASES = [
    pytest.param([], "statements", id="2.1.2 empty array"),
    pytest.param("statement", "statements", id="2.1.2 string body"),
    pytest.param(None, "statements", id="2.1.2 null body"),
    pytest.param([_statement(1), "x"], "[1]", id="2.1.2 string in batch"),
    pytest.param(
        [_statement(1), patched(STATEMENT, {"verb.id": "x"})],
        "[1].verb.id",
        id="3.2.s3.b9 one bad statement rejects the batch",
    ),
    pytest.param(
        [patched(STATEMENT, {"actor.mbox": "x"}), _statement(2)],
        "[0].actor.mbox",
        id="3.2.s3.b9 first statement bad",
    ),
    pytest.param(
        [_statement(1), _statement(2), _statement(1)],
        "[2].id",
        id="2.1.2.s2.b6 duplicate id in batch",
    ),
    pytest.param(
        [_statement(1), patched(_statement(1), {"id": _statement(1)["id"].upper()})],
        "[1].id",
        id="2.1.2.s2.b6 duplicate id differing in case",
    ),
    pytest.param([[_statement(1)]], "[0]", id="2.1.2 nested array"),
]


@pytest.mark.parametrize(("payload", "error"), BATCH_CASES)
def test_batch_rules(payload: Any, error: str) -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_statements(payload)
    assert caught.value.path == error


def test_batch_error_names_the_statement_and_property() -> None:
    batch = [_statement(1), _statement(2), _statement(3), patched(STATEMENT, {"verb.id": "x"})]
    with pytest.raises(XapiValidationError) as caught:
        validate_statements(batch)
    assert str(caught.value) == '[3].verb.id: "x" is not an absolute IRI'


def test_path_prefix_is_applied_to_a_single_statement() -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_statement(patched(STATEMENT, {"verb.id": "x"}), path="[7]")
    assert caught.value.path == "[7].verb.id"


def test_error_survives_pickling() -> None:
    """Errors may cross process boundaries (job queue, logging handlers)."""
    import pickle

    data = pickle.dumps(XapiValidationError("actor.mbox", "is wrong"))
    error = pickle.loads(data)  # noqa: S301 - our own bytes, made one line above
    assert (error.path, error.message, str(error)) == (
        "actor.mbox",
        "is wrong",
        "actor.mbox: is wrong",
    )
