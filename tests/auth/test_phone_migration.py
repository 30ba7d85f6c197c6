"""The migration that rewrites stored phone numbers by the one rule."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from lms.extensions import db
from tests.conftest import throwaway_app

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
BEFORE, AFTER = "e5b2c7d9a418", "c4a9e1f2d3b5"


def test_stored_phones_are_rewritten_once_and_clashes_are_left(tmp_path: Path) -> None:
    with throwaway_app(tmp_path, schema=False) as app, app.app_context():
        upgrade(directory=str(MIGRATIONS), revision=BEFORE)
        stored = {
            1: "912346611",  # the /users import dropped the zero
            2: "+84 988 000 111",
            3: "01682345678",  # an 11-digit mobile from before 2018
            4: "0912345678",
            5: "84912345678",  # the same person as 4 in another spelling: left for an operator
            6: "0912 345 6",  # no number at all
        }
        for uid, phone in stored.items():
            db.session.execute(
                text(
                    "INSERT INTO users (id, phone, full_name, active, created_at, search_text)"
                    " VALUES (:id, :phone, :name, :active, CURRENT_TIMESTAMP, :st)"
                ),
                {"id": uid, "phone": phone, "name": f"N{uid}", "active": True, "st": phone},
            )
        db.session.commit()
        upgrade(directory=str(MIGRATIONS), revision=AFTER)
        rows = dict(db.session.execute(text("SELECT id, phone FROM users")).all())
        search = dict(db.session.execute(text("SELECT id, search_text FROM users")).all())
    assert rows == {
        1: "0912346611",
        2: "0988000111",
        3: "0382345678",
        4: "0912345678",
        5: "84912345678",
        6: "0912 345 6",
    }
    assert search[1] == "n1 0912346611"
