"""Who may do what on the LRS: every scope, and a cmi5 session's credentials, on every resource.

One table: a row per operation, a column per kind of credentials, each cell the status the
LRS answers. The cmi5 column holds real session credentials (launched by the LMS, redeemed
at ``/cmi5/fetch/<token>``) for learner A's session of the test AU; "another learner" is B,
"another activity" a course outside the AU, "another registration" a fresh one. A resource
and method of ``/xapi`` without a row fails :func:`test_every_lrs_operation_has_a_row`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lms.auth.models import User
from lms.extensions import db
from lms.xapi import clients, documents
from lms.xapi import services as lrs
from lms.xapi.constants import DocumentKind
from lms.xapi.validation import agent_ifi
from tests.cmi5_session import Cmi5Credentials, open_session
from tests.factories import make_user
from tests.xapi.conftest import VERSION, basic

OTHER_ACTIVITY = "https://lms146.vn/xapi/activities/course/lanh-dao-so"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

#: The columns: a client with these scopes (``[]``: the default scopes), or none at all.
COLUMNS: dict[str, list[str] | None] = {
    "anonymous": None,
    "default": [],
    "statements/write": ["statements/write"],
    "statements/read": ["statements/read"],
    "statements/read/mine": ["statements/read/mine"],
    "state": ["state"],
    "profile": ["profile"],
    "define": ["define"],
    "all/read": ["all/read"],
    "all": ["all"],
    "cmi5": None,  # the learner's session credentials, from /cmi5/fetch
}

# fmt: off
#: operation -> status per column, in the order of COLUMNS:
#:   anon  dflt  s/w   s/r   s/r/m state prof  defn  a/r   all   cmi5
EXPECTED: dict[str, tuple[int, ...]] = {
    # statements
    "POST statement, own learner/AU/registration":
        (401,  200,  200,  403,  403,  403,  403,  403,  403,  200,  200),
    "PUT statement, own learner/AU/registration":
        (401,  204,  204,  403,  403,  403,  403,  403,  403,  204,  204),
    "POST statement about another learner":
        (401,  200,  200,  403,  403,  403,  403,  403,  403,  200,  403),
    "POST statement about another activity":
        (401,  200,  200,  403,  403,  403,  403,  403,  403,  200,  403),
    "POST statement of another registration":
        (401,  200,  200,  403,  403,  403,  403,  403,  403,  200,  403),
    "POST voiding statement":
        (401,  200,  200,  403,  403,  403,  403,  403,  403,  200,  403),
    "GET statements":
        (401,  200,  403,  200,  200,  403,  403,  403,  200,  200,  200),
    "HEAD statements":
        (401,  200,  403,  200,  200,  403,  403,  403,  200,  200,  200),
    "GET statement written by someone else":
        (401,  404,  403,  200,  404,  403,  403,  403,  200,  200,  404),
    # state
    "GET state, own":
        (401,  403,  403,  403,  403,  200,  403,  403,  200,  200,  200),
    "HEAD state, own":
        (401,  403,  403,  403,  403,  200,  403,  403,  200,  200,  200),
    "GET state LMS.LaunchData":
        (401,  403,  403,  403,  403,  200,  403,  403,  200,  200,  200),
    "PUT state, own":
        (401,  403,  403,  403,  403,  204,  403,  403,  403,  204,  204),
    "POST state, own":
        (401,  403,  403,  403,  403,  204,  403,  403,  403,  204,  204),
    "PUT state LMS.LaunchData":
        (401,  403,  403,  403,  403,  204,  403,  403,  403,  204,  403),
    "GET state of another learner":
        (401,  403,  403,  403,  403,  200,  403,  403,  200,  200,  403),
    "PUT state of another learner":
        (401,  403,  403,  403,  403,  204,  403,  403,  403,  204,  403),
    "GET state of another activity":
        (401,  403,  403,  403,  403,  200,  403,  403,  200,  200,  403),
    "GET state of another registration":
        (401,  403,  403,  403,  403,  200,  403,  403,  200,  200,  403),
    "DELETE state, own document":
        (401,  403,  403,  403,  403,  204,  403,  403,  403,  204,  204),
    "DELETE state, all of the registration":
        (401,  403,  403,  403,  403,  204,  403,  403,  403,  204,  403),
    # activity profile
    "GET activity profile, own AU":
        (401,  403,  403,  403,  403,  403,  200,  403,  200,  200,  200),
    "HEAD activity profile, own AU":
        (401,  403,  403,  403,  403,  403,  200,  403,  200,  200,  200),
    "GET activity profile of another activity":
        (401,  403,  403,  403,  403,  403,  200,  403,  200,  200,  403),
    "PUT activity profile, own AU":
        (401,  403,  403,  403,  403,  403,  204,  403,  403,  204,  403),
    "POST activity profile, own AU":
        (401,  403,  403,  403,  403,  403,  204,  403,  403,  204,  403),
    "DELETE activity profile, own AU":
        (401,  403,  403,  403,  403,  403,  204,  403,  403,  204,  403),
    # agent profile
    "GET agent profile, own":
        (401,  403,  403,  403,  403,  403,  200,  403,  200,  200,  200),
    "HEAD agent profile, own":
        (401,  403,  403,  403,  403,  403,  200,  403,  200,  200,  200),
    "GET agent profile of another learner":
        (401,  403,  403,  403,  403,  403,  200,  403,  200,  200,  403),
    "PUT agent profile, own":
        (401,  403,  403,  403,  403,  403,  204,  403,  403,  204,  204),
    "POST agent profile, own":
        (401,  403,  403,  403,  403,  403,  204,  403,  403,  204,  204),
    "PUT agent profile of another learner":
        (401,  403,  403,  403,  403,  403,  204,  403,  403,  204,  403),
    "DELETE agent profile, own":
        (401,  403,  403,  403,  403,  403,  204,  403,  403,  204,  204),
    # activities, agents, about
    "GET activity, own AU":
        (401,  200,  403,  200,  200,  200,  200,  200,  200,  200,  200),
    "HEAD activity, own AU":
        (401,  200,  403,  200,  200,  200,  200,  200,  200,  200,  200),
    "GET activity, another activity":
        (401,  200,  403,  200,  200,  200,  200,  200,  200,  200,  403),
    "GET agents":
        (401,  403,  403,  200,  403,  403,  403,  403,  200,  200,  403),
    "HEAD agents":
        (401,  403,  403,  200,  403,  403,  403,  403,  200,  200,  403),
    "GET about":
        (200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    "HEAD about":
        (200,  200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
}
# fmt: on


@dataclass
class World:
    """Learner A's cmi5 session, learner B, and documents and statements to reach for."""

    a: Cmi5Credentials
    b_actor: dict[str, Any]
    read_id: str  #: a statement the LMS wrote
    void_id: str  #: another one, for the voiding row
    other_registration: str


