"""Entries record who, when, from where, what and why, and cannot be changed or deleted."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.audit.models import AuditEntry, AuditLogIsAppendOnly
from lms.extensions import db
from tests.audit.conftest import Headers, People, entries


def _one(people: People) -> AuditEntry:
    return audit.record(
        AuditAction.user_deactivated, people.learner, actor=people.world.admin, reason="Thử"
    )


def test_an_entry_says_who_when_from_where_what_and_why(
    client: FlaskClient, people: People, bearer: Headers
) -> None:
    learner, admin = people.learner, people.world.admin
    response = client.patch(
        f"/api/v1/users/{learner.id}",
        json={"active": False},
        headers=bearer(admin)
        | {"User-Agent": "curl/8.5", "X-Request-ID": "req-146", "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 200
    [entry] = entries(AuditAction.user_deactivated)
    assert (entry.actor_id, entry.actor_name) == (admin.id, admin.full_name)
    assert entry.at is not None
    assert entry.address == "198.51.100.7"  # LMS_PROXY_HOPS=0: X-Forwarded-For is not trusted
    assert entry.user_agent == "curl/8.5"
    assert entry.request_id == "req-146"
    assert (entry.target_type, entry.target_id) == ("user", str(learner.id))
    assert entry.summary == learner.full_name
    assert entry.unit_id == people.units["HP-HONGBANG"].id


def test_the_command_line_is_recorded_as_the_command_and_the_shell_user(
    app: Flask, people: People
) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "--login", people.learner.email, "--password", "mới-146-xx"]
    )
    assert result.exit_code == 0, result.output
    [entry] = entries(AuditAction.user_password_set)
    assert entry.actor_id is None
    assert entry.address is None
    assert entry.user_agent is not None
    assert entry.user_agent.startswith("cli: ")
    assert "users set-password" in entry.user_agent
    assert "mới-146-xx" not in entry.user_agent  # the arguments are never kept


def test_the_orm_refuses_to_change_or_delete_an_entry(people: People) -> None:
    entry = _one(people)
    entry.reason = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    entry = _one(people)
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


#: SQL that bypasses the ORM; TRUNCATE exists on PostgreSQL only.
BYPASSES = {
    "orm-update": update(AuditEntry).values(reason="rewritten"),
    "orm-delete": delete(AuditEntry),
    "sql-update": text("UPDATE audit_entries SET actor_name = 'someone else'"),
    "sql-delete": text("DELETE FROM audit_entries"),
} | (
    {"truncate": text("TRUNCATE audit_entries")} if os.environ.get("LMS_TEST_DATABASE_URL") else {}
)


@pytest.mark.parametrize("statement", list(BYPASSES.values()), ids=list(BYPASSES))
def test_the_database_refuses_to_change_or_delete_an_entry(
    people: People, statement: object
) -> None:
    """A trigger refuses it, on SQLite and on PostgreSQL."""
    entry = _one(people)
    refused = pytest.raises(DBAPIError, match="audit entries cannot be changed or deleted")
    with refused, db.session.begin_nested():
        db.session.execute(statement)  # type: ignore[call-overload]
    db.session.expire_all()
    assert db.session.get(AuditEntry, entry.id).reason == "Thử"


def test_an_entry_is_written_with_its_act_or_not_at_all(people: People) -> None:
    """The entry shares the act's transaction: an act rolled back leaves no entry."""
    with db.session.begin_nested() as savepoint:
        _one(people)
        savepoint.rollback()
    assert entries() == []
