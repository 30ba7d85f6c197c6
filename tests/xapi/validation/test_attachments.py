"""Data 2.4.11 Attachments (XAPI-00025, XAPI-00102 .. XAPI-00107)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.xapi.validation.support import (
    ATTACHMENT,
    MISSING,
    STATEMENT,
    assert_verdict,
    case,
    patched,
)


def _attachment(**changes: Any) -> dict[str, Any]:
    return {"attachments": [{**ATTACHMENT, **changes}]}


ATTACHMENT_CASES = [
    case(_attachment(), None, "Appendix D signature attachment"),
    case(
        _attachment(
            fileUrl="http://over.there.com/file.txt", contentType="text/plain; charset=ascii"
        ),
        None,
        "1.5.2 attachment with fileUrl",
    ),
    case(_attachment(description=MISSING), None, "2.4.11 description optional"),
    case({"attachments": []}, None, "2.4.11 empty array"),
    case(
        {
            "attachments": [
                ATTACHMENT,
                _attachment(usageType="http://example.com/attachment-usage/test")["attachments"][0],
            ]
        },
        None,
        "2.4.11 two attachments",
    ),
    case({"attachments": ATTACHMENT}, "attachments", "XAPI-00025 object instead of array"),
    case({"attachments": ["cert.pdf"]}, "attachments[0]", "XAPI-00025 string item"),
    case({"attachments": [{}]}, "attachments[0]", "XAPI-00001 empty attachment"),
    case(
        _attachment(usageType=MISSING), "attachments[0].usageType", "XAPI-00107 usageType missing"
    ),
    case(
        _attachment(usageType="signature"),
        "attachments[0].usageType",
        "XAPI-00107 usageType not IRI",
    ),
    case(_attachment(display=MISSING), "attachments[0].display", "XAPI-00106 display missing"),
    case(_attachment(display="Signature"), "attachments[0].display", "XAPI-00106 display string"),
    case(
        _attachment(display={"en-US": "A test attachment", "de-419-DE": "Ein Testbefestigung"}),
        'attachments[0].display["de-419-DE"]',
        "XAPI-00013 display bad tag",
    ),
    case(
        _attachment(description={"de-419-DE": "x"}),
        'attachments[0].description["de-419-DE"]',
        "XAPI-00013 description bad tag",
    ),
    case(
        _attachment(contentType=MISSING),
        "attachments[0].contentType",
        "XAPI-00105 contentType missing",
    ),
    case(
        _attachment(contentType="pdf"),
        "attachments[0].contentType",
        "XAPI-00105 contentType without subtype",
    ),
    case(_attachment(contentType="application/pdf"), None, "XAPI-00105 application/pdf"),
    case(_attachment(contentType="image/svg+xml"), None, "XAPI-00105 structured suffix"),
    case(
        _attachment(contentType='multipart/mixed; boundary="abc def"'),
        None,
        "XAPI-00105 quoted parameter",
    ),
    case(
        _attachment(contentType="text/plain;"),
        "attachments[0].contentType",
        "XAPI-00105 dangling semicolon",
    ),
    case(
        _attachment(contentType="text /plain"),
        "attachments[0].contentType",
        "XAPI-00105 space in type",
    ),
    case(_attachment(contentType=""), "attachments[0].contentType", "XAPI-00105 empty"),
    case(
        _attachment(contentType=["application/pdf"]),
        "attachments[0].contentType",
        "XAPI-00105 array",
    ),
    case(_attachment(length=MISSING), "attachments[0].length", "XAPI-00102 length missing"),
    case(_attachment(length=0), None, "XAPI-00102 length zero"),
    case(_attachment(length="4235"), "attachments[0].length", "XAPI-00102 length string"),
    case(_attachment(length=42.5), "attachments[0].length", "XAPI-00102 length fraction"),
    case(_attachment(length=-1), "attachments[0].length", "XAPI-00102 length negative"),
    case(_attachment(length=True), "attachments[0].length", "XAPI-00102 length boolean"),
    case(_attachment(sha2=MISSING), "attachments[0].sha2", "XAPI-00103 sha2 missing"),
    case(
        _attachment(sha2="672FA5FA658017F1B72D65036F13379C6AB05D4AB3B6664908D8ACF0B6A0C634"),
        None,
        "XAPI-00103 uppercase SHA-256",
    ),
    case(_attachment(sha2="a" * 56), None, "XAPI-00103 SHA-224"),
    case(_attachment(sha2="b" * 96), None, "XAPI-00103 SHA-384"),
    case(_attachment(sha2="c" * 128), None, "XAPI-00103 SHA-512"),
    case(_attachment(sha2="d" * 40), "attachments[0].sha2", "XAPI-00103 SHA-1 length"),
    case(_attachment(sha2="g" * 64), "attachments[0].sha2", "XAPI-00103 not hex"),
    case(_attachment(sha2=""), "attachments[0].sha2", "XAPI-00103 empty"),
    case(_attachment(sha2=123), "attachments[0].sha2", "XAPI-00103 number"),
    case(_attachment(fileUrl="file.txt"), "attachments[0].fileUrl", "XAPI-00104 relative fileUrl"),
    case(
        _attachment(fileUrl="http://over.there.com/my file.txt"),
        "attachments[0].fileUrl",
        "XAPI-00104 space in fileUrl",
    ),
    case(_attachment(fileUrl=None), "attachments[0].fileUrl", "XAPI-00001 null fileUrl"),
    case(
        _attachment(fileURL="http://over.there.com/file.txt"),
        "attachments[0].fileURL",
        "XAPI-00008 fileURL",
    ),
    case(_attachment(data="SGVsbG8="), "attachments[0].data", "XAPI-00010 inline data"),
]


@pytest.mark.parametrize(("changes", "error"), ATTACHMENT_CASES)
def test_attachment_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)
