"""Data 4.2 Language Maps and RFC 5646 language tags (XAPI-00013, XAPI-00121).

Tags are checked in a Verb display map, so each case also proves the map reports the key.
"""

from __future__ import annotations

import pytest

from tests.xapi.validation.support import STATEMENT, assert_verdict, patched

VALID_TAGS = [
    # Simple language subtags (RFC 5646 Appendix A) and the programme's own languages.
    "vi",
    "vi-VN",
    "en",
    "en-US",
    "en-GB",
    "de",
    "de-DE",
    "fr",
    "es-MX",
    "es-419",
    "ja",
    "tlh",
    "ine",
    "und",
    "mul",
    "zxx",
    "qaa",
    # Case does not matter.
    "EN-us",
    "Vi-vn",
    # Script and region.
    "zh-Hant",
    "zh-Hans-CN",
    "zh-Hant-TW",
    "sr-Latn",
    "sr-Cyrl",
    "sr-Latn-RS",
    # Extended language subtags.
    "zh-cmn-Hans-CN",
    "zh-yue-HK",
    "zh-cmn",
    # Variants.
    "sl-rozaj",
    "sl-rozaj-biske",
    "sl-nedis",
    "de-CH-1901",
    "sl-IT-nedis",
    "hy-Latn-IT-arevela",
    "de-DE-1996",
    # Extensions and private use.
    "de-DE-u-co-phonebk",
    "en-US-u-islamcal",
    "zh-CN-a-myext-x-private",
    "en-a-myext-b-another",
    "en-US-x-twain",
    "az-Arab-x-AZE-derbend",
    "x-whatever",
    "qaa-Qaaa-QM-x-southern",
    "de-Qaaa",
    "sr-Latn-QM",
    "sr-Qaaa-RS",
    # Grandfathered tags (RFC 5646 2.2.8).
    "i-klingon",
    "i-enochian",
    "i-default",
    "en-GB-oed",
    "sgn-BE-FR",
    "art-lojban",
    "zh-min-nan",
    "no-bok",
]

INVALID_TAGS = [
    "",
    "en_US",
    "vi_VN",
    "english",
    "Vietnamese",
    "e",
    "a-DE",
    "de-419-DE",
    "ar-a-aaa-b-bbb-a-ccc",
    "de-DE-1901-1901",
    "en-",
    "-en",
    "en--US",
    "en-US-",
    "en US",
    "en.US",
    "123",
    "x",
    "x-",
    "x-toolongsubtag",
    "en-a",
    "en-a-b",
    "en-x",
    "zh-cmn-yue-nan-min",
    "en-Latn-Latn",
    "en-US-GB",
    "en-abcdefghi",
    "tiếng-việt",
    "i-unknown",
    "supercalifragilisticexpialidociouswhatabouthhhhhhh",
]


@pytest.mark.parametrize("tag", VALID_TAGS)
def test_valid_language_tag(tag: str) -> None:
    assert_verdict(patched(STATEMENT, {"verb.display": {tag: "completed"}}), None)


@pytest.mark.parametrize("tag", INVALID_TAGS)
def test_invalid_language_tag(tag: str) -> None:
    stmt = patched(STATEMENT, {"verb": {"id": STATEMENT["verb"]["id"], "display": {tag: "x"}}})
    assert_verdict(stmt, f'verb.display["{tag}"]')


@pytest.mark.parametrize("tag", ["vi-VN", "i-klingon", "zh-Hant-TW"])
def test_valid_tag_as_context_language(tag: str) -> None:
    """XAPI-00091: context.language uses the same tag rules as map keys."""
    assert_verdict(patched(STATEMENT, {"context": {"language": tag}}), None)


@pytest.mark.parametrize("tag", ["vi_VN", "english", "de-419-DE"])
def test_invalid_tag_as_context_language(tag: str) -> None:
    assert_verdict(patched(STATEMENT, {"context": {"language": tag}}), "context.language")


MAP_CASES = [
    pytest.param({"en-US": "completed", "vi-VN": "đã hoàn thành"}, None, id="4.2 two languages"),
    pytest.param({"en": ""}, None, id="4.2 empty string value"),
    pytest.param({}, "verb.display", id="XAPI-00001 empty map"),
    pytest.param({"en": None}, 'verb.display["en"]', id="XAPI-00001 null value"),
    pytest.param({"en": 1}, 'verb.display["en"]', id="XAPI-00121 number value"),
    pytest.param({"en": ["completed"]}, 'verb.display["en"]', id="XAPI-00121 array value"),
    pytest.param(
        {"en": "ok", "en_GB": "ok"}, 'verb.display["en_GB"]', id="XAPI-00121 second key bad"
    ),
    pytest.param(["en", "completed"], "verb.display", id="XAPI-00121 array map"),
]


@pytest.mark.parametrize(("display", "error"), MAP_CASES)
def test_language_map_rules(display: object, error: str | None) -> None:
    assert_verdict(patched(STATEMENT, {"verb.display": display}), error)
