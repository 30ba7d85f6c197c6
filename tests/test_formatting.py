"""Numbers, shares, head counts, dates and times as officials read them, in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask, render_template_string, session

from lms import formatting as fmt


def test_numbers_and_shares_in_vietnamese(app: Flask) -> None:
    with app.test_request_context():
        assert fmt.number(180010) == "180.010"
        assert fmt.number(24.0) == "24"
        assert fmt.number(12.5) == "12,5"
        assert fmt.number(1234.56, 2) == "1.234,56"
        assert fmt.percent(14.4) == "14,4%"
        assert fmt.percent(100) == "100,0%"
        assert fmt.percent(13.333) == "13,3%"
        assert fmt.people(24.0) == "24 người"
        assert fmt.people(180010) == "180.010 người"
        assert fmt.number(None) == fmt.percent(None) == fmt.people(None) == "—"
        assert fmt.number("Completed") == fmt.percent("Completed") == "Completed"
        assert fmt.number(True) == "True"


def test_numbers_and_shares_in_english(app: Flask) -> None:
    with app.test_request_context():
        assert fmt.number(180010, lang="en") == "180,010"
        assert fmt.percent(14.4, lang="en") == "14.4%"
    with app.test_request_context():
        session["lang"] = "en"  # the reader chose English
        assert fmt.number(180010) == "180,010"
        assert fmt.people(24.0) == "24 people"
        assert fmt.people(1) == "1 person"


def test_dates_are_day_month_year_and_moments_local_with_the_zone(app: Flask) -> None:
    with app.test_request_context():
        assert fmt.vdate(date(2026, 12, 6)) == "06/12/2026"
        assert fmt.vdate("2026-12-10") == "10/12/2026"
        # 17:30 UTC on 31 December is already New Year's Day in Viet Nam.
        assert fmt.vdate(datetime(2025, 12, 31, 17, 30, tzinfo=UTC)) == "01/01/2026"
        moment = datetime(2026, 12, 6, 4, 22, tzinfo=UTC)
        assert fmt.vdatetime(moment) == "06/12/2026 11:22 (GMT+07:00)"
        assert fmt.vdatetime("2026-12-06T04:22:00+00:00") == "06/12/2026 11:22 (GMT+07:00)"
        assert fmt.vdatetime(datetime(2026, 12, 6, 4, 22)) == "06/12/2026 11:22 (GMT+07:00)"
        assert fmt.vdate(None) == fmt.vdatetime(None) == "—"


def test_the_zone_is_the_configured_one(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "TIMEZONE", "Asia/Tokyo")
    with app.test_request_context():
        moment = datetime(2026, 12, 6, 4, 22, tzinfo=UTC)
        assert fmt.vdatetime(moment) == "06/12/2026 13:22 (GMT+09:00)"


def test_filters_are_registered_for_templates(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string(
            "{{ 180010|number }} {{ 14.4|percent }} {{ 24.0|people }} "
            "{{ d|vdate }} {{ m|vdatetime }}",
            d=date(2026, 12, 10),
            m=datetime(2026, 12, 6, 4, 22, tzinfo=UTC),
        )
    assert html == "180.010 14,4% 24 người 10/12/2026 06/12/2026 11:22 (GMT+07:00)"


def test_outside_a_request_the_default_locale_applies() -> None:
    assert fmt.number(180010) == "180.010"
    assert fmt.percent(14.4) == "14,4%"


def test_plural_messages_in_templates_take_a_formatted_number(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string(
            '{{ ngettext("%(num)s entry", "%(num)s entries", n, num=n|number) }}', n=12345
        )
    assert html.startswith("12.345 ")
