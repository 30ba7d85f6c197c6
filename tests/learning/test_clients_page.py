"""The administrators' page for LRS keys and source platforms (it took two API calls before)."""

from __future__ import annotations

import base64
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.learning.models import SourcePlatform
from lms.xapi.models import LrsClient
from tests.learning.conftest import World, login


def _basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def test_a_key_is_made_shown_once_changed_and_revoked(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    page = client.get("/learning/clients")
    assert page.status_code == 200
    assert "Nền tảng MOOC thử" in page.text
    assert 'src="/static/js/clients.js"' in page.text

    made = client.post(
        "/learning/clients",
        data={"name": "MOOC quốc gia", "scopes": ["statements/write", "statements/read/mine"]},
    )
    assert made.status_code == 201
    assert made.headers["Cache-Control"] == "no-store"
    key = re.search(r'<code id="new-key">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'<code id="new-secret-value">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    assert 'data-copy="new-secret-value"' in made.text
    # The secret works at once, and the page never shows it again.
    assert app.test_client().get("/xapi/statements", headers=_basic(key, secret)).status_code == 200
    again = client.get("/learning/clients")
    assert key in again.text
    assert secret not in again.text

    row = db.session.scalar(select(LrsClient).where(LrsClient.key == key))
    assert row is not None
    assert row.scopes == ["statements/read/mine", "statements/write"]
    changed = client.post(
        f"/learning/clients/{row.id}", data={"name": "MOOC quốc gia", "scopes": ["all/read"]}
    )
    assert changed.status_code == 302
    db.session.refresh(row)
    assert row.scopes == ["all/read"]
    # No permission at all is refused with a message, nothing changes.
    client.post(f"/learning/clients/{row.id}", data={"name": "MOOC quốc gia"})
    db.session.refresh(row)
    assert row.scopes == ["all/read"]
    assert "Choose at least one permission." in client.get("/learning/clients").text

    assert client.post(f"/learning/clients/{row.id}/revoke").status_code == 302
    assert app.test_client().get("/xapi/statements", headers=_basic(key, secret)).status_code == 401
    listed = client.get("/learning/clients").text
    assert "Revoked on" in listed
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"lrs_client.created", "lrs_client.changed", "lrs_client.revoked"} <= actions


def test_a_source_platform_is_registered_with_its_courses_and_units(
    client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    made = client.post("/learning/clients", data={"name": "MOOC tỉnh", "scopes": ["all"]})
    key = re.search(r'<code id="new-key">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    lrs = db.session.scalar(select(LrsClient).where(LrsClient.key == key))
    assert lrs is not None
    # An unknown unit code is refused by name; nothing is registered.
    client.post(
        "/learning/platforms",
        data={"client_id": lrs.id, "name": "MOOC tỉnh", "home_page": "https://m.vn",
              "courses": [world.dvc.slug], "units": "HP, KHONG-CO"},
    )  # fmt: skip
    assert "No unit with code KHONG-CO." in client.get("/learning/clients").text
    assert (
        db.session.scalar(select(SourcePlatform).where(SourcePlatform.client_id == lrs.id)) is None
    )

    done = client.post(
        "/learning/platforms",
        data={"client_id": lrs.id, "name": "MOOC tỉnh", "home_page": "https://m.vn",
              "courses": [world.dvc.slug], "units": "HP-LECHAN", "provision_unknown": "1",
              "default_target_group": "citizen"},
    )  # fmt: skip
    assert done.status_code == 302
    platform = db.session.scalar(select(SourcePlatform).where(SourcePlatform.client_id == lrs.id))
    assert platform is not None
    assert [c.slug for c in platform.courses] == [world.dvc.slug]
    assert [u.code for u in platform.units] == ["HP-LECHAN"]
    assert platform.provision_unknown

    client.post(
        f"/learning/platforms/{platform.id}",
        data={"name": "MOOC tỉnh", "home_page": "https://m.vn",
              "courses": [world.dvc.slug, world.quizzed.slug], "units": "HP"},
    )  # fmt: skip
    db.session.refresh(platform)
    assert sorted(c.slug for c in platform.courses) == sorted([world.dvc.slug, world.quizzed.slug])
    assert [u.code for u in platform.units] == ["HP"]
    assert not platform.active
    assert not platform.provision_unknown


def test_the_page_is_in_vietnamese(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "vi")
    login(client, world.admin)
    text = client.get("/learning/clients").text
    assert "Ứng dụng kết nối LRS và nền tảng nguồn" in text
    assert "Gửi bản ghi" in text
    assert "Send statements" not in text
