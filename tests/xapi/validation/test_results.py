"""Data 2.4.5 Result and 2.4.5.1 Score (XAPI-00074 .. XAPI-00083)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.xapi.validation.support import RESULT, STATEMENT, assert_verdict, case, patched


def _score(**score: Any) -> dict[str, Any]:
    return {"result": {"score": score}}


RESULT_CASES = [
    case({"result": RESULT}, None, "2.4.5 full result"),
    case(
        {
            "result": {
                "score": {"scaled": 0.95},
                "success": True,
                "completion": True,
                "duration": "PT1234S",
            }
        },
        None,
        "Appendix A completion example",
    ),
    case({"result": {"response": ""}}, None, "XAPI-00076 empty response is a string"),
    case({"result": {"response": "Ổn định"}}, None, "XAPI-00076 Unicode response"),
    case({"result": {"response": 42}}, "result.response", "XAPI-00076 response number"),
    case({"result": {"response": ["a"]}}, "result.response", "XAPI-00076 response array"),
    case({"result": {"success": False}}, None, "XAPI-00074 success false"),
    case({"result": {"success": "true"}}, "result.success", "XAPI-00074 success string"),
    case({"result": {"success": 1}}, "result.success", "XAPI-00074 success number"),
    case({"result": {"completion": "yes"}}, "result.completion", "XAPI-00075 completion string"),
    case({"result": {"completion": None}}, "result.completion", "XAPI-00001 completion null"),
    case({"result": {"duration": "PT4H35M59.14S"}}, None, "4.6.s2 duration example"),
    case({"result": {"duration": "PA1H0M0S"}}, "result.duration", "XAPI-00077 invalid duration"),
    case({"result": {"duration": 12345}}, "result.duration", "XAPI-00077 duration number"),
    case(
        {"result": {"duration": {"key": "invalid"}}},
        "result.duration",
        "XAPI-00077 duration object",
    ),
    case(
        {
            "result": {
                "extensions": {
                    "http://example.com/profiles/meetings/resultextensions/minutes": "X:\\meetings"
                }
            }
        },
        None,
        "Appendix A result extensions",
    ),
    case({"result": {"extensions": "none"}}, "result.extensions", "XAPI-00078 extensions string"),
    case(
        {"result": {"extensions": {"minuteslocation": 1}}},
        'result.extensions["minuteslocation"]',
        "XAPI-00078 extension key not IRI",
    ),
    case({"result": {"Score": {"scaled": 1}}}, "result.Score", "XAPI-00008 Score"),
    case({"result": {"score": 0.5}}, "result.score", "XAPI-00079 score number"),
    case({"result": {"score": "80%"}}, "result.score", "XAPI-00079 score string"),
    # scaled (XAPI-00083).
    case(_score(scaled=1), None, "XAPI-00083 scaled 1"),
    case(_score(scaled=-1), None, "XAPI-00083 scaled -1"),
    case(_score(scaled=0), None, "XAPI-00083 scaled 0"),
    case(_score(scaled=0.123456789), None, "XAPI-00083 scaled decimal"),
    case(_score(scaled=1.01), "result.score.scaled", "XAPI-00083 scaled above 1"),
    case(_score(scaled=-1.5), "result.score.scaled", "XAPI-00083 scaled below -1"),
    case(_score(scaled=100), "result.score.scaled", "XAPI-00083 scaled as a percentage"),
    case(_score(scaled="0.5"), "result.score.scaled", "XAPI-00083 scaled string"),
    case(_score(scaled=None), "result.score.scaled", "XAPI-00001 scaled null"),
    case(_score(scaled=float("nan")), "result.score.scaled", "XAPI-00083 scaled NaN"),
    case(_score(raw=float("inf")), "result.score.raw", "XAPI-00082 raw 1e400 parsed as infinity"),
    case(_score(raw=10**30, max=10**31), None, "2.2.s4.b3 numbers beyond 64 bits"),
    # raw, min, max (XAPI-00080 .. XAPI-00082).
    case(_score(raw=8, min=0, max=10), None, "XAPI-00082 raw between min and max"),
    case(_score(raw=0, min=0, max=10), None, "XAPI-00082 raw equal to min"),
    case(_score(raw=10, min=0, max=10), None, "XAPI-00082 raw equal to max"),
    case(_score(raw=-5, min=-10, max=0), None, "XAPI-00082 negative bounds"),
    case(_score(raw=1234.5), None, "XAPI-00082 raw without bounds is unrestricted"),
    case(_score(raw=11, min=0, max=10), "result.score.raw", "XAPI-00082 raw above max"),
    case(_score(raw=-1, min=0, max=10), "result.score.raw", "XAPI-00082 raw below min"),
    case(_score(raw=11, max=10), "result.score.raw", "XAPI-00082 raw above max without min"),
    case(_score(raw=-1, min=0), "result.score.raw", "XAPI-00082 raw below min without max"),
    case(_score(raw="8"), "result.score.raw", "XAPI-00082 raw string"),
    case(_score(min=0, max=10), None, "XAPI-00080 min below max"),
    case(_score(min=5), None, "XAPI-00081 min alone"),
    case(_score(max=-5), None, "XAPI-00080 max alone"),
    case(_score(min=10, max=0), "result.score.max", "XAPI-00080 max below min"),
    case(_score(min=5, max=5), "result.score.max", "XAPI-00080 max equal to min"),
    case(_score(min="0", max=10), "result.score.min", "XAPI-00081 min string"),
    case(_score(min=0, max="100"), "result.score.max", "XAPI-00006 max numeric string"),
    case(_score(min=0, max=False), "result.score.max", "XAPI-00006 max boolean"),
    case(_score(percent=80), "result.score.percent", "XAPI-00010 unknown score property"),
]


@pytest.mark.parametrize(("changes", "error"), RESULT_CASES)
def test_result_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)
