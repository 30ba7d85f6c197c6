"""GET /xapi/statements: single statements, filters, pages, formats, headers."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import orjson

from tests.xapi.conftest import Lrs, new_id, statement

COURSE = "https://lms146.example.vn/courses/an-toan-thong-tin"
LESSON = COURSE + "/lessons/bai-1"
HOA = {"objectType": "Agent", "mbox": "mailto:hoa@example.vn"}
KHOA = {"objectType": "Agent", "account": {"homePage": "https://lms146.example.vn", "name": "7"}}
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


def _activity(iri: str) -> dict:
    return {"objectType": "Activity", "id": iri}


def test_get_by_statement_id_and_404(lrs: Lrs) -> None:
    """Communication 2.1.3: statementId returns one Statement; 3.2.s2.b4: 404 when unknown."""
    (statement_id,) = lrs.post(statement()).json
    response = lrs.get(params={"statementId": statement_id})
    assert response.status_code == 200
    assert response.json["id"] == statement_id
    assert response.headers["Content-Type"] == "application/json"
    assert lrs.get(params={"statementId": new_id()}).status_code == 404


def test_single_statement_has_last_modified_and_consistent_through(lrs: Lrs) -> None:
    """Communication 2.1.3.s2.b5 (Consistent-Through on every response) and s2.b8."""
    (statement_id,) = lrs.post(statement()).json
    response = lrs.get(params={"statementId": statement_id})
    stored = datetime.fromisoformat(response.json["stored"].replace("Z", "+00:00"))
    assert response.headers["Last-Modified"] == stored.strftime("%a, %d %b %Y %H:%M:%S GMT")
    through = response.headers["X-Experience-API-Consistent-Through"]
    assert datetime.fromisoformat(through.replace("Z", "+00:00")) >= stored - timedelta(seconds=1)
    # Also on writes and on errors of the Statement resource.
    assert "X-Experience-API-Consistent-Through" in lrs.post(statement()).headers
    assert "X-Experience-API-Consistent-Through" in lrs.get(params={"statementId": "nope"}).headers


def test_statement_id_with_other_parameters_is_400(lrs: Lrs) -> None:
    """Communication 2.1.3.s2.b1-b2: not both ids; no filter besides format/attachments."""
    (statement_id,) = lrs.post(statement()).json
    both = {"statementId": statement_id, "voidedStatementId": statement_id}
    assert lrs.get(params=both).status_code == 400
    assert lrs.get(params={"statementId": statement_id, "limit": "1"}).status_code == 400
    ok = {"statementId": statement_id, "format": "ids", "attachments": "false"}
    assert lrs.get(params=ok).status_code == 200


def test_empty_result_is_200_with_empty_list(lrs: Lrs) -> None:
    """Communication 2.1.3.s2.b4: no match is still 200 and a StatementResult."""
    result = lrs.query(verb="https://example.com/verbs/never-used")
    assert result == {"statements": [], "more": ""}


def test_agent_filter_matches_actor_object_and_group_members(lrs: Lrs) -> None:
    """Communication 2.1.3 ``agent``: actor or object, and Groups having it as a member."""
    as_actor = lrs.post(statement(actor=HOA)).json[0]
    as_object = lrs.post(statement(actor=KHOA, object=HOA)).json[0]
    group = {"objectType": "Group", "name": "Tổ CNS", "member": [KHOA, HOA]}
    as_member = lrs.post(statement(actor=group)).json[0]
    as_instructor = lrs.post(statement(actor=KHOA, context={"instructor": HOA})).json[0]
    found = lrs.ids(agent=HOA)
    assert set(found) >= {as_actor, as_object, as_member}
    assert as_instructor not in found
    assert as_instructor in lrs.ids(agent=HOA, related_agents="true")


def test_related_agents_include_authority_and_sub_statement(lrs: Lrs) -> None:
    """Communication 2.1.3 ``related_agents``: authority, team, sub-statement agents too."""
    sub = {
        "objectType": "SubStatement",
        "actor": HOA,
        "verb": {"id": "https://example.com/verbs/will-attend"},
        "object": _activity(COURSE),
    }
    planned = lrs.post(statement(actor=KHOA, object=sub)).json[0]
    assert planned not in lrs.ids(agent=HOA)
    assert planned in lrs.ids(agent=HOA, related_agents="true")
    authority = lrs.get(params={"statementId": planned}).json["authority"]
    assert planned in lrs.ids(agent=authority, related_agents="true")


def test_verb_activity_and_registration_filters(lrs: Lrs) -> None:
    """Communication 2.1.3 ``verb``, ``activity`` (the object) and ``registration``."""
    registration = new_id()
    wanted = lrs.post(
        statement(
            verb={"id": COMPLETED},
            object=_activity(COURSE),
            context={"registration": registration},
        )
    ).json[0]
    lrs.post(statement(verb={"id": COMPLETED}, object=_activity(LESSON)))
    lrs.post(statement(object=_activity(COURSE)))
    assert lrs.ids(verb=COMPLETED, activity=COURSE) == [wanted]
    assert lrs.ids(registration=registration) == [wanted]
    assert lrs.ids(registration=registration.upper()) == [wanted]


def test_related_activities_include_context_and_sub_statement(lrs: Lrs) -> None:
    """Communication 2.1.3 ``related_activities``: context activities and sub-statement."""
    in_context = lrs.post(
        statement(
            object=_activity(LESSON),
            context={"contextActivities": {"grouping": [_activity(COURSE)]}},
        )
    ).json[0]
    sub = {
        "objectType": "SubStatement",
        "actor": HOA,
        "verb": {"id": COMPLETED},
        "object": _activity(COURSE),
    }
    in_sub = lrs.post(statement(object=sub)).json[0]
    direct = lrs.post(statement(object=_activity(COURSE))).json[0]
    assert lrs.ids(activity=COURSE) == [direct]
    assert lrs.ids(activity=COURSE, related_activities="true") == [direct, in_sub, in_context]


def test_results_are_newest_first_unless_ascending(lrs: Lrs) -> None:
    """Communication 2.1.3: reverse order of stored; ``ascending=true`` oldest first."""
    verb = f"https://example.com/verbs/{new_id()}"
    ids = [lrs.post(statement(verb={"id": verb})).json[0] for _ in range(3)]
    assert lrs.ids(verb=verb) == ids[::-1]
    assert lrs.ids(verb=verb, ascending="true") == ids


def test_since_and_until_bound_stored(lrs: Lrs) -> None:
    """Communication 2.1.3: since is exclusive, until inclusive, both on ``stored``."""
    verb = f"https://example.com/verbs/{new_id()}"
    first = lrs.post(statement(verb={"id": verb})).json[0]
    stored = lrs.get(params={"statementId": first}).json["stored"]
    time.sleep(0.01)
    second = lrs.post(statement(verb={"id": verb})).json[0]
    assert lrs.ids(verb=verb, since=stored) == [second]
    assert lrs.ids(verb=verb, until=stored) == [first]
    assert lrs.ids(since=stored, until=stored) == []


def test_limit_and_more_walk_every_page_once(lrs: Lrs) -> None:
    """Communication 2.1.3 ``limit`` and Data 2.5 ``more``: pages cover all, no repeats."""
    verb = f"https://example.com/verbs/{new_id()}"
    ids = lrs.post([statement(verb={"id": verb}) for _ in range(7)]).json
    result = lrs.query(verb=verb, limit="3")
    seen = [s["id"] for s in result["statements"]]
    pages = 1
    while result["more"]:
        assert result["more"].startswith("/xapi/statements?")
        response = lrs.client.get(result["more"], headers=lrs.h())
        assert response.status_code == 200
        result = response.json
        seen += [s["id"] for s in result["statements"]]
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_more_link_keeps_its_place_while_statements_arrive(lrs: Lrs) -> None:
    """Data 2.5.s3.b4: the next page is what it would have been; new ones go on top."""
    verb = f"https://example.com/verbs/{new_id()}"
    old = [lrs.post(statement(verb={"id": verb})).json[0] for _ in range(4)]
    first = lrs.query(verb=verb, limit="2")
    assert [s["id"] for s in first["statements"]] == [old[3], old[2]]
    lrs.post([statement(verb={"id": verb}) for _ in range(3)])
    second = lrs.client.get(first["more"], headers=lrs.h()).json
    assert [s["id"] for s in second["statements"]] == [old[1], old[0]]


def test_more_token_is_checked(lrs: Lrs) -> None:
    """A forged or damaged continuation is a 400, never a 500."""
    assert lrs.get(params={"more": "not-a-token"}).status_code == 400
    assert lrs.get(params={"more": "eyJ4IjoxfQ"}).status_code == 400


def _forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def test_a_more_token_this_lrs_did_not_make_is_400(lrs: Lrs) -> None:
    """A continuation decoded to a filter and a cursor that no validation saw: a verb that is
    a number, an agent that is a list, a date or a sequence past any range answered 500, and
    any other forged filter (``ascending: "yes"``) was obeyed. Only links the LRS signed are
    followed."""
    verb = f"https://example.com/verbs/{new_id()}"
    lrs.post([statement(verb={"id": verb}) for _ in range(3)])
    link = lrs.query(verb=verb, limit="1")["more"]
    assert lrs.client.get(link, headers=lrs.h()).status_code == 200
    cursor = [1_800_000_000_000_000, 1]
    for payload in (
        {"f": {"verb": 5}, "o": {}, "c": cursor},
        {"f": {"agent": ["x"]}, "o": {}, "c": cursor},
        {"f": {"limit": "abc"}, "o": {}, "c": cursor},
        {"f": {"since": 10**30}, "o": {}, "c": cursor},
        {"f": {}, "o": {}, "c": [10**30, 1]},
        {"f": {}, "o": {}, "c": [cursor[0], 10**30]},
        {"f": {"ascending": "yes"}, "o": {}, "c": cursor},
    ):
        response = lrs.get(params={"more": _forged(payload)})
        assert response.status_code == 400, (payload, response.status_code)
        assert response.json["message"] == "The more parameter is not a link this LRS gave."


def test_a_signed_more_token_is_still_checked(lrs: Lrs) -> None:
    """Signed with the LRS's own key (a token of an older release, or a leaked key), a token
    holding values of the wrong type or out of range (which the query parameters would have
    refused) is a 400 too, never a 500."""
    from lms.xapi.queries import _more_signature

    lrs.post(statement())

    def token(f: object, o: object = None, c: object = (0, 0)) -> str:
        payload = {"f": f, "o": {} if o is None else o, "c": list(c)}  # type: ignore[call-overload]
        body = _forged(payload)
        with lrs.client.application.app_context():
            return f"{body}.{_more_signature(body)}"

    forged = [
        token({"limit": "x"}),
        token({"agent": 5}),
        token({"agent": ["mbox:mailto:a@b.vn"]}),
        token({"verb": {"id": "http://x"}}),
        token({"registration": 7}),
        token({"ascending": "yes"}),
        token({"since": 10**20}),
        token({}, {"format": "bogus"}),
        token({}, {"attachments": "x"}),
        token({}, [], (0, 0)),
        token([], {}, (0, 0)),
        token({}, {}, (10**20, 0)),
        token({}, {}, (0, 10**20)),
        token({}, {}, (-(10**20), 0)),
    ]
    for more in forged:
        response = lrs.get(params={"more": more})
        assert response.status_code == 400, (
            base64.urlsafe_b64decode(more.partition(".")[0] + "=="),
            response,
        )
    # A token the LRS gave still works.
    for _ in range(2):
        lrs.post(statement())
    first = lrs.query(limit="1")
    assert lrs.client.get(first["more"], headers=lrs.h()).status_code == 200


def test_invalid_filter_values_are_400(lrs: Lrs) -> None:
    """Data 2.2.s4.b4: parameters are validated like the same values in statements."""
    for params in (
        {"agent": "{not json"},
        {"agent": '{"name": "no identifier"}'},
        {"verb": "not an iri"},
        {"registration": "123"},
        {"since": "yesterday"},
        {"limit": "-1"},
        {"limit": "²"},
        {"format": "full"},
        {"ascending": "yes"},
    ):
        response = lrs.get(params=params)
        assert response.status_code == 400, params
        assert response.json["message"]


def test_format_ids_and_canonical(lrs: Lrs) -> None:
    """Communication 2.1.3 ``format``; 2.1.3.s4: canonical gives one language per map."""
    (statement_id,) = lrs.post(
        statement(
            actor={"objectType": "Agent", "name": "Hoa", "mbox": "mailto:hoa@example.vn"},
            object={
                "id": COURSE,
                "definition": {"name": {"vi-VN": "An toàn thông tin", "en-US": "Security"}},
            },
        )
    ).json
    ids = lrs.get(params={"statementId": statement_id, "format": "ids"}).json
    assert ids["actor"] == {"objectType": "Agent", "mbox": "mailto:hoa@example.vn"}
    assert ids["verb"] == {"id": "http://adlnet.gov/expapi/verbs/experienced"}
    assert ids["object"] == {"id": COURSE}
    canonical = lrs.get(
        params={"statementId": statement_id, "format": "canonical"}, Accept_Language="en-US"
    ).json
    assert canonical["object"]["definition"]["name"] == {"en-US": "Security"}
    assert canonical["verb"]["display"] == {"en-US": "experienced"}
    assert canonical["actor"]["name"] == "Hoa"
    vi = lrs.query(format="canonical", verb="http://adlnet.gov/expapi/verbs/experienced")
    assert vi["statements"][0]["verb"]["display"] in ({"vi-VN": "đã học"}, {"en-US": "experienced"})


def test_canonical_format_uses_the_canonical_definition(lrs: Lrs) -> None:
    """Communication 2.1.3 ``canonical``: activities with the LRS's canonical definition."""
    lrs.post(statement(object={"id": LESSON, "definition": {"name": {"en-US": "Lesson one"}}}))
    (later,) = lrs.post(statement(object={"id": LESSON})).json
    exact = lrs.get(params={"statementId": later}).json
    assert "definition" not in exact["object"]
    canonical = lrs.get(params={"statementId": later, "format": "canonical"}).json
    assert canonical["object"]["definition"]["name"] == {"en-US": "Lesson one"}


