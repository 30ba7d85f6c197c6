from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask

from lms.auth.models import Role
from lms.org import services
from tests.factories import make_user
from tests.org.conftest import MERGER


@pytest.fixture
def views_client(app: Flask, db: Any) -> Any:
    """A client of an app with the tree page, sharing the test's transaction.

    The page's blueprint (``lms.org.views:bp``) may not be in ``BLUEPRINTS`` yet; a second
    app built the same way gets it, and the test's session is shared through ``db``.
    """
    if "org_views" in app.blueprints:
        return app.test_client()
    from lms.org.views import bp
    from tests.conftest import make_test_app

    other = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"])
    other.register_blueprint(bp)
    return other.test_client()


def login(client: Any, user: Any) -> None:
    response = client.post(
        "/login", data={"login": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302


def test_admin_sees_roots_and_a_unit_with_history(
    views_client: Any, tree: dict, admin: Any
) -> None:
    services.import_headcounts(
        [
            {"unit": u, "target_group": "official", "year": 2024, "count": 10}
            for u in ("HD", "HD-KM")
        ],
        by=None,
    )
    services.merge_unit(tree["HD"], tree["HP"], on=MERGER, by=None)
    login(views_client, admin)
    roots = views_client.get("/units")
    assert roots.status_code == 200
    page = roots.get_data(as_text=True)
    assert "Thành phố Hải Phòng" in page
    assert "Tỉnh Hải Dương" not in page
    assert "Tỉnh Hải Dương" not in views_client.get("/units/HP").get_data(as_text=True)
    assert "Tỉnh Hải Dương" in views_client.get("/units/HP?closed=1").get_data(as_text=True)
    hd = views_client.get("/units/HD?year=2024&closed=1").get_data(as_text=True)
    assert "01/07/2025" in hd  # the placement under HP since the merger
    assert "Thành phố Hải Phòng" in hd
    assert "Huyện Kim Môn" in hd  # below it on its last day
    assert '<td class="num">20 <span class="muted small">(2)</span>' in hd  # 2024: HD + HD-KM


def test_official_starts_at_own_unit_and_cannot_see_others(views_client: Any, tree: dict) -> None:
    official = make_user(roles=(Role.official,), unit=tree["HP-LC"])
    login(views_client, official)
    response = views_client.get("/units")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/units/HP-LC")
    page = views_client.get("/units/HP-LC").get_data(as_text=True)
    assert "Tổ 1" in page
    assert views_client.get("/units/HP").status_code == 404
    assert views_client.get(f"/units/HP-LC?year={date.today().year}x").status_code == 200


def test_learners_are_refused(views_client: Any, learner: Any) -> None:
    login(views_client, learner)
    assert views_client.get("/units").status_code == 403