@dataclass
class Caller:
    client: FlaskClient
    authorization: str | None

    def headers(self, **extra: str) -> dict[str, str]:
        out = {"X-Experience-API-Version": VERSION, **extra}
        if self.authorization:
            out["Authorization"] = self.authorization
        return out

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        **headers: str,
    ) -> TestResponse:
        query = {
            k: orjson.dumps(v).decode() if isinstance(v, dict) else v
            for k, v in (params or {}).items()
        }
        data = orjson.dumps(body) if body is not None else None
        return self.client.open(
            path,
            method=method,
            query_string=query,
            data=data,
            content_type="application/json" if data is not None else None,
            headers=self.headers(**{k.replace("_", "-"): v for k, v in headers.items()}),
        )


def _statement(
    w: World, *, actor: Any = None, activity: str | None = None, registration: str | None = None
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor or w.a.actor,
        "verb": {"id": EXPERIENCED, "display": {"en-US": "experienced"}},
        "object": {"objectType": "Activity", "id": activity or w.a.activity_id},
        "context": {**w.a.context(), "registration": registration or w.a.registration},
    }


def _state(
    w: World,
    state_id: str,
    *,
    agent: Any = None,
    activity: str | None = None,
    registration: str | None = "own",
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "activityId": activity or w.a.activity_id,
        "agent": agent or w.a.actor,
        "stateId": state_id,
    }
    if registration == "own":
        params["registration"] = w.a.registration
    elif registration:
        params["registration"] = registration
    return params


