"""Closing and reopening a year by parallel identical requests: one closing, one reopening."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from lms.auth.models import Role
from lms.org.models import Unit, UnitKind
from lms.stats import services
from lms.stats.models import Indicator, IndicatorTarget, ReportNumber, StatSnapshot
from tests.factories import make_unit, make_user
from tests.races import PARALLEL, LiveApi, fire, fresh, one_winner

YEAR = date.today().year - 1


def setup(live: LiveApi) -> tuple[str, int, str]:
    with live.data():
        province = make_unit(fresh("P"), kind=UnitKind.province)
        admin = make_user(f"{fresh('admin')}@example.vn", roles=(Role.admin,), unit=province)
        code, unit_id, admin_id = province.code, province.id, admin.id
    return code, unit_id, live.token(admin_id)


def snapshots(live: LiveApi, unit_id: int) -> int:
    with live.data() as db:
        return int(
            db.session.scalar(
                select(func.count()).where(
                    StatSnapshot.unit_id == unit_id, StatSnapshot.year == YEAR
                )
            )
            or 0
        )


def test_parallel_closings_close_once(live_api: LiveApi) -> None:
    code, unit_id, token = setup(live_api)
    replies = live_api.race(
        "POST", "/api/v1/stats/closures", token=token, json={"unit": code, "year": YEAR}
    )
    won = one_winner(replies, won=201, lost=409)
    assert {r.json["message"] for r in replies if r.status == 409} == {
        f"The figures of {YEAR} are already closed."
    }
    assert snapshots(live_api, unit_id) == 1
    # One report, one document number: the losers took none.
    assert won.json["number"] == 1
    with live_api.data() as db:
        counter = db.session.scalar(
            select(ReportNumber.last).where(ReportNumber.unit_id == unit_id)
        )
    assert counter == 1


def test_parallel_submissions_of_different_years_get_different_numbers(
    live_api: LiveApi,
) -> None:
    code, _unit_id, token = setup(live_api)
    replies = fire(
        PARALLEL,
        lambda i: live_api.request(
            "POST", "/api/v1/stats/closures", token=token, json={"unit": code, "year": YEAR - i}
        ),
    )
    assert [getattr(r, "status", r) for r in replies] == [201] * PARALLEL
    assert sorted(r.json["number"] for r in replies) == list(range(1, PARALLEL + 1))


def test_parallel_reopenings_reopen_once(live_api: LiveApi) -> None:
    code, unit_id, token = setup(live_api)
    with live_api.data() as db:
        unit = db.session.get(Unit, unit_id)
        services.close_year(unit, YEAR, by=make_user(roles=(Role.admin,), unit=unit))
    assert snapshots(live_api, unit_id) == 1
    replies = live_api.race(
        "DELETE",
        f"/api/v1/stats/closures/{code}/{YEAR}",
        token=token,
        json={"reason": "Gửi nhầm số liệu"},
    )
    # The losers get what a reopening of a year not closed gets.
    one_winner(replies, won=204, lost=404)
    assert snapshots(live_api, unit_id) == 0


def test_parallel_indicator_creations_create_one(live_api: LiveApi) -> None:
    code, unit_id, token = setup(live_api)
    body = {
        "plan_unit": code,
        "code": "experts_trained",
        "title": "Chuyên gia CĐS",
        "kind": "count_people",
        "targets": {"2025": 20},
    }
    replies = live_api.race("POST", "/api/v1/indicators", token=token, json=body)
    one_winner(replies, won=201, lost=409)
    with live_api.data() as db:
        ids = db.session.scalars(select(Indicator.id).where(Indicator.plan_unit_id == unit_id))
        (indicator_id,) = list(ids)
        targets = db.session.scalar(
            select(func.count()).where(IndicatorTarget.indicator_id == indicator_id)
        )
        assert targets == 1


def test_parallel_deletions_of_an_indicator_delete_it_once(live_api: LiveApi) -> None:
    """One 204; the others find it gone, as a deletion after it would (404)."""
    code, _unit_id, token = setup(live_api)
    created = live_api.request(
        "POST",
        "/api/v1/indicators",
        token=token,
        json={"plan_unit": code, "code": "gone", "title": "Xoá", "kind": "count_people"},
    )
    assert created.status == 201, created
    replies = live_api.race("DELETE", f"/api/v1/indicators/{created.json['id']}", token=token)
    one_winner(replies, won=204, lost=404)
    with live_api.data() as db:
        assert db.session.get(Indicator, created.json["id"]) is None
