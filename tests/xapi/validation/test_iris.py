"""Data 4.3 IRIs, About 4.0 IRI/IRL definitions, Data 2.2.s4.b1.b8 (XAPI-00007, XAPI-00011).

IRIs are checked as Verb ids (any IRI) and IRLs as ``moreInfo`` (an IRI that locates).
"""

from __future__ import annotations

import pytest

from tests.xapi.validation.support import STATEMENT, assert_verdict, patched

VALID_IRIS = [
    "http://adlnet.gov/expapi/verbs/completed",
    "https://lms.example.vn/xapi/verbs/đã-học",
    "http://example.com/فعل/خواندن",
    "http://example.com/xapi/verbs#defenestrated",
    "http://example.com/path?query=1&b=2",
    "http://example.com/%E1%BB%87",
    "HTTP://EXAMPLE.COM/UPPER",
    "urn:uuid:9e13cefd-53d3-4eac-b5ed-2cf6693903bb",
    "urn:isbn:0451450523",
    "tag:lms.example.vn,2025:verbs/attended",
    "mailto:an@example.vn",
    "ftp://files.example.vn/a.txt",
    "x-custom+scheme.v1://host/p",
    "http://[2001:db8::1]/verbs/x",
    "http://example.com:8080/verbs/x",
    "http://user@example.com/verbs/x",
    "https://lms.example.vn/verbs/x/",
]

INVALID_IRIS = [
    "",
    "completed",
    "/expapi/verbs/completed",
    "//adlnet.gov/expapi/verbs/completed",
    "adlnet.gov/expapi/verbs/completed",
    "#completed",
    "http://example.com/a b",
    "http://example.com/a\tb",
    "http://example.com/a\nb",
    " http://example.com/a",
    "http://example.com/a ",
    "http://example.com/\u00a0nbsp",
    "http://example.com/<tag>",
    'http://example.com/"quoted"',
    "http://example.com/{braces}",
    "http://example.com/a|b",
    "http://example.com/a\\b",
    "http://example.com/a^b",
    "http://example.com/a`b",
    "http://example.com/%zz",
    "http://example.com/%4",
    "http://example.com/a#b#c",
    "ab=c://should.fail.com",
    "1http://example.com",
    "-x://example.com",
    ":missing-scheme",
    "http:",
]


@pytest.mark.parametrize("iri", VALID_IRIS)
def test_valid_iri(iri: str) -> None:
    assert_verdict(patched(STATEMENT, {"verb.id": iri}), None)


@pytest.mark.parametrize("iri", INVALID_IRIS)
def test_invalid_iri(iri: str) -> None:
    assert_verdict(patched(STATEMENT, {"verb.id": iri}), "verb.id")


VALID_IRLS = [
    "http://virtualmeeting.example.com/345256",
    "https://lms.example.vn/courses/kỹ-năng-số",
    "http://localhost:5000/",
    "http://127.0.0.1/x",
    "file:///srv/lms/file.txt",
    "ftp://files.example.vn/a.txt",
]

INVALID_IRLS = [
    "urn:isbn:0451450523",
    "mailto:an@example.vn",
    "http:/example.com/x",
    "http://",
    "http:///path",
    "http://?q=1",
    "courses/1",
    "www.example.com",
]


@pytest.mark.parametrize("irl", VALID_IRLS)
def test_valid_irl(irl: str) -> None:
    assert_verdict(patched(STATEMENT, {"object.definition.moreInfo": irl}), None)


@pytest.mark.parametrize("irl", INVALID_IRLS)
def test_invalid_irl(irl: str) -> None:
    assert_verdict(
        patched(STATEMENT, {"object.definition.moreInfo": irl}), "object.definition.moreInfo"
    )


@pytest.mark.parametrize("where", ["verb.id", "object.id", "object.definition.type"])
@pytest.mark.parametrize("value", [42, None, ["http://a.b"], {"id": "http://a.b"}, True])
def test_iri_must_be_a_string(where: str, value: object) -> None:
    assert_verdict(patched(STATEMENT, {where: value}), where)
