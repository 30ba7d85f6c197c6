"""Writing statements: POST/PUT, what the LRS fills in, idempotency, batches, validation."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import func, select

from lms.xapi.keys import key_id
from lms.xapi.models import Statement, StatementKey
from lms.xapi.statements import key_values
from lms.xapi.validation import statement_index
from tests.xapi.conftest import Lrs, new_id, statement


def _count() -> int:
    from lms.extensions import db

    return db.session.scalar(select(func.count()).select_from(Statement)) or 0


def test_post_one_statement_returns_its_id_in_an_array(lrs: Lrs) -> None:
    """Communication 2.1.2: POST returns 200 and the array of ids (the LRS makes one, 2.4.1)."""
    response = lrs.post(statement())
    assert response.status_code == 200
    (statement_id,) = response.json
    stored = lrs.get(params={"statementId": statement_id}).json
    assert stored["id"] == statement_id


def test_post_batch_returns_ids_in_order(lrs: Lrs) -> None:
    """Communication 2.1.2: ids "in the same order as the corresponding stored Statements"."""
    given = [new_id(), None, new_id()]
    batch = [statement(id=i) if i else statement() for i in given]
    ids = lrs.post(batch).json
    assert len(ids) == 3
    assert ids[0] == given[0]
    assert ids[2] == given[2]


def test_lrs_fills_stored_timestamp_authority_and_version(lrs: Lrs) -> None:
    """Data 2.4.7.s3.b2, 2.4.8.s3.b2, 2.4.9.s3.b4, 2.4.10.s3.b3: set by the LRS."""
    sent = statement(stored="2001-01-01T00:00:00Z", authority={"mbox": "mailto:fake@example.vn"})
    (statement_id,) = lrs.post(sent).json
    got = lrs.get(params={"statementId": statement_id}).json
    assert got["stored"] != "2001-01-01T00:00:00Z"
    assert got["timestamp"] == got["stored"]
    assert got["version"] == "1.0.0"
    assert got["authority"]["account"]["name"] == lrs.key
    assert datetime.fromisoformat(got["stored"].replace("Z", "+00:00")).tzinfo is not None


def test_given_timestamp_and_version_are_kept(lrs: Lrs) -> None:
    """Data 2.4.10.s3.b3: statements "MUST retain the version they are accepted with"; the
    timestamp keeps its instant and precision, returned in UTC (2.3.1.b4, 4.5.s1.b3, b6)."""
    sent = statement(timestamp="2025-03-01T08:00:00.123+07:00", version="1.0.3")
    (statement_id,) = lrs.post(sent).json
    got = lrs.get(params={"statementId": statement_id}).json
    assert got["version"] == "1.0.3"
    assert got["timestamp"] == "2025-03-01T01:00:00.123Z"


def test_put_stores_with_the_given_id(lrs: Lrs) -> None:
    """Communication 2.1.1: PUT ?statementId= stores and answers 204 No Content."""
    statement_id = new_id()
    response = lrs.put(statement(), statement_id)
    assert response.status_code == 204
    assert response.data == b""
    assert lrs.get(params={"statementId": statement_id}).json["id"] == statement_id


def test_put_needs_statement_id_and_a_matching_id(lrs: Lrs) -> None:
    """Communication 2.1.1.s3.b3: the body's id MUST match the statementId parameter."""
    response = lrs.client.put(
        "/xapi/statements",
        data=orjson.dumps(statement()),
        content_type="application/json",
        headers=lrs.h(),
    )
    assert response.status_code == 400
    response = lrs.put(statement(id=new_id()), new_id())
    assert response.status_code == 400
    assert "statementId" in response.json["message"]


def test_put_rejects_an_array(lrs: Lrs) -> None:
    """Communication 2.1.1: PUT stores a single statement."""
    assert lrs.put([statement()], new_id()).status_code == 400


def test_same_id_same_content_is_accepted_once(lrs: Lrs) -> None:
    """Communication 2.1.1.s2.b2-b3: no change on a known id; 204 when the statement matches."""
    statement_id = new_id()
    body = statement(id=statement_id, timestamp="2025-01-01T00:00:00Z")
    assert lrs.put(body, statement_id).status_code == 204
    before = _count()
    # Differences the LRS may cause itself are not differences (Data 2.3.1.s9.b1): verb
    # display, activity definition, timestamp serialisation, authority.
    again = dict(body, timestamp="2025-01-01T07:00:00+07:00")
    again["verb"] = {"id": body["verb"]["id"], "display": {"fr": "a vécu"}}
    again["object"] = {"id": body["object"]["id"]}
    assert lrs.put(again, statement_id).status_code == 204
    assert lrs.post([again]).json == [statement_id]
    assert _count() == before


def test_same_id_different_content_is_409_and_changes_nothing(lrs: Lrs) -> None:
    """Communication 2.1.2.s2.b4-b5: different content under a known id is 409 Conflict."""
    statement_id = new_id()
    assert lrs.put(statement(id=statement_id), statement_id).status_code == 204
    other = statement(id=statement_id, result={"completion": True})
    response = lrs.put(other, statement_id)
    assert response.status_code == 409
    assert response.json["error"] == "Conflict"
    assert "result" not in lrs.get(params={"statementId": statement_id}).json


