"""The dashboard as an official reads it: Vietnamese formats, Vietnamese order, results of
past years, and the units of the year shown."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.extensions import db
from lms.org import services as org
from lms.org.models import Headcount
from tests.stats.conftest import Y0, Y1, Y2, World

PASSWORD = "correct horse battery"


@pytest.fixture
def official(client: FlaskClient, world: World) -> FlaskClient:
    from tests.factories import make_user

    user = make_user(roles=("official",), unit=world.P, password=PASSWORD)
    db.session.flush()
    response = client.post("/login", data={"login": user.email, "password": PASSWORD})
    assert response.status_code in {302, 303}, response.text
    return client


def _officials_in_b(world: World, count: int) -> None:
    row = db.session.scalar(
        select(Headcount).where(
            Headcount.unit_id == world.B.id,
            Headcount.target_group == "official",
            Headcount.year == Y2,
        )
    )
    assert row is not None
    row.count = count
    db.session.flush()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _card(html: str, code: str) -> str:
    start = html.index(f'data-code="{code}"')
    return _text(html[start : html.index("</article>", start)])


def test_numbers_shares_and_head_counts_in_vietnamese(official: FlaskClient, world: World) -> None:
    # 180.010 officials to train: the denominator needs a thousands separator.
    _officials_in_b(world, 179_995)
    html = official.get(f"/dashboard?unit=P&year={Y2}").text
    officials = _card(html, "officials_trained")
    assert "2 / 180.010" in officials
    assert "0,0%" in officials  # 2 of 180.010
    assert "180010" not in html
    experts = _card(html, "experts_trained")
    assert "người" in experts  # a head-count target is people, not "24.0"
    assert not re.search(r"mục tiêu \d+\.\d", _text(html))
    assert "/12/" in html
    assert str(Y2) in html


def test_people_without_a_group_are_named_so(official: FlaskClient, world: World) -> None:
    from tests.factories import make_user
    from tests.stats.conftest import issue

    person = make_user(unit=world.A, target_group=None)
    issue(person, world.course, date(Y2, 2, 1), unit=world.A, target_group=None, issuing=world.A)
    html = official.get(f"/dashboard?unit=P&year={Y2}").text
    assert "<td>Chưa xác định đối tượng</td>" in html
    assert "<td>—</td>" not in html


def test_english_readers_get_english_formats(official: FlaskClient, world: World) -> None:
    with official.session_transaction() as session:
        session["lang"] = "en"
    _officials_in_b(world, 179_995)
    officials = _card(official.get(f"/dashboard?unit=P&year={Y2}").text, "officials_trained")
    assert "2 / 180,010" in officials
    assert "0.0%" in officials


def test_past_years_show_results_not_forecasts(official: FlaskClient, world: World) -> None:
    past = official.get(f"/dashboard?unit=P&year={Y1}").text
    assert "Dự báo" not in past
    assert "dự báo" not in past
    assert "15,0%" in _card(past, "officials_trained")  # 3 of 20 at the end of Y1
    assert "không đạt mục tiêu" in _card(past, "officials_trained")
    now = official.get(f"/dashboard?unit=P&year={Y2}").text
    assert "dự báo" in _card(now, "officials_trained")


def _add_units(world: World) -> None:
    for code, name in (
        ("P-KM", "Kinh Môn"),
        ("P-DS", "Đồ Sơn"),
        ("P-HA", "Hải An"),
        ("P-DK", "Dương Kinh"),
        ("P-KA", "Kiến An"),
        ("P-TN", "Thủy Nguyên"),
    ):
        org.create_unit(code=code, name=name, kind="commune", parent=world.P, by=None)
    db.session.flush()


def test_units_are_listed_in_vietnamese_order(official: FlaskClient, world: World) -> None:
    _add_units(world)
    html = official.get(f"/dashboard?unit=P&year={Y1}").text
    table = html[html.index('<table class="units">') :]
    names = re.findall(r'dashboard\?unit=[A-Z-]+&amp;year=\d+">([^<]+)</a>', table)
    assert names == [
        "Dương Kinh",
        "Đồ Sơn",
        "Hải An",
        "Kiến An",
        "Kinh Môn",
        "Thủy Nguyên",
        "Tỉnh Q",  # merged into P on 1 July: a unit of that year
        "Trường S",
        "Xã A",
        "Xã B",
        "Xã C",
    ]


def test_a_year_lists_the_units_of_that_year(official: FlaskClient, world: World) -> None:
    # A ward created on 1 July of Y1 is no unit of Y0's tables (Quảng Trị's 2024 table listed
    # wards that exist only from 1 July 2025).
    org.create_unit(
        code="P-NEW",
        name="Phường Mới",
        kind="commune",
        parent=world.P,
        valid_from=date(Y1, 7, 1),
        by=None,
    )
    db.session.flush()
    assert "Phường Mới" not in official.get(f"/dashboard?unit=P&year={Y0}").text
    assert "Phường Mới" in official.get(f"/dashboard?unit=P&year={Y1}").text


@pytest.mark.parametrize("year", ["abc", "99999", "1900"])
def test_odd_years_show_this_year(official: FlaskClient, world: World, year: Any) -> None:
    assert official.get(f"/dashboard?unit=P&year={year}").status_code == 200
