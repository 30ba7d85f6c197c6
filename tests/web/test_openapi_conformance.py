"""The API answers as ``/api/v1/openapi.json`` says: schemathesis, every operation.

schemathesis reads the document the app serves and sends each operation requests it derives
from it: the boundary values of every parameter and body field (its coverage phase), then
generated ones, valid and invalid (its fuzzing phase). Each answer must pass four checks: no
5xx, a documented status, a body of the documented schema, a documented content type.

It runs in-process (WSGI) against an app of its own, on its own database (PostgreSQL when the
suite runs on it) filled with the demo data, so a path names a real class, course or quiz about
half the time: the other half exercise the 404s. Every request is an admin's with a fresh
token (the admin may revoke its token, demote or deactivate itself through the API; it is
put back before each request); a second, smaller pass sends no credentials at all.

The run is reproducible: a fixed seed, derandomized Hypothesis, no example database. About
6,000 requests over 113 operations, a minute and a half of CPU.

Exemptions: none. Every check holds for every operation; a business rule that refuses
schema-valid data answers a documented 404, 409 or 422, so no check needs switching off.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from lms import create_app
from lms.auth.models import Role, User, UserRole
from lms.config import config_for_tests
from lms.extensions import db
from tests.conftest import throwaway_app
from tests.factories import make_token, make_user

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]

# Generated examples per operation in the fuzzing phase, on top of the coverage phase's
# boundary values: about 110 operations, the whole test in a couple of minutes on two cores.
EXAMPLES = 10
ANONYMOUS_EXAMPLES = 3
SEED = 146


@dataclass
class World:
    app: Flask
    admin_id: int

    def admin_token(self) -> str:
        """A fresh token of an active admin, whatever the previous request did to them."""
        with self.app.app_context():
            admin = db.session.get(User, self.admin_id)
            assert admin is not None
            if not admin.active or {r.role for r in admin.role_rows} != {Role.admin}:
                admin.active = True
                admin.role_rows = [UserRole(role=Role.admin)]
            token = make_token(admin)
            db.session.commit()
            return token


def _known_values() -> dict[str, list[Any]]:
    from lms.assessment.models import Attempt, QuestionBank, Quiz
    from lms.catalog.models import Course
    from lms.certificates.models import Certificate
    from lms.classes.models import Class, ClassSession, Enrollment
    from lms.org.models import Unit

    def first(stmt: Any, n: int = 8) -> list[Any]:
        return list(db.session.scalars(stmt.limit(n)))

    return {
        "code": first(select(Class.code).order_by(Class.id))
        + first(select(Unit.code).order_by(Unit.id)),
        "slug": first(select(Course.slug).order_by(Course.id)),
        "serial": first(select(Certificate.serial).order_by(Certificate.id)),
        "quiz_id": first(select(Quiz.id).order_by(Quiz.id)),
        "attempt_id": first(select(Attempt.id).order_by(Attempt.id)),
        "bank_id": first(select(QuestionBank.id).order_by(QuestionBank.id)),
        "enrollment_id": first(select(Enrollment.id).order_by(Enrollment.id)),
        "session_id": first(select(ClassSession.id).order_by(ClassSession.id)),
        "user_id": first(select(User.id).order_by(User.id)),
    }


class _Deferred:
    """The WSGI app schemathesis calls: the document is read at import time, from an app
    without a database, and the requests go to the module's app once its fixture made it."""

    def __init__(self) -> None:
        self.target: Flask = create_app(config_for_tests())

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.target(environ, start_response)


_APP = _Deferred()
_KNOWN: dict[str, list[Any]] = {}
# Requests sent per operation label, printed at the end of the module (run with -s to see).
_SENT: Counter[str] = Counter()
_PHASES: Counter[str] = Counter()


def _schema(examples: int, *, coverage: bool) -> Any:
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # Hypothesis times its own generation; on a busy CI machine that says nothing.
            "suppress-health-check": ["too_slow"],
            "generation": {
                "max-examples": examples,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": coverage},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _APP, config=config)

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        """About half the generated ids, codes and slugs become ones in the demo data."""
        if not path_parameters:
            return path_parameters
        out = dict(path_parameters)
        for name, value in path_parameters.items():
            known = _KNOWN.get(name)
            digest = zlib.crc32(repr(value).encode())
            if known and digest % 2:
                out[name] = known[digest // 2 % len(known)]
        return out

    return schema


as_admin = _schema(EXAMPLES, coverage=True)
anonymous = _schema(ANONYMOUS_EXAMPLES, coverage=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with throwaway_app(tmp_path_factory.mktemp("openapi")) as app:
        result = app.test_cli_runner().invoke(args=["seed", "demo"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            admin = make_user("openapi-admin@example.vn", roles=(Role.admin,))
            db.session.commit()
            world = World(app=app, admin_id=admin.id)
            _KNOWN.update(_known_values())
        spec_only, _APP.target = _APP.target, app
        try:
            yield world
        finally:
            _APP.target = spec_only
            _KNOWN.clear()
            phases = ", ".join(f"{k} {v}" for k, v in sorted(_PHASES.items()))
            print(f"\nschemathesis: {len(_SENT)} operations, {sum(_SENT.values())} requests")
            print(f"schemathesis as admin, per phase/mode: {phases}")


@as_admin.parametrize()
def test_the_api_answers_an_admin_as_documented(case: Any, world: World) -> None:
    _SENT[case.operation.label] += 1
    _PHASES[f"{case.meta.phase.name.value}/{case.meta.generation.mode.value}"] += 1
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {world.admin_token()}"}
    case.call_and_validate(checks=CHECKS)


@anonymous.parametrize()
def test_the_api_answers_anonymous_clients_as_documented(case: Any, world: World) -> None:
    _SENT[case.operation.label] += 1
    headers = dict(case.headers or {})
    headers.pop("Authorization", None)
    case.headers = headers
    case.call_and_validate(checks=CHECKS)


def test_other_successes_answer_the_success_body_not_the_error_envelope() -> None:
    spec = _APP.target.test_client().get("/api/v1/openapi.json").get_json()
    for path, method, other in (
        ("/api/v1/enrollments/{enrollment_id}/certificate", "post", "200"),
        ("/api/v1/quizzes/{quiz_id}/attempts", "post", "200"),
    ):
        responses = spec["paths"][path][method]["responses"]
        assert responses[other]["content"] == responses["201"]["content"], path
    issue = spec["paths"]["/api/v1/enrollments/{enrollment_id}/certificate"]["post"]
    assert issue["requestBody"]["required"] is False


def test_every_operation_documents_what_any_request_may_meet() -> None:
    spec = _APP.target.test_client().get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            statuses = set(op["responses"])
            assert {"400", "422", "503"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            if "requestBody" in op:
                assert "413" in statuses, (method, path)
            if method != "get":
                assert "409" in statuses, (method, path)
