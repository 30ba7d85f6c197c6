"""How statements are stored: packed JSON, key rows, whole batches, the migration to them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
import zstandard
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from lms.extensions import db
from lms.xapi import queries
from lms.xapi.constants import KeyKind
from lms.xapi.keys import key_id, key_value, xapi_time
from lms.xapi.models import Statement, StatementKey
from lms.xapi.statements import key_values
from lms.xapi.validation import agent_ifi, statement_index
from tests.conftest import _create_postgres_database, _drop_postgres_database, make_test_app
from tests.xapi.conftest import Lrs, new_id, statement

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
BEFORE_PACKING = "8a3e6b2c4f17"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Statement)) or 0,
        db.session.scalar(select(func.count()).select_from(StatementKey)) or 0,
    )


def test_statement_is_stored_as_a_zstd_frame_of_its_json(lrs: Lrs) -> None:
    """Any zstd tool reads a stored statement: one standard frame of the JSON text."""
    (statement_id,) = lrs.post(statement()).json
    raw = db.session.execute(
        sa.text("SELECT statement FROM xapi_statements WHERE statement_id = :id").bindparams(
            sa.bindparam("id", type_=sa.Uuid(as_uuid=False))
        ),
        {"id": statement_id},
    ).scalar_one()
    assert bytes(raw).startswith(ZSTD_MAGIC)
    stored = orjson.loads(zstandard.ZstdDecompressor().decompress(bytes(raw)))
    assert stored == lrs.get(params={"statementId": statement_id}).json


def test_batch_failing_in_the_middle_stores_no_statement_and_no_key(lrs: Lrs) -> None:
    """Communication 3.2.s3.b9: statement 50 of 100 conflicts; nothing of the batch stays."""
    taken = new_id()
    assert lrs.put(statement(id=taken), taken).status_code == 204
    before = _counts()
    batch = [statement(id=new_id()) for _ in range(100)]
    batch[49] = statement(id=taken, result={"completion": True})
    response = lrs.post(batch)
    assert response.status_code == 409
    assert _counts() == before
    assert lrs.get(params={"statementId": batch[0]["id"]}).status_code == 404


def test_retried_batch_stores_statements_and_keys_once(lrs: Lrs) -> None:
    """Communication 2.1.1.s2.b2: a batch sent again (a client's retry) changes nothing."""
    batch = [
        statement(id=new_id(), context={"registration": new_id()}),
        *(statement(id=new_id()) for _ in range(99)),
    ]
    first = lrs.post(batch)
    assert first.status_code == 200
    after_first = _counts()
    again = lrs.post(batch)
    assert again.status_code == 200
    assert again.json == first.json
    assert _counts() == after_first
    registration = batch[0]["context"]["registration"]
    assert lrs.ids(registration=registration) == [batch[0]["id"]]


def test_key_rows_hold_the_key_ids_of_the_statement(lrs: Lrs) -> None:
    """A filter finds a statement through ``key_id(kind, value)`` rows at its stored time."""
    actor = {"objectType": "Agent", "mbox": "mailto:lan@example.vn"}
    (statement_id,) = lrs.post(statement(actor=actor)).json
    row = db.session.scalars(select(Statement).where(Statement.statement_id == statement_id)).one()
    keys = db.session.execute(
        select(StatementKey.key, StatementKey.stored).where(StatementKey.seq == row.seq)
    ).all()
    assert key_id(KeyKind.agent, key_value(agent_ifi(actor))) in {k for k, _ in keys}
    assert {stored for _, stored in keys} == {row.stored}


# --- the migration from JSON and text keys ---------------------------------------------


@pytest.fixture
def old_layout_app(tmp_path: Path) -> Iterator[Flask]:
    admin_url = os.environ.get("LMS_TEST_DATABASE_URL")
    if admin_url:
        url, name = _create_postgres_database(admin_url)
    else:
        url = f"sqlite:///{tmp_path / 'old_layout.sqlite3'}"
    app = make_test_app(url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if admin_url:
        _drop_postgres_database(admin_url, name)


def _old_row(conn: sa.Connection, seq: int, stmt: dict, stored: datetime) -> None:
    """A statement as the LRS stored it before: JSON, and (kind, value) key rows."""
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    statements = sa.table(
        "xapi_statements",
        *(sa.column(c) for c in ("seq", "statement_id", "verb_id", "object_type", "voiding")),
        sa.column("object_statement_ref"),
        sa.column("authority_ifi"),
        sa.column("stored", sa.DateTime(timezone=True)),
        sa.column("statement", json_type),
    )
    ix = statement_index(stmt)
    conn.execute(
        statements.insert().values(
            seq=seq,
            statement_id=stmt["id"].replace("-", "")
            if conn.dialect.name == "sqlite"
            else stmt["id"],
            stored=stored if conn.dialect.name != "sqlite" else stored.replace(tzinfo=None),
            verb_id=ix.verb_id,
            object_type=ix.object_type,
            voiding=False,
            object_statement_ref=None,
            authority_ifi="account:https://lms146.example.vn|old",
            statement=stmt,
        )
    )
    keys = sa.table(
        "xapi_statement_keys",
        sa.column("kind"),
        sa.column("value"),
        sa.column("seq"),
        sa.column("stored", sa.DateTime(timezone=True)),
    )
    conn.execute(
        keys.insert(),
        [
            {
                "kind": int(kind),
                "value": value,
                "seq": seq,
                "stored": stored if conn.dialect.name != "sqlite" else stored.replace(tzinfo=None),
            }
            for kind, value in key_values(ix)
        ],
    )


def test_migration_packs_statements_and_keeps_every_filter(old_layout_app: Flask) -> None:
    """Statements stored before the packed layout are found by the same filters after it."""
    stored = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    registration = new_id()
    long_activity = "https://lms146.example.vn/courses/" + "k" * 600  # kept as a digest
    stmt = statement(
        id=new_id(),
        object={"objectType": "Activity", "id": long_activity},
        context={
            "registration": registration,
            "contextActivities": {"parent": [{"id": "https://lms146.example.vn/programs/146"}]},
        },
        authority={
            "objectType": "Agent",
            "account": {"homePage": "https://lms146.example.vn", "name": "old"},
        },
        stored=xapi_time(stored),
        version="1.0.0",
    )
    with old_layout_app.app_context():
        upgrade(directory=str(MIGRATIONS), revision=BEFORE_PACKING)
        with db.engine.begin() as conn:
            _old_row(conn, 1, stmt, stored)
        upgrade(directory=str(MIGRATIONS))
        db.session.remove()
        assert db.session.scalar(select(Statement.statement)) == stmt
        actor = agent_ifi(stmt["actor"])
        for f in (
            queries.StatementFilter(agent=actor),
            queries.StatementFilter(activity=long_activity),
            queries.StatementFilter(verb=stmt["verb"]["id"], activity=long_activity),
            queries.StatementFilter(registration=registration),
            queries.StatementFilter(
                activity="https://lms146.example.vn/programs/146", related_activities=True
            ),
        ):
            page = queries.find(f)
            assert [orjson.loads(r.raw)["id"] for r in page.rows] == [stmt["id"]], f


def test_a_batch_stores_every_index_column_as_computed(lrs: Lrs) -> None:
    """The batch's columns go to PostgreSQL as arrays put together by hand
    (lms.xapi.pgarrays): NULLs, text beyond ASCII, UUIDs in capitals and the voiding flag
    come out as the index says."""
    target = new_id()
    registration = new_id().upper()
    batch = [
        statement(id=target, context={"registration": registration}),
        statement(
            id=new_id(),
            actor={"objectType": "Agent", "account": {"homePage": "https://x.vn", "name": "Hòa"}},
            object={"objectType": "StatementRef", "id": target.upper()},
        ),
        statement(
            id=new_id(),
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": target},
        ),
        statement(
            id=new_id().upper(),
            actor={"objectType": "Group", "member": [{"mbox": "mailto:a@x.vn"}]},
        ),
    ]
    response = lrs.post(batch)
    assert response.status_code == 200, response.get_data(as_text=True)
    ids = [i.lower() for i in response.get_json()]
    rows = {
        row.statement_id: row
        for row in db.session.scalars(select(Statement).where(Statement.statement_id.in_(ids)))
    }
    assert len(rows) == 4
    for sent in batch:
        index = statement_index(sent)
        row = rows[str(sent["id"]).lower()]
        assert row.verb_id == index.verb_id
        assert row.actor_ifi == index.actor_ifi
        assert row.object_type == index.object_type
        assert row.object_activity_id == index.object_activity_id
        assert row.object_statement_ref == index.object_statement_ref
        assert row.registration == index.registration
        assert row.voiding is (index.voided_statement_id is not None)
    assert rows[ids[1]].actor_ifi == agent_ifi(batch[1]["actor"])
    assert rows[target].registration == registration.lower()
    assert rows[ids[3]].actor_ifi is None
