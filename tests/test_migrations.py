"""The Alembic revisions build exactly the schema the models describe, and tear it down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from lms.extensions import db
from tests.conftest import throwaway_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database: the migrations build the schema."""
    with throwaway_app(tmp_path, schema=False) as app:
        yield app


def test_there_is_one_head() -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1


def test_upgrade_from_empty_matches_the_models_and_downgrades(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade(directory=str(MIGRATIONS))
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        downgrade(directory=str(MIGRATIONS), revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
