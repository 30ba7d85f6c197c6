"""Dialect helpers for the few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from lms.extensions import db


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def dialect_insert(table: Table) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support on both databases."""
    return (postgresql if is_postgres() else sqlite).insert(table)