def test_batch_with_a_conflict_stores_nothing(lrs: Lrs) -> None:
    """Communication 3.2.s3.b9: a batch is rejected whole if any statement is rejected."""
    taken = new_id()
    lrs.put(statement(id=taken), taken)
    before = _count()
    fresh = new_id()
    response = lrs.post([statement(id=fresh), statement(id=taken, result={"success": False})])
    assert response.status_code == 409
    assert _count() == before
    assert lrs.get(params={"statementId": fresh}).status_code == 404


def test_batch_with_one_invalid_statement_stores_nothing_and_names_the_path(lrs: Lrs) -> None:
    """Communication 3.2.s3.b9 and the validator's property path in the 400."""
    before = _count()
    bad = statement(actor={"mbox": "hoa@example.vn"})
    response = lrs.post([statement(), bad])
    assert response.status_code == 400
    assert response.json["path"] == "[1].actor.mbox"
    assert "[1].actor.mbox" in response.json["message"]
    assert _count() == before


def test_batch_with_duplicate_ids_is_400(lrs: Lrs) -> None:
    """Communication 2.1.2.s2.b6: two statements with one id in a batch SHOULD* be 400."""
    same = new_id()
    assert lrs.post([statement(id=same), statement(id=same)]).status_code == 400


def test_malformed_json_and_wrong_content_type_are_400(lrs: Lrs) -> None:
    """Communication 3.2.s2.b1 ("malformed JSON") and 3.2.s3.b6 (content type must match)."""
    response = lrs.client.post(
        "/xapi/statements", data=b'{"actor": ', content_type="application/json", headers=lrs.h()
    )
    assert response.status_code == 400
    response = lrs.client.post(
        "/xapi/statements",
        data=orjson.dumps(statement()),
        content_type="multipart/form-data; boundary=x",
        headers=lrs.h(),
    )
    assert response.status_code == 400
    response = lrs.client.post(
        "/xapi/statements", data=b"", content_type="application/json", headers=lrs.h()
    )
    assert response.status_code == 400


def test_null_values_are_rejected(lrs: Lrs) -> None:
    """Data 2.2.s4.b1.b1: statements with null values MUST be rejected (never a 500)."""
    response = lrs.post(statement(result={"success": None}))
    assert response.status_code == 400
    assert response.json["path"] == "result.success"


def test_statement_is_indexed_once_per_filter_value(lrs: Lrs) -> None:
    """The query index: a direct value is not repeated among the related values."""
    from lms.extensions import db

    (statement_id,) = lrs.post(
        statement(
            context={
                "registration": new_id(),
                "contextActivities": {"parent": {"id": "https://lms146.example.vn/courses"}},
                "instructor": {"mbox": "mailto:mai@example.vn"},
            }
        )
    ).json
    row = db.session.scalars(select(Statement).where(Statement.statement_id == statement_id)).one()
    facts = key_values(statement_index(row.statement))
    # verb, registration, actor, instructor + authority (related), object, parent (related),
    # verb with object
    assert sorted(kind for kind, _ in facts) == [1, 2, 3, 4, 4, 5, 6, 7]
    keys = db.session.scalars(select(StatementKey.key).where(StatementKey.seq == row.seq)).all()
    assert sorted(keys) == sorted(key_id(kind, value) for kind, value in facts)


def test_contextactivities_are_returned_as_arrays(lrs: Lrs) -> None:
    """Data 2.4.6.2.s4.b3-b4: every contextActivities value is returned as an array."""
    parent = {"id": "https://lms146.example.vn/courses/x"}
    (statement_id,) = lrs.post(statement(context={"contextActivities": {"parent": parent}})).json
    got = lrs.get(params={"statementId": statement_id}).json
    assert got["context"]["contextActivities"]["parent"] == [parent]


def test_statement_version_2_needs_the_2_0_header(lrs: Lrs) -> None:
    """Data 2.4.10.s3.b2 (1.0.x); xAPI 2.0 statements are accepted under the 2.0.0 header."""
    assert lrs.post(statement(version="2.0.0")).status_code == 400
    response = lrs.post(statement(version="2.0.0"), X_Experience_API_Version="2.0.0")
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_empty_activity_definition_is_accepted(lrs: Lrs) -> None:
    """Data 2.2.s2.b1: objects SHOULD NOT be empty, which is no reason to refuse one; an Activity
    with ``"definition": {}`` (also inside a SubStatement) is stored as sent."""
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:hoa@example.vn"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "https://lms146.example.vn/courses/x", "definition": {}},
    }
    for stmt in (
        statement(object={"id": "https://lms146.example.vn/courses/x", "definition": {}}),
        statement(object=sub),
    ):
        response = lrs.post(stmt)
        assert response.status_code == 200, response.json
        got = lrs.get(params={"statementId": response.json[0]}).json
        assert got["object"] == stmt["object"]


def test_authority_group_with_its_own_identifier_is_400(lrs: Lrs) -> None:
    """Data 2.4.9.s3.b1: an OAuth authority Group is two Agents and no identifier of its own."""
    members = [
        {"account": {"homePage": "https://lms146.example.vn/oauth", "name": "app"}},
        {"mbox": "mailto:hoa@example.vn"},
    ]
    pair = {"objectType": "Group", "member": members}
    assert lrs.post(statement(authority=pair)).status_code == 200
    for ifi in (
        {"mbox": "mailto:oauth@example.vn"},
        {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        {"openid": "https://openid.example.vn/oauth"},
        {"account": {"homePage": "https://lms146.example.vn", "name": "oauth"}},
    ):
        response = lrs.post(statement(authority=pair | ifi))
        assert response.status_code == 400, ifi
        assert response.json["path"] == "authority"