def _act_profile(w: World, profile_id: str, activity: str | None = None) -> dict[str, Any]:
    return {"activityId": activity or w.a.activity_id, "profileId": profile_id}


def _agent_profile(w: World, profile_id: str, agent: Any = None) -> dict[str, Any]:
    return {"agent": agent or w.a.actor, "profileId": profile_id}


STATEMENTS = "/xapi/statements"
STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"


def _none(w: World, body: Any = None) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Op:
    """One request: ``params(world, body)`` and ``body(world)`` build it for the world."""

    method: str
    path: str
    params: Callable[[World, Any], dict[str, Any]] = _none
    body: Callable[[World], Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, caller: Caller, w: World) -> TestResponse:
        body = self.body(w) if self.body else None
        return caller.call(self.method, self.path, self.params(w, body), body, **dict(self.headers))


NEW = (("If-None-Match", "*"),)
JSON_DOC = {"seen": True}


def _void(w: World) -> dict[str, Any]:
    return {
        "actor": w.a.actor,
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": w.void_id},
        "context": w.a.context(),
    }


def _all_state(w: World, body: Any = None) -> dict[str, Any]:
    return {k: v for k, v in _state(w, "x").items() if k != "stateId"}


# fmt: off
OPERATIONS: dict[str, Op] = {
    "POST statement, own learner/AU/registration":
        Op("POST", STATEMENTS, body=_statement),
    "PUT statement, own learner/AU/registration":
        Op("PUT", STATEMENTS, lambda w, s: {"statementId": s["id"]}, _statement),
    "POST statement about another learner":
        Op("POST", STATEMENTS, body=lambda w: _statement(w, actor=w.b_actor)),
    "POST statement about another activity":
        Op("POST", STATEMENTS, body=lambda w: _statement(w, activity=OTHER_ACTIVITY)),
    "POST statement of another registration":
        Op("POST", STATEMENTS, body=lambda w: _statement(w, registration=w.other_registration)),
    "POST voiding statement":
        Op("POST", STATEMENTS, body=_void),
    "GET statements":
        Op("GET", STATEMENTS),
    "HEAD statements":
        Op("HEAD", STATEMENTS),
    "GET statement written by someone else":
        Op("GET", STATEMENTS, lambda w, _: {"statementId": w.read_id}),
    "GET state, own":
        Op("GET", STATE, lambda w, _: _state(w, "bookmark")),
    "HEAD state, own":
        Op("HEAD", STATE, lambda w, _: _state(w, "bookmark")),
    "GET state LMS.LaunchData":
        Op("GET", STATE, lambda w, _: _state(w, "LMS.LaunchData")),
    "PUT state, own":
        Op("PUT", STATE, lambda w, _: _state(w, "bookmark"), lambda w: JSON_DOC),
    "POST state, own":
        Op("POST", STATE, lambda w, _: _state(w, "bookmark"), lambda w: {"page": 3}),
    "PUT state LMS.LaunchData":
        Op("PUT", STATE, lambda w, _: _state(w, "LMS.LaunchData"), lambda w: {"moveOn": "x"}),
    "GET state of another learner":
        Op("GET", STATE, lambda w, _: _state(w, "bookmark", agent=w.b_actor, registration=None)),
    "PUT state of another learner":
        Op("PUT", STATE, lambda w, _: _state(w, "bookmark", agent=w.b_actor, registration=None),
           lambda w: JSON_DOC),
    "GET state of another activity":
        Op("GET", STATE, lambda w, _: _state(w, "bookmark", activity=OTHER_ACTIVITY)),
    "GET state of another registration":
        Op("GET", STATE, lambda w, _: _state(w, "bookmark", registration=w.other_registration)),
    "DELETE state, own document":
        Op("DELETE", STATE, lambda w, _: _state(w, "scratch")),
    "DELETE state, all of the registration":
        Op("DELETE", STATE, _all_state),
    "GET activity profile, own AU":
        Op("GET", ACTIVITY_PROFILE, lambda w, _: _act_profile(w, "notes")),
    "HEAD activity profile, own AU":
        Op("HEAD", ACTIVITY_PROFILE, lambda w, _: _act_profile(w, "notes")),
    "GET activity profile of another activity":
        Op("GET", ACTIVITY_PROFILE, lambda w, _: _act_profile(w, "notes", OTHER_ACTIVITY)),
    "PUT activity profile, own AU":
        Op("PUT", ACTIVITY_PROFILE, lambda w, _: _act_profile(w, "fresh"), lambda w: JSON_DOC,
           NEW),
    "POST activity profile, own AU":
        Op("POST", ACTIVITY_PROFILE, lambda w, _: _act_profile(w, "notes"), lambda w: {"n": 1}),
    "DELETE activity profile, own AU":
        Op("DELETE", ACTIVITY_PROFILE, lambda w, _: _act_profile(w, "scratch")),
    "GET agent profile, own":
        Op("GET", AGENT_PROFILE, lambda w, _: _agent_profile(w, "cmi5LearnerPreferences")),
    "HEAD agent profile, own":
        Op("HEAD", AGENT_PROFILE, lambda w, _: _agent_profile(w, "cmi5LearnerPreferences")),
    "GET agent profile of another learner":
        Op("GET", AGENT_PROFILE,
           lambda w, _: _agent_profile(w, "cmi5LearnerPreferences", w.b_actor)),
    "PUT agent profile, own":
        Op("PUT", AGENT_PROFILE, lambda w, _: _agent_profile(w, "fresh"), lambda w: JSON_DOC,
           NEW),
    "POST agent profile, own":
        Op("POST", AGENT_PROFILE, lambda w, _: _agent_profile(w, "cmi5LearnerPreferences"),
           lambda w: {"audioPreference": "off"}),
    "PUT agent profile of another learner":
        Op("PUT", AGENT_PROFILE, lambda w, _: _agent_profile(w, "fresh", w.b_actor),
           lambda w: JSON_DOC, NEW),
    "DELETE agent profile, own":
        Op("DELETE", AGENT_PROFILE, lambda w, _: _agent_profile(w, "scratch")),
    "GET activity, own AU":
        Op("GET", "/xapi/activities", lambda w, _: {"activityId": w.a.activity_id}),
    "HEAD activity, own AU":
        Op("HEAD", "/xapi/activities", lambda w, _: {"activityId": w.a.activity_id}),
    "GET activity, another activity":
        Op("GET", "/xapi/activities", lambda w, _: {"activityId": OTHER_ACTIVITY}),
    "GET agents":
        Op("GET", "/xapi/agents", lambda w, _: {"agent": w.a.actor}),
    "HEAD agents":
        Op("HEAD", "/xapi/agents", lambda w, _: {"agent": w.a.actor}),
    "GET about":
        Op("GET", "/xapi/about"),
    "HEAD about":
        Op("HEAD", "/xapi/about"),
}
# fmt: on


