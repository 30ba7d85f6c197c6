"""Data 4.4 UUIDs (XAPI-00027 .. XAPI-00030) in statements and as query parameters."""

from __future__ import annotations

import uuid

import pytest

from lms.xapi.validation import XapiValidationError, validate_uuid
from tests.xapi.validation.support import STATEMENT, STATEMENT_REF, assert_verdict, patched

VALID = [
    "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "FD41C918-B88B-4B20-A0A5-A4C32391AAA0",
    "Fd41c918-B88b-4b20-a0A5-a4c32391aaA0",
    "12345678-1234-5678-1234-567812345678",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    str(uuid.uuid1()),
    str(uuid.uuid3(uuid.NAMESPACE_URL, "https://lms.example.vn")),
    str(uuid.uuid4()),
    str(uuid.uuid5(uuid.NAMESPACE_URL, "https://lms.example.vn")),
    "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
    "9e13cefd-53d3-4eac-d5ed-2cf6693903bb",
]

INVALID = [
    "",
    "AA97B177-9383-4934-8543-0F91A7A028368",
    "MA97B177-9383-4934-8543-0F91A7A02836",
    "fd41c918-b88b-4b20-a0a5-a4c32391aaa",
    "fd41c918b88b4b20a0a5a4c32391aaa0",
    "fd41c918-b88b4b20-a0a5-a4c32391aaa0",
    "fd41c918_b88b_4b20_a0a5_a4c32391aaa0",
    "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}",
    "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n",
    "g d41c918-b88b-4b20-a0a5-a4c32391aaa0",
]


PLACES = {
    "id": lambda value: {"id": value},
    "context.registration": lambda value: {"context": {"registration": value}},
    "object.id": lambda value: {"object": {**STATEMENT_REF, "id": value}},
    "context.statement.id": lambda value: {
        "context": {"statement": {**STATEMENT_REF, "id": value}}
    },
}


@pytest.mark.parametrize("value", VALID)
def test_valid_uuid(value: str) -> None:
    assert validate_uuid(value, path="statementId") == value.lower()
    for place in PLACES.values():
        assert_verdict(patched(STATEMENT, place(value)), None)


@pytest.mark.parametrize("value", INVALID)
def test_invalid_uuid(value: str) -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_uuid(value, path="registration")
    assert caught.value.path == "registration"
    for where, place in PLACES.items():
        assert_verdict(patched(STATEMENT, place(value)), where)


@pytest.mark.parametrize(
    "value", [12345, None, {"key": "x"}, ["fd41c918-b88b-4b20-a0a5-a4c32391aaa0"]]
)
def test_uuid_must_be_a_string(value: object) -> None:
    with pytest.raises(XapiValidationError, match=r"^voidedStatementId: "):
        validate_uuid(value, path="voidedStatementId")
