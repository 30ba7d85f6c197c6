"""The statistics API: figures, exports, the annual report, closing a year, permissions."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from lms.auth.models import Role
from lms.stats import services
from tests.factories import make_user
from tests.stats.conftest import Y0, Y1, Y2, World


def test_indicator_figures_json(client, world: World, auth_headers) -> None:
    response = client.get(
        f"/api/v1/stats/indicators?unit=P&year={Y1}", headers=auth_headers(world.admin)
    )
    assert response.status_code == 200
    body = response.json
    assert (body["unit"], body["year"], body["closed"]) == ("P", Y1, False)
    officials = next(i for i in body["items"] if i["code"] == "officials_trained")
    assert (officials["numerator"], officials["denominator"], officials["value"]) == (3, 20, 15.0)
    assert officials["target"] == 100.0 if Y1 >= 2025 else officials["target"] is not None


def test_indicator_figures_csv_and_xlsx_carry_the_same_numbers(
    client, world: World, auth_headers
) -> None:
    headers = auth_headers(world.admin)
    response = client.get(f"/api/v1/stats/indicators?unit=P&year={Y2}&format=csv", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    officials = next(r for r in rows if r["Mã chỉ tiêu"] == "officials_trained")
    assert (officials["Số đạt"], officials["Tổng số"], officials["Kết quả"]) == ("2", "25", "8,0%")
    assert (officials["Đơn vị"], officials["Đối tượng"]) == (
        "Tỉnh P",
        "Cán bộ, công chức, viên chức",
    )
    assert officials["Chưa xác định đơn vị, đối tượng"] == "1"
    response = client.get(f"/api/v1/stats/indicators?unit=P&year={Y2}&format=xlsx", headers=headers)
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == f"Chỉ tiêu năm {Y2}"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[0]
    row = next(r for r in values[1:] if r[-1] == "officials_trained")
    record = dict(zip(header, row, strict=True))
    assert (record["Số đạt"], record["Tổng số"], record["Kết quả"]) == (2, 25, 0.08)
    result = sheet.cell(row=values.index(row) + 1, column=header.index("Kết quả") + 1)
    assert result.number_format == "0.0%"


@pytest.mark.parametrize("path", ["/api/v1/stats/indicators", "/api/v1/stats/completions"])
def test_every_format_the_figures_come_in_is_in_the_api_document(
    client, world: World, auth_headers, path: str
) -> None:
    """Found by schemathesis (as an official, another seed): ``format=xlsx`` answered a
    media type the document did not list for the 200 (only JSON), which a client refuses."""
    documented = client.get("/api/v1/openapi.json").json["paths"][path]["get"]["responses"]
    for fmt in ("json", "csv", "xlsx"):
        response = client.get(
            f"{path}?unit=P&year={Y2}&format={fmt}", headers=auth_headers(world.admin)
        )
        assert response.status_code == 200
        assert response.mimetype in documented["200"]["content"], fmt


def test_exports_speak_the_readers_language(client, world: World, auth_headers) -> None:
    headers = auth_headers(world.admin) | {"Accept-Language": "en"}
    response = client.get(f"/api/v1/stats/indicators?unit=P&year={Y2}&format=csv", headers=headers)
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    officials = next(r for r in rows if r["Indicator code"] == "officials_trained")
    assert officials["Result"] == "8.0%"
    assert officials["Target group"] == "Officials and public employees"
    assert "Forecast at the cut-off" in officials


def test_past_years_export_results_not_forecasts(client, world: World, auth_headers) -> None:
    headers = auth_headers(world.admin)
    response = client.get(f"/api/v1/stats/indicators?unit=P&year={Y1}&format=csv", headers=headers)
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert "Dự báo đến hạn báo cáo" not in rows[0]
    officials = next(r for r in rows if r["Mã chỉ tiêu"] == "officials_trained")
    assert (officials["Kết quả"], officials["Đánh giá"]) == ("15,0%", "không đạt mục tiêu")


def test_breakdowns_name_units_and_groups(client, world: World, auth_headers) -> None:
    headers = auth_headers(world.admin)
    response = client.get(
        f"/api/v1/stats/completions?unit=P&year={Y1}&group_by=unit&format=csv", headers=headers
    )
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert lines[0] == ["Đơn vị", "Hoàn thành khoá học", "Chứng chỉ cấp"]
    assert ["Xã A", "0", "2"] in lines
    response = client.get(
        f"/api/v1/stats/completions?unit=P&year={Y1}&group_by=target_group&format=xlsx",
        headers=headers,
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Theo đối tượng"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Đối tượng", "Hoàn thành khoá học", "Chứng chỉ cấp"]
    assert ["Cán bộ, công chức, viên chức", 0, 2] in values


def test_completions_grouped_by_unit_and_funnel(client, world: World, auth_headers) -> None:
    response = client.get(
        f"/api/v1/stats/completions?unit=P&year={Y1}&group_by=unit",
        headers=auth_headers(world.admin),
    )
    assert response.status_code == 200
    rows = {r["key"]: r for r in response.json["items"]}
    assert rows["P-A"]["certificates"] == 2
    assert set(response.json["funnel"]) >= {"enrolled", "in_progress", "completed", "certified"}


def test_exports_escape_spreadsheet_formulas(client, world: World, auth_headers) -> None:
    world.B.name = '=HYPERLINK("http://evil")'
    response = client.get(
        f"/api/v1/stats/completions?unit=P&year={Y1}&group_by=unit&format=csv",
        headers=auth_headers(world.admin),
    )
    assert "'=HYPERLINK" in response.data.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("roles", "unit_code", "asked", "status"),
    [
        ((Role.official,), "P", "P", 200),
        ((Role.official,), "P-A", "P-A", 200),
        ((Role.official,), "P-A", "P", 403),
        ((Role.official,), "P-A", "P-B", 403),
        ((Role.learner,), "P", "P", 403),
        ((Role.trainer,), "P", "P", 403),
    ],
)
def test_officials_see_only_their_subtree(
    client, world: World, auth_headers, roles, unit_code, asked, status
) -> None:
    unit = {"P": world.P, "P-A": world.A}[unit_code]
    user = make_user(roles=roles, unit=unit)
    response = client.get(f"/api/v1/stats/indicators?unit={asked}", headers=auth_headers(user))
    assert response.status_code == status
    if status != 200:
        assert response.json["code"] == status


def test_stats_need_authentication(client, world: World) -> None:
    response = client.get("/api/v1/stats/indicators?unit=P")
    assert response.status_code == 401
    assert response.json["status"] == "Unauthorized"


def test_bad_query_parameters_are_422_with_the_field(client, world: World, auth_headers) -> None:
    response = client.get(
        "/api/v1/stats/completions?unit=P&group_by=weekday&year=abc",
        headers=auth_headers(world.admin),
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"group_by", "year"}


def test_unknown_unit_is_404(client, world: World, auth_headers) -> None:
    response = client.get("/api/v1/stats/indicators?unit=NOPE", headers=auth_headers(world.admin))
    assert response.status_code == 404


def test_annual_report_pdf_contains_the_figures(client, world: World, auth_headers) -> None:
    response = client.get(
        f"/api/v1/stats/annual-report?unit=P&year={Y1}&format=pdf",
        headers=auth_headers(world.admin),
    )
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(response.data)).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "BÁO CÁO Kết quả thực hiện Đề án “Nâng cao nhận thức" in text
    assert f"năm {Y1}" in text
    assert "Cán bộ, công chức, viên chức được bồi dưỡng kỹ năng số" in text
    assert "15,0%" in text  # officials: 3 of 20
    assert "Xã A" in text
    assert "Khoá cb" in text


def test_annual_report_xlsx_has_every_part(client, world: World, auth_headers) -> None:
    response = client.get(
        f"/api/v1/stats/annual-report?unit=P&year={Y1}&format=xlsx",
        headers=auth_headers(world.admin),
    )
    workbook = load_workbook(io.BytesIO(response.data))
    assert {"Chỉ tiêu", "Theo đơn vị", "Theo đối tượng", "Theo khoá học", "Lớp học"} <= set(
        workbook.sheetnames
    )


def test_closing_a_year_keeps_the_report_as_sent(client, world: World, auth_headers) -> None:
    headers = auth_headers(world.admin)
    response = client.post(
        "/api/v1/stats/closures", json={"unit": "P", "year": Y0}, headers=headers
    )
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"/stats/closures/P/{Y0}")
    # a late certificate for Y0 changes the live figures, not the closed ones
    from tests.stats.conftest import issue

    issue(
        world.users["u3"],
        world.course,
        date(Y0, 9, 1),
        unit=world.B,
        target_group="official",
        issuing=world.B,
    )
    side = client.get(f"/api/v1/stats/closures/P/{Y0}", headers=headers).json
    closed = next(
        i for i in side["closed"]["payload"]["indicators"] if i["code"] == "officials_trained"
    )
    live = next(i for i in side["live"]["indicators"] if i["code"] == "officials_trained")
    assert (closed["numerator"], live["numerator"]) == (1, 2)
    again = client.post("/api/v1/stats/closures", json={"unit": "P", "year": Y0}, headers=headers)
    assert again.status_code == 409
    pdf = client.get(
        f"/api/v1/stats/annual-report?unit=P&year={Y0}&format=pdf&closed=true", headers=headers
    )
    assert pdf.status_code == 200


def test_closing_before_submission_opens_is_refused(world: World) -> None:
    """Closing is submitting the report: open from 1 December (Vietnam time), due by the
    deadline, accepted (as late) after it."""
    from lms.errors import Conflict

    vietnam = ZoneInfo("Asia/Ho_Chi_Minh")
    with pytest.raises(Conflict):
        services.close_year(
            world.P, Y2, by=world.admin, now=datetime(Y2, 11, 30, 23, tzinfo=vietnam)
        )
    snapshot = services.close_year(
        world.P, Y2, by=world.admin, now=datetime(Y2, 12, 1, 0, 30, tzinfo=vietnam)
    )
    assert snapshot.payload["year"] == Y2


def test_indicators_crud_and_validation(client, world: World, auth_headers) -> None:
    headers = auth_headers(world.admin)
    listed = client.get("/api/v1/indicators?unit=P", headers=headers).json
    assert [i["code"] for i in listed][:2] == ["leaders_trained", "officials_trained"]
    bad = client.post(
        "/api/v1/indicators",
        json={"plan_unit": "P", "code": "x", "title": "", "kind": "share_of_headcount", "extra": 1},
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"code", "title", "extra"}
    newline = client.post(
        "/api/v1/indicators",
        json={"plan_unit": "P", "code": "trained\n", "title": "x", "kind": "count_people"},
        headers=headers,
    )
    assert newline.status_code == 422
    assert set(newline.json["errors"]) == {"code"}
    no_group = client.post(
        "/api/v1/indicators",
        json={"plan_unit": "P", "code": "xy", "title": "T", "kind": "share_of_headcount"},
        headers=headers,
    )
    assert no_group.status_code == 422
    assert set(no_group.json["errors"]) == {"target_group"}
    made = client.post(
        "/api/v1/indicators",
        json={
            "plan_unit": "P",
            "code": "teachers_trained",
            "title": "Giáo viên được bồi dưỡng",
            "kind": "share_of_headcount",
            "target_group": "teacher",
            "qualifying_code": "schools_stem",
            "targets": {"2025": 50, "2030": 100},
        },
        headers=headers,
    )
    assert made.status_code == 201, made.json
    dup = client.post(
        "/api/v1/indicators",
        json={"plan_unit": "P", "code": "teachers_trained", "title": "x", "kind": "count_people"},
        headers=headers,
    )
    assert dup.status_code == 409
    patched = client.patch(
        f"/api/v1/indicators/{made.json['id']}", json={"targets": {"2026": 70}}, headers=headers
    )
    assert patched.json["targets"] == {"2025": 50.0, "2026": 70.0, "2030": 100.0}
    assert (
        client.delete(f"/api/v1/indicators/{made.json['id']}", headers=headers).status_code == 204
    )


def test_refused_fields_are_named_in_the_readers_language(
    client, world: World, auth_headers
) -> None:
    """The 422's field messages are for a person (the pages show them too): Vietnamese by
    default, the schema's own ones and marshmallow's alike."""
    body = {"plan_unit": "P", "code": "new_share", "title": "Tỷ lệ", "kind": "share_of_headcount"}
    url, headers = "/api/v1/indicators", auth_headers(world.admin)
    vi = client.post(url, json=body, headers=headers)
    assert vi.status_code == 422
    assert vi.get_json()["errors"] == {
        "target_group": ["Chỉ tiêu tỷ lệ theo số người cần có đối tượng."]
    }
    unknown = client.post(url, json={**body, "x": 1, "title": "a" * 301}, headers=headers)
    assert unknown.get_json()["errors"] == {
        "x": ["Trường không xác định."],
        "title": ["Độ dài phải từ 1 đến 300."],
    }


def test_refused_fields_are_named_in_english_for_who_asks(
    client, world: World, auth_headers
) -> None:
    body = {"plan_unit": "P", "code": "new_share", "title": "a" * 301, "x": 1}
    headers = auth_headers(world.admin) | {"Accept-Language": "en"}
    errors = client.post("/api/v1/indicators", json=body, headers=headers).get_json()["errors"]
    assert errors["x"] == ["Unknown field."]
    assert errors["title"] == ["Length must be between 1 and 300."]


def test_every_surface_reads_the_same_figures(
    app, client, world: World, auth_headers, tmp_path
) -> None:
    """One figure, every surface: the API's JSON, its CSV and XLSX, the annual report's JSON,
    XLSX and PDF, the dashboard and the command line give each indicator of P in Y1 (a merger
    that year, a revocation the next) the same numerator, denominator and share."""
    import json
    import re

    from lms import formatting
    from lms.extensions import db
    from tests.catalog.helpers import login

    headers = auth_headers(world.admin)
    base = f"/api/v1/stats/indicators?unit=P&year={Y1}"
    items = {i["code"]: i for i in client.get(base, headers=headers).json["items"]}
    shares = {c: i for c, i in items.items() if i["kind"] != "count_people"}
    assert items["officials_trained"]["numerator"] == 3  # the hand count of test_figures
    expected = {c: (i["numerator"], i["denominator"], i["value"]) for c, i in items.items()}

    rows = list(csv.DictReader(io.StringIO(client.get(base + "&format=csv", headers=headers).text)))
    by_code = {r["Mã chỉ tiêu"]: r for r in rows}
    for code, (num, den, value) in expected.items():
        row = by_code[code]
        assert row["Số đạt"] == formatting.number(num, lang="vi")
        assert row["Tổng số"] == (formatting.number(den, lang="vi") if den is not None else "")
        if code in shares:
            assert row["Kết quả"] == (
                formatting.percent(value, lang="vi") if value is not None else ""
            )

    sheet = load_workbook(
        io.BytesIO(client.get(base + "&format=xlsx", headers=headers).data)
    ).active
    table = [[c.value for c in r] for r in sheet.iter_rows()]
    xlsx = {r[-1]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    for code, (num, den, value) in expected.items():
        assert (xlsx[code]["Số đạt"], xlsx[code]["Tổng số"]) == (num, den)
        if code in shares and value is not None:
            assert xlsx[code]["Kết quả"] == pytest.approx(value / 100)

    report = f"/api/v1/stats/annual-report?unit=P&year={Y1}"
    data = client.get(report + "&format=json", headers=headers).json
    assert {
        i["code"]: (i["numerator"], i["denominator"], i["value"]) for i in data["indicators"]
    } == expected
    book = load_workbook(io.BytesIO(client.get(report + "&format=xlsx", headers=headers).data))
    sheet_rows = list(book["Chỉ tiêu"].iter_rows(values_only=True))[1:]
    titles = {i["title"]: c for c, i in items.items()}
    assert {titles[r[0]]: (r[3], r[4], r[5]) for r in sheet_rows} == expected
    pdf = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(client.get(report, headers=headers).data)).pages
    )
    for code, (_num, _den, value) in expected.items():
        if code in shares and value is not None:
            assert formatting.percent(value, lang="vi") in pdf

    runner = app.test_cli_runner()
    output = tmp_path / "p.json"
    done = runner.invoke(
        args=[
            "reports",
            "annual",
            "--unit",
            "P",
            "--year",
            str(Y1),
            "--format",
            "json",
            "-o",
            str(output),
        ]
    )
    assert done.exit_code == 0, done.output
    written = json.loads(output.read_text(encoding="utf-8"))
    assert {
        i["code"]: (i["numerator"], i["denominator"], i["value"]) for i in written["indicators"]
    } == expected

    official = make_user(roles=(Role.official,), unit=world.P)
    db.session.flush()
    login(client, official)
    page = client.get(f"/dashboard?unit=P&year={Y1}").text
    for code, (num, den, value) in expected.items():
        start = page.index(f'data-code="{code}"')
        card = re.sub(
            r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start : page.index("</article>", start)])
        )
        if code in shares:
            assert formatting.percent(value, lang="vi") in card
            assert (
                f"{formatting.number(num, lang='vi')} / {formatting.number(den, lang='vi')}" in card
            )