def _seed_document(
    kind: DocumentKind,
    doc_id: str,
    *,
    activity: str | None = None,
    agent: Any = None,
    registration: str | None = None,
) -> None:
    scope = documents.Scope(
        kind=kind,
        activity_id=activity,
        agent_ifi=agent_ifi(agent) if agent else None,
        registration=registration,
    )
    documents.put(
        scope,
        doc_id,
        orjson.dumps({"seeded": doc_id}),
        "application/json",
        documents.Preconditions(),
        rule=documents.NO_PRECONDITION,
    )


def _world(a: User, b: User) -> World:
    creds = open_session(a)
    from lms.learning.cmi5.runtime import actor_of

    b_actor = actor_of(b)
    other_registration = str(uuid.uuid4())
    state, act, agent = (
        DocumentKind.state,
        DocumentKind.activity_profile,
        DocumentKind.agent_profile,
    )
    for doc in ("bookmark", "scratch"):
        _seed_document(
            state,
            doc,
            activity=creds.activity_id,
            agent=creds.actor,
            registration=creds.registration,
        )
    _seed_document(state, "bookmark", activity=creds.activity_id, agent=b_actor)
    _seed_document(
        state,
        "bookmark",
        activity=OTHER_ACTIVITY,
        agent=creds.actor,
        registration=creds.registration,
    )
    _seed_document(
        state,
        "bookmark",
        activity=creds.activity_id,
        agent=creds.actor,
        registration=other_registration,
    )
    for doc in ("notes", "scratch"):
        _seed_document(act, doc, activity=creds.activity_id)
    _seed_document(act, "notes", activity=OTHER_ACTIVITY)
    for doc in ("cmi5LearnerPreferences", "scratch"):
        _seed_document(agent, doc, agent=creds.actor)
    _seed_document(agent, "cmi5LearnerPreferences", agent=b_actor)
    written = {
        "actor": b_actor,
        "verb": {"id": EXPERIENCED},
        "object": {"objectType": "Activity", "id": OTHER_ACTIVITY},
    }
    read_id = lrs.record(dict(written))
    void_id = lrs.record(dict(written))
    db.session.commit()
    return World(
        a=creds,
        b_actor=b_actor,
        read_id=read_id,
        void_id=void_id,
        other_registration=other_registration,
    )


