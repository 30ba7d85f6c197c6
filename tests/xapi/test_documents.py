"""State, activity profile and agent profile documents (Communication 2.2-2.7, 3.1)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

import orjson
import pytest

from tests.xapi.conftest import Lrs, new_id

ACTIVITY = "https://lms146.example.vn/courses/dich-vu-cong"
AGENT = '{"objectType": "Agent", "mbox": "mailto:hoa@example.vn"}'


def state_params(**extra: str) -> dict[str, str]:
    return {"activityId": ACTIVITY, "agent": AGENT, **extra}


RESOURCES = {
    "state": ("/xapi/activities/state", "stateId", {"activityId": ACTIVITY, "agent": AGENT}),
    "activity_profile": ("/xapi/activities/profile", "profileId", {"activityId": ACTIVITY}),
    "agent_profile": ("/xapi/agents/profile", "profileId", {"agent": AGENT}),
}


def put(
    lrs: Lrs,
    path: str,
    params: dict,
    body: bytes,
    content_type: str = "application/json",
    **headers: str,
):  # type: ignore[no-untyped-def]
    return lrs.client.put(
        path, query_string=params, data=body, content_type=content_type, headers=lrs.h(**headers)
    )


def post(
    lrs: Lrs,
    path: str,
    params: dict,
    body: bytes,
    content_type: str = "application/json",
    **headers: str,
):  # type: ignore[no-untyped-def]
    return lrs.client.post(
        path, query_string=params, data=body, content_type=content_type, headers=lrs.h(**headers)
    )


@pytest.mark.parametrize("resource", RESOURCES)
def test_store_and_fetch_with_etag_and_last_modified(lrs: Lrs, resource: str) -> None:
    """Communication 2.2.s6.b1, 3.1.s4.b1-b4: ETag is the quoted SHA-1 of the content."""
    path, id_param, base = RESOURCES[resource]
    params = base | {id_param: "doc-1"}
    body = b'{"page": 2}'
    assert put(lrs, path, params, body, If_None_Match="*").status_code == 204
    response = lrs.get(path, params)
    assert response.status_code == 200
    assert response.data == body
    assert response.headers["Content-Type"] == "application/json"
    assert (
        response.headers["ETag"]
        == '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'
    )
    assert response.headers["Last-Modified"].endswith("GMT")
    head = lrs.client.head(path, query_string=params, headers=lrs.h())
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == response.headers["ETag"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_missing_document_is_404(lrs: Lrs, resource: str) -> None:
    """Communication 3.2.s2.b4: 404 for a single document that does not exist."""
    path, id_param, base = RESOURCES[resource]
    assert lrs.get(path, base | {id_param: "never"}).status_code == 404


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize("resource", ["activity_profile", "agent_profile"])
def test_profile_put_without_a_precondition_is_refused(
    lrs: Lrs, resource: str, version: str
) -> None:
    """Communication 3.1.s3.b1: a PUT to a profile MUST carry If-Match or If-None-Match.

    A new document: 400, as ADL's reference LRS answers (a required header is missing, 3.2).
    An existing one: 409 that explains what to do, nothing changed (3.1.s4.b13-b15). The same
    in xAPI 2.0 (its concurrency rules keep these requirements).
    """
    path, id_param, base = RESOURCES[resource]
    params = base | {id_param: "p"}
    response = put(lrs, path, params, b'{"a": 1}', X_Experience_API_Version=version)
    assert response.status_code == 400
    assert "If-None-Match: *" in response.json["message"]
    assert lrs.get(path, params).status_code == 404
    created = put(
        lrs, path, params, b'{"a": 1}', If_None_Match="*", X_Experience_API_Version=version
    )
    assert created.status_code == 204
    response = put(lrs, path, params, b'{"a": 2}', X_Experience_API_Version=version)
    assert response.status_code == 409
    assert "If-Match" in response.json["message"]
    assert lrs.get(path, params).data == b'{"a": 1}'


def test_state_put_without_precondition_replaces(lrs: Lrs) -> None:
    """Communication 3.1.s3: the State resource permits PUT without concurrency headers."""
    params = state_params(stateId="bookmark")
    assert put(lrs, "/xapi/activities/state", params, b'{"a": 1}').status_code == 204
    assert put(lrs, "/xapi/activities/state", params, b'{"b": 2}').status_code == 204
    assert lrs.get("/xapi/activities/state", params).data == b'{"b": 2}'


@pytest.mark.parametrize("resource", RESOURCES)
def test_if_match_and_if_none_match(lrs: Lrs, resource: str) -> None:
    """Communication 3.1.s4.b5-b10: 412 when the precondition fails, and no change."""
    path, id_param, base = RESOURCES[resource]
    params = base | {id_param: "doc"}
    assert put(lrs, path, params, b'{"v": 1}', If_None_Match="*").status_code == 204
    etag = lrs.get(path, params).headers["ETag"]
    assert put(lrs, path, params, b'{"v": 9}', If_None_Match="*").status_code == 412
    assert put(lrs, path, params, b'{"v": 9}', If_Match='"0000"').status_code == 412
    assert lrs.get(path, params).data == b'{"v": 1}'
    assert put(lrs, path, params, b'{"v": 2}', If_Match=etag).status_code == 204
    assert put(lrs, path, params, b'{"v": 3}', If_Match="*").status_code == 204
    missing = base | {id_param: "absent"}
    assert put(lrs, path, missing, b"{}", If_Match="*").status_code == 412


@pytest.mark.parametrize("resource", RESOURCES)
def test_post_merges_json_objects(lrs: Lrs, resource: str) -> None:
    """Communication 2.2.s7: top-level properties of the posted object replace; 204."""
    path, id_param, base = RESOURCES[resource]
    params = base | {id_param: "vars"}
    assert post(lrs, path, params, b'{"x": "foo", "y": "bar"}').status_code == 204
    assert post(lrs, path, params, b'{"x": "bash", "z": "faz"}').status_code == 204
    assert orjson.loads(lrs.get(path, params).data) == {"x": "bash", "y": "bar", "z": "faz"}


@pytest.mark.parametrize("resource", RESOURCES)
def test_post_merge_refuses_non_json(lrs: Lrs, resource: str) -> None:
    """Communication 2.2.s8.b1: 400 when either side is not a JSON object; no change."""
    path, id_param, base = RESOURCES[resource]
    params = base | {id_param: "m"}
    assert post(lrs, path, params, b'{"a": 1}').status_code == 204
    assert post(lrs, path, params, b"plain", content_type="text/plain").status_code == 400
    assert post(lrs, path, params, b"[1, 2]").status_code == 400
    text = base | {id_param: "t"}
    created = put(lrs, path, text, b"hello", content_type="text/plain", If_None_Match="*")
    assert created.status_code == 204
    assert post(lrs, path, text, b'{"a": 1}').status_code == 400
    assert lrs.get(path, params).data == b'{"a": 1}'


def test_post_precondition_is_checked(lrs: Lrs) -> None:
    """Communication 3.1.s4.b7-b8, b11: POST honours If-Match / If-None-Match."""
    path, id_param, base = RESOURCES["activity_profile"]
    params = base | {id_param: "pc"}
    assert post(lrs, path, params, b'{"a": 1}').status_code == 204
    assert post(lrs, path, params, b'{"b": 1}', If_None_Match="*").status_code == 412
    assert post(lrs, path, params, b'{"b": 1}', If_Match='"nope"').status_code == 412


def test_binary_documents_keep_their_content_type(lrs: Lrs) -> None:
    """Communication 1.5.b1: documents can have any content type."""
    path, id_param, base = RESOURCES["agent_profile"]
    params = base | {id_param: "avatar"}
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    created = put(lrs, path, params, png, content_type="image/png", If_None_Match="*")
    assert created.status_code == 204
    response = lrs.get(path, params)
    assert response.data == png
    assert response.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_ids_with_since(lrs: Lrs, resource: str) -> None:
    """Communication 2.3.s4, 2.6.s4, 2.7.s4: ids of the documents, ``since`` exclusive."""
    path, id_param, base = RESOURCES[resource]
    put(lrs, path, base | {id_param: "a"}, b"{}", If_None_Match="*")
    time.sleep(0.01)
    middle = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    put(lrs, path, base | {id_param: "b"}, b"{}", If_None_Match="*")
    response = lrs.get(path, base)
    assert response.status_code == 200
    assert sorted(response.json) == ["a", "b"]
    assert response.headers["ETag"].startswith('"')
    assert "Last-Modified" in response.headers
    assert lrs.get(path, base | {"since": middle}).json == ["b"]


def test_state_registration_scopes_documents(lrs: Lrs) -> None:
    """Communication 2.3: state is per activity + agent [+ registration]."""
    registration = new_id()
    with_reg = state_params(stateId="s", registration=registration)
    without = state_params(stateId="s")
    put(lrs, "/xapi/activities/state", with_reg, b'{"r": 1}')
    put(lrs, "/xapi/activities/state", without, b'{"r": 0}')
    assert lrs.get("/xapi/activities/state", with_reg).data == b'{"r": 1}'
    assert lrs.get("/xapi/activities/state", without).data == b'{"r": 0}'
    other = state_params(stateId="s", registration=new_id())
    assert lrs.get("/xapi/activities/state", other).status_code == 404
    assert lrs.get("/xapi/activities/state", state_params(registration=registration)).json == ["s"]


def test_delete_one_and_delete_all_state(lrs: Lrs) -> None:
    """Communication 2.3.s3 (single DELETE) and 2.3.s5 (delete all for the context)."""
    registration = new_id()
    path = "/xapi/activities/state"
    for state_id in ("a", "b"):
        put(lrs, path, state_params(stateId=state_id, registration=registration), b"{}")
    put(lrs, path, state_params(stateId="kept"), b"{}")
    other_agent = {"activityId": ACTIVITY, "agent": '{"mbox": "mailto:khoa@example.vn"}'}
    put(lrs, path, other_agent | {"stateId": "theirs"}, b"{}")
    deleted = lrs.client.delete(
        path, query_string=state_params(stateId="a", registration=registration), headers=lrs.h()
    )
    assert deleted.status_code == 204
    assert lrs.get(path, state_params(registration=registration)).json == ["b"]
    everything = lrs.client.delete(path, query_string=state_params(), headers=lrs.h())
    assert everything.status_code == 204
    assert lrs.get(path, state_params()).json == []
    assert lrs.get(path, other_agent).json == ["theirs"]


@pytest.mark.parametrize("resource", ["activity_profile", "agent_profile"])
def test_delete_profile_with_if_match(lrs: Lrs, resource: str) -> None:
    """Communication 3.1.s4.b7, b11: DELETE honours If-Match; 204 when done."""
    path, id_param, base = RESOURCES[resource]
    params = base | {id_param: "gone"}
    assert put(lrs, path, params, b"{}", If_None_Match="*").status_code == 204
    bad = lrs.client.delete(path, query_string=params, headers=lrs.h(If_Match='"x"'))
    assert bad.status_code == 412
    etag = lrs.get(path, params).headers["ETag"]
    ok = lrs.client.delete(path, query_string=params, headers=lrs.h(If_Match=etag))
    assert ok.status_code == 204
    assert lrs.get(path, params).status_code == 404
    # A profile DELETE names one document.
    assert lrs.client.delete(path, query_string=base, headers=lrs.h()).status_code == 400


def test_document_parameters_are_validated(lrs: Lrs) -> None:
    """Data 2.2.s4.b4, Communication 2.6.s3 note: the agent is an Agent, not a Group."""
    path = "/xapi/activities/state"
    assert lrs.get(path, {"agent": AGENT}).status_code == 400  # activityId required
    assert lrs.get(path, {"activityId": "no-scheme", "agent": AGENT}).status_code == 400
    assert lrs.get(path, state_params(registration="x")).status_code == 400
    group = '{"objectType": "Group", "mbox": "mailto:team@example.vn"}'
    assert lrs.get("/xapi/agents/profile", {"agent": group}).status_code == 400
    assert lrs.get(path, state_params(stateId="a", since="2025-01-01T00:00:00Z")).status_code == 400
    response = put(lrs, path, state_params(), b"{}")
    assert response.status_code == 400  # PUT needs stateId


def test_documents_of_unknown_activities_and_agents_are_accepted(lrs: Lrs) -> None:
    """Communication 2.2.s4.b2: no prior knowledge of the activity or agent is needed."""
    params = {"activityId": f"https://nowhere.example/{new_id()}", "agent": AGENT, "stateId": "x"}
    assert put(lrs, "/xapi/activities/state", params, b"{}").status_code == 204