def test_head_answers_like_get_without_a_body(lrs: Lrs) -> None:
    """Communication 1.1.s3.b1: HEAD is GET without the message body."""
    (statement_id,) = lrs.post(statement()).json
    response = lrs.client.head(
        "/xapi/statements", query_string={"statementId": statement_id}, headers=lrs.h()
    )
    assert response.status_code == 200
    assert response.data == b""
    assert "Last-Modified" in response.headers
    missing = lrs.client.head(
        "/xapi/statements", query_string={"statementId": new_id()}, headers=lrs.h()
    )
    assert missing.status_code == 404


def test_result_is_valid_json_with_unicode(lrs: Lrs) -> None:
    """Communication 1.4.s1.b1: UTF-8 throughout."""
    (statement_id,) = lrs.post(statement(result={"response": "Đồng ý — 同意"})).json
    raw = lrs.get(params={"statementId": statement_id}).data
    assert orjson.loads(raw)["result"]["response"] == "Đồng ý — 同意"


def test_last_modified_of_a_list_is_its_newest_statement(lrs: Lrs) -> None:
    """Communication 2.1.3.s2.b8 applied to a page: the newest ``stored`` in it."""
    verb = f"https://example.com/verbs/{new_id()}"
    lrs.post(statement(verb={"id": verb}))
    response = lrs.get(params={"verb": verb})
    stored = response.json["statements"][0]["stored"]
    expected = datetime.fromisoformat(stored.replace("Z", "+00:00")).astimezone(UTC)
    assert response.headers["Last-Modified"] == expected.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_format_ids_reduces_activities_inside_a_substatement_to_their_id(lrs: Lrs) -> None:
    """Communication 2.1.3 ``format=ids``: an Activity is its ``id`` alone, also the object and
    the context activities of a SubStatement (no objectType, no definition)."""
    sub = {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "mbox": "mailto:hoa@example.vn"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "x"}},
        "object": {
            "objectType": "Activity",
            "id": LESSON,
            "definition": {"name": {"vi-VN": "Bài 1"}},
        },
        "context": {"contextActivities": {"parent": {"objectType": "Activity", "id": COURSE}}},
    }
    (statement_id,) = lrs.post(
        statement(
            object=sub,
            context={"contextActivities": {"grouping": [{"objectType": "Activity", "id": COURSE}]}},
        )
    ).json
    ids = lrs.get(params={"statementId": statement_id, "format": "ids"}).json
    assert ids["object"]["objectType"] == "SubStatement"
    assert ids["object"]["object"] == {"id": LESSON}
    assert ids["object"]["verb"] == {"id": "http://adlnet.gov/expapi/verbs/attended"}
    assert ids["object"]["context"]["contextActivities"] == {"parent": [{"id": COURSE}]}
    assert ids["context"]["contextActivities"] == {"grouping": [{"id": COURSE}]}
    exact = lrs.get(params={"statementId": statement_id}).json
    assert exact["object"]["object"]["objectType"] == "Activity"