@pytest.mark.parametrize("column", list(COLUMNS))
def test_access_matrix(client: FlaskClient, db: object, column: str) -> None:
    """Each operation answers, for these credentials, what the table says."""
    a = make_user("a@example.vn", full_name="Học viên A")
    b = make_user("b@example.vn", full_name="Học viên B")
    w = _world(a, b)
    scopes = COLUMNS[column]
    if column == "cmi5":
        authorization: str | None = w.a.authorization
    elif scopes is None:
        authorization = None
    else:
        made, secret = clients.create_client(f"matrix {column}", scopes=scopes)
        db.session.commit()  # type: ignore[attr-defined]
        authorization = basic(made.key, secret)
    caller = Caller(client, authorization)
    index = list(COLUMNS).index(column)
    actual = {name: op(caller, w).status_code for name, op in OPERATIONS.items()}
    expected = {name: row[index] for name, row in EXPECTED.items()}
    assert actual == expected


def test_every_lrs_operation_has_a_row(app: Flask) -> None:
    """Every resource and method of /xapi is in the table (a new one needs its row)."""
    resources = {
        "/xapi/statements": {"GET", "HEAD", "PUT", "POST"},
        "/xapi/activities/state": {"GET", "HEAD", "PUT", "POST", "DELETE"},
        "/xapi/activities/profile": {"GET", "HEAD", "PUT", "POST", "DELETE"},
        "/xapi/agents/profile": {"GET", "HEAD", "PUT", "POST", "DELETE"},
        "/xapi/activities": {"GET", "HEAD"},
        "/xapi/agents": {"GET", "HEAD"},
        "/xapi/about": {"GET", "HEAD"},
    }
    routed = {
        rule.rule.rstrip("/")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("xapi.") and rule.endpoint != "xapi.not_found"
    }
    assert routed == set(resources)
    covered: dict[str, set[str]] = {}
    for op in OPERATIONS.values():
        covered.setdefault(op.path, set()).add(op.method)
    assert covered == resources
    assert set(OPERATIONS) == set(EXPECTED)
    assert all(len(row) == len(COLUMNS) for row in EXPECTED.values())
