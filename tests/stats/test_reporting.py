"""The annual report as an administrative document, and reporting it up the tree.

The world is the small province of ``conftest``: P (report day 15) with the communes A and B,
the school S, and the commune C that came over from Q in the middle of Y1. Submitting is
closing the year (:func:`lms.stats.services.close_year`) at a moment given by the test.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import Role
from lms.errors import Conflict
from lms.extensions import db
from lms.stats import reporting, services
from lms.stats.models import StatSnapshot
from tests.catalog.helpers import login
from tests.factories import make_user
from tests.stats.conftest import Y0, Y1, Y2, World, issue

VN = ZoneInfo("Asia/Ho_Chi_Minh")

SETTINGS = {
    "parent_body": "UBND thành phố Hải Phòng",
    "issuer": "Sở Khoa học và Công nghệ",
    "symbol": "SKHCN",
    "place": "Hải Phòng",
    "signer_authority": "KT. GIÁM ĐỐC",
    "signer_title": "PHÓ GIÁM ĐỐC",
    "signer_name": "Nguyễn Văn Bình",
    "recipients": ["UBND thành phố (để báo cáo);", "Bộ Khoa học và Công nghệ;", "Lưu: VT, CĐS."],
}


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment of Vietnam's clock."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def pdf_text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def in_order(text: str, parts: list[str]) -> list[int]:
    """Where each of ``parts`` is found in ``text``, each after the one before it."""
    found, start = [], 0
    for part in parts:
        index = text.find(part, start)
        assert index >= 0, (
            f"{part!r} not found after position {start}: {text[start : start + 300]!r}"
        )
        found.append(index)
        start = index + len(part)
    return found


def test_the_report_as_sent_is_signed_and_a_draft_is_not(
    client, world: World, auth_headers
) -> None:
    """Issue 17: the annual report PDF is signed (PAdES) as the certificates are."""
    import io
    from concurrent.futures import ThreadPoolExecutor

    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from lms.certificates import pades

    headers = auth_headers(world.admin)
    draft = client.get(f"/api/v1/stats/annual-report?unit=P&year={Y1}", headers=headers).data
    assert PdfFileReader(io.BytesIO(draft)).embedded_signatures == []
    services.close_year(world.P, Y1, by=world.admin, now=at(Y2, 12, 8, 9, 0))
    db.session.commit()
    sent = client.get(f"/api/v1/stats/annual-report?unit=P&year={Y1}", headers=headers).data
    (signature,) = PdfFileReader(io.BytesIO(sent)).embedded_signatures
    ca = pades.demo_ca_certificate()
    assert ca is not None
    _type, _headers, der = pem.unarmor(ca)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])
    with ThreadPoolExecutor(max_workers=1) as pool:  # pyHanko runs its own event loop
        status = pool.submit(validate_pdf_signature, signature, context).result()
    assert status.intact
    assert status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert "01/BC" in str(signature.sig_object["/Reason"])


def test_the_report_pdf_has_the_layout_of_decree_30_in_order(
    client, world: World, auth_headers
) -> None:
    headers = auth_headers(world.admin)
    saved = client.put(
        "/api/v1/stats/report-settings", json={"unit": "P", **SETTINGS}, headers=headers
    )
    assert saved.status_code == 200, saved.json
    assert saved.json["recipients"] == SETTINGS["recipients"]
    # Sent on 8 December at 00:30 Vietnam time, which is still 7 December in UTC.
    snapshot = services.close_year(world.P, Y1, by=world.admin, now=at(Y2, 12, 8, 0, 30))
    db.session.commit()
    assert snapshot.number == 1
    response = client.get(f"/api/v1/stats/annual-report?unit=P&year={Y1}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    in_order(
        text,
        [
            "UBND THÀNH PHỐ HẢI PHÒNG",
            "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Số: 01/BC-SKHCN",
            f"Hải Phòng, ngày 08 tháng 12 năm {Y2}",
            "BÁO CÁO",
            "Kết quả thực hiện Đề án “Nâng cao nhận thức",
            f"năm {Y1}",
            "I. CÁC CHỈ TIÊU CỦA KẾ HOẠCH",
            "Cán bộ, công chức, viên chức được bồi dưỡng kỹ năng số",
            "15,0%",  # officials: 3 of 20
            "Trên đây là báo cáo",
            "Nơi nhận:",
            "- UBND thành phố (để báo cáo);",
            "- Bộ Khoa học và Công nghệ;",
            "- Lưu: VT, CĐS.",
            "KT. GIÁM ĐỐC",
            "PHÓ GIÁM ĐỐC",
            "Nguyễn Văn Bình",
            f"Bản đã gửi lúc 08/12/{Y2} 00:30 (GMT+07:00)",
        ],
    )
    assert "Dự báo" not in text  # a past year shows its results, not a forecast
    for page in PdfReader(io.BytesIO(response.data)).pages:
        fonts = {name: font.get_object() for name, font in page["/Resources"]["/Font"].items()}
        content = page.get_contents().get_data().decode("latin-1")
        for name, font in fonts.items():
            if "BeVietnamPro" in str(font["/BaseFont"]):
                assert "/FontFile2" in font["/FontDescriptor"].get_object()  # embedded
            else:
                # reportlab's frames select Helvetica, never showing a glyph in it
                shows = re.findall(rf"{re.escape(name)} [\d.]+ Tf (.*?)ET", content, re.S)
                assert all(not re.search(r"T[jJ]", s) for s in shows), name


def test_a_draft_leaves_the_number_blank_and_says_so(client, world: World, auth_headers) -> None:
    response = client.get(
        f"/api/v1/stats/annual-report?unit=P-A&year={Y1}", headers=auth_headers(world.admin)
    )
    text = pdf_text(response.data)
    # Defaults where nothing is set: the parent's name above the unit's, a symbol from its code.
    in_order(text, ["TỈNH P", "XÃ A", "CỘNG HÒA", "Số: /BC-PA", "P, ngày", "BÁO CÁO", "Nơi nhận:"])
    assert "Bản dự thảo, chưa gửi" in text


def test_the_xlsx_report_is_in_vietnamese(client, world: World, auth_headers) -> None:
    headers = auth_headers(world.admin)
    client.put("/api/v1/stats/report-settings", json={"unit": "P", **SETTINGS}, headers=headers)
    services.close_year(world.P, Y1, by=world.admin, now=at(Y2, 12, 8))
    response = client.get(
        f"/api/v1/stats/annual-report?unit=P&year={Y1}&format=xlsx", headers=headers
    )
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:3] == ["Văn bản", "Chỉ tiêu", "Theo đơn vị"]
    header = dict(book["Văn bản"].iter_rows(values_only=True))
    assert header["Số"] == "Số: 01/BC-SKHCN"
    assert header["Địa danh, ngày tháng"] == f"Hải Phòng, ngày 08 tháng 12 năm {Y2}"
    assert header["Người ký"] == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC / Nguyễn Văn Bình"
    rows = list(book["Chỉ tiêu"].iter_rows(values_only=True))
    assert rows[0] == (
        "Chỉ tiêu",
        "Đối tượng",
        "Đơn vị tính",
        "Đạt",
        "Tổng số",
        "Kết quả",
        "Mục tiêu",
        "Đánh giá",
        "Chưa xác định đơn vị",
    )
    officials = next(r for r in rows if r[0].startswith("Cán bộ, công chức"))
    assert officials[1:6] == ("Cán bộ, công chức, viên chức", "Tỷ lệ (%)", 3, 20, 15.0)
    groups = [r[1] for r in book["Theo đối tượng"].iter_rows(values_only=True)]
    assert "Cán bộ, công chức, viên chức" in groups


def test_numbers_run_per_unit_and_year_and_are_never_given_twice(world: World) -> None:
    first = services.close_year(world.P, Y1, by=world.admin, now=at(Y2, 12, 8))
    second = services.close_year(world.P, Y0, by=world.admin, now=at(Y2, 12, 9))
    own = services.close_year(world.A, Y1, by=world.admin, now=at(Y2, 12, 9))
    assert (first.number, second.number, own.number) == (1, 2, 1)
    services.reopen_year(first, by=world.admin, reason="Sửa số liệu xã B")
    again = services.close_year(world.P, Y1, by=world.admin, now=at(Y2, 12, 10))
    assert again.number == 3
    assert again.payload["document"]["number_text"] == "Số: 03/BC-P"
    # A new calendar year starts again at 01.
    later = services.close_year(world.B, Y1, by=world.admin, now=at(Y2 + 1, 1, 2))
    earlier_b = services.close_year(world.B, Y0, by=world.admin, now=at(Y2, 12, 31))
    assert (later.number, earlier_b.number) == (1, 1)
    assert later.payload["document"]["date_line"] == f"P, ngày 02 tháng 01 năm {Y2 + 1}"


def test_submission_opens_on_the_first_of_december(client, world: World, auth_headers) -> None:
    with pytest.raises(Conflict) as refused:
        services.close_year(world.A, Y2, by=world.admin, now=at(Y2, 11, 30, 23, 59))
    assert refused.value.message == f"Báo cáo năm {Y2} được gửi từ ngày 01/12/{Y2}."
    # Midnight in Vietnam is still 30 November in UTC: submission is open.
    assert services.close_year(world.A, Y2, by=world.admin, now=at(Y2, 12, 1, 0, 5))
    official = make_user(roles=(Role.official,), unit=world.A)
    db.session.commit()
    login(client, official)
    page = client.get(f"/reports?unit=P-A&year={Y2 + 1}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"Được gửi từ ngày 01/12/{Y2 + 1}." in body
    assert 'name="confirm"' not in body  # no form before it opens


def test_a_commune_submits_and_the_province_sees_it_and_compiles(
    client, world: World, auth_headers
) -> None:
    # A sends on time (the province's report day is 15), B late, C not at all.
    a = services.close_year(world.A, Y2, by=world.admin, now=at(Y2, 12, 5))
    services.close_year(world.B, Y2, by=world.admin, now=at(Y2, 12, 16, 8))
    db.session.commit()
    rows = {r.code: r for r in reporting.submissions(world.P, Y2, now=at(Y2, 12, 16, 9))}
    assert {code: r.status for code, r in rows.items()} == {
        "P-A": "on_time",
        "P-B": "late",
        "Q-C": "overdue",  # came over from Q in Y1: reports to P now; S is a school
    }
    assert rows["P-A"].number_text == "Số: 01/BC-PA"
    assert rows["P-A"].deadline == date(Y2, 12, 15)

    official = make_user(roles=(Role.official,), unit=world.P)
    db.session.commit()
    listed = client.get(
        f"/api/v1/stats/submissions?unit=P&year={Y2}", headers=auth_headers(official)
    )
    assert listed.status_code == 200, listed.json
    body = listed.json
    assert body["deadline"] == f"{Y2}-12-15"
    assert body["opens_on"] == f"{Y2}-12-01"
    assert body["submitted"] is None
    assert [(u["code"], u["status"]) for u in body["units"]][:2] == [
        ("P-A", "on_time"),
        ("P-B", "late"),
    ]
    assert "1/3 đơn vị chưa gửi báo cáo: Xã C." in body["missing"]

    # A's figures are frozen as sent: a certificate issued after it does not change them.
    issue(
        world.users["u1"],
        world.course,
        date(Y2, 12, 10),
        unit=world.A,
        target_group="official",
        issuing=world.A,
    )
    compiled = services.close_year(world.P, Y2, by=official, now=at(Y2, 12, 16, 10))
    sent = {r["code"]: r for r in compiled.payload["submissions"]}
    a_sent = next(i for i in a.payload["indicators"] if i["code"] == "officials_trained")
    assert sent["P-A"]["indicators"]["officials_trained"]["numerator"] == a_sent["numerator"]
    assert (sent["P-A"]["status"], sent["P-B"]["status"], sent["Q-C"]["status"]) == (
        "on_time",
        "late",
        "overdue",
    )
    db.session.commit()
    text = pdf_text(
        client.get(
            f"/api/v1/stats/annual-report?unit=P&year={Y2}", headers=auth_headers(official)
        ).data
    )
    in_order(
        text,
        [
            "Tổng hợp báo cáo của các đơn vị: 2/3 đơn vị đã gửi, 1 đơn vị gửi muộn",
            "Xã A",
            "Số: 01/BC-PA",
            "Đã gửi đúng hạn",
            "Xã B",
            "Gửi muộn",
            "Xã C",
            "Quá hạn, chưa gửi",
            "Số liệu các đơn vị đã gửi",
            "Nơi nhận:",
        ],
    )


def test_the_page_asks_for_confirmation_before_submitting(client, world: World) -> None:
    official = make_user(roles=(Role.official,), unit=world.A)
    db.session.commit()
    login(client, official)
    page = client.get(f"/reports?unit=P-A&year={Y1}").get_data(as_text=True)
    assert 'name="confirm" value="yes" required' in page
    assert "Thông tin văn bản: chưa khai báo họ tên người ký." in page
    refused = client.post(
        "/reports/submit", data={"unit": "P-A", "year": str(Y1)}, follow_redirects=True
    )
    assert "Hãy đánh dấu ô xác nhận để gửi báo cáo." in refused.get_data(as_text=True)
    assert services.snapshot_for(world.A, Y1) is None
    done = client.post(
        "/reports/submit",
        data={"unit": "P-A", "year": str(Y1), "confirm": "yes"},
        follow_redirects=True,
    )
    assert f"Đã gửi báo cáo năm {Y1} (Số: 01/BC-PA)." in done.get_data(as_text=True)
    assert services.snapshot_for(world.A, Y1) is not None
    # Officials cannot reopen; the form is not even shown to them.
    assert 'action="/reports/reopen"' not in done.get_data(as_text=True)
    assert (
        client.post(
            "/reports/reopen", data={"unit": "P-A", "year": str(Y1), "reason": "Sửa lại"}
        ).status_code
        == 403
    )


def test_reopening_is_an_admins_act_with_a_reason_in_the_audit_log(
    client, world: World, auth_headers
) -> None:
    services.close_year(world.A, Y1, by=world.admin, now=at(Y2, 12, 8))
    db.session.commit()
    headers = auth_headers(world.admin)
    url = f"/api/v1/stats/closures/P-A/{Y1}"
    no_reason = client.delete(url, headers=headers)
    assert no_reason.status_code == 400  # no body at all
    short = client.delete(url, json={"reason": "x"}, headers=headers)
    assert short.status_code == 422
    assert set(short.json["errors"]) == {"reason"}
    assert services.snapshot_for(world.A, Y1) is not None
    done = client.delete(url, json={"reason": "Xã A gửi nhầm số liệu"}, headers=headers)
    assert done.status_code == 204
    assert services.snapshot_for(world.A, Y1) is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "year.reopened")).one()
    assert (entry.actor_id, entry.reason, entry.target_id) == (
        world.admin.id,
        "Xã A gửi nhầm số liệu",
        f"P-A/{Y1}",
    )
    assert entry.details == {"number": "Số: 01/BC-PA"}
    closed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "year.closed")).one()
    assert closed.details == {"number": "Số: 01/BC-PA"}


def test_reopening_from_the_page_needs_a_reason(client, world: World) -> None:
    services.close_year(world.A, Y1, by=world.admin, now=at(Y2, 12, 8))
    db.session.commit()
    login(client, world.admin)
    page = client.get(f"/reports?unit=P-A&year={Y1}").get_data(as_text=True)
    assert "Số: 01/BC-PA" in page
    assert 'action="/reports/reopen"' in page
    client.post("/reports/reopen", data={"unit": "P-A", "year": str(Y1), "reason": ""})
    assert services.snapshot_for(world.A, Y1) is not None
    client.post("/reports/reopen", data={"unit": "P-A", "year": str(Y1), "reason": "Gửi nhầm năm"})
    assert services.snapshot_for(world.A, Y1) is None
    assert (
        db.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "year.reopened"))
        == "Gửi nhầm năm"
    )


def test_the_unit_a_report_was_sent_to_sends_it_back_with_a_note(client, world: World) -> None:
    """Journey 9: the Department sends a commune's report back for correction; only an
    administrator could before, so the official's page had no way to do it."""
    services.close_year(world.A, Y1, by=world.admin, now=at(Y2, 12, 8))
    ward = make_user(roles=(Role.official,), unit=world.A)
    province = make_user(roles=(Role.official,), unit=world.P)
    db.session.commit()
    login(client, ward)  # the commune cannot take back what it sent
    assert 'id="send-back"' not in client.get(f"/reports?unit=P-A&year={Y1}").get_data(True)
    form = {"unit": "P-A", "year": str(Y1), "reason": "Sai số cán bộ"}
    assert client.post("/reports/reopen", data=form).status_code == 403
    client.post("/logout")
    login(client, province)
    own = {"unit": "P", "year": str(Y1), "reason": "Gửi nhầm năm"}
    services.close_year(world.P, Y1, by=province, now=at(Y2, 12, 12))
    db.session.commit()
    assert client.post("/reports/reopen", data=own).status_code == 403  # nor its own
    page = client.get(f"/reports?unit=P-A&year={Y1}").get_data(as_text=True)
    assert "Trả lại báo cáo để sửa" in page
    client.post("/reports/reopen", data=form)
    assert services.snapshot_for(world.A, Y1) is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "year.reopened")).one()
    assert (entry.actor_id, entry.reason) == (province.id, "Sai số cán bộ")


def test_report_settings_are_refused_at_the_edge(client, world: World, auth_headers) -> None:
    headers = auth_headers(world.admin)
    bad = client.put(
        "/api/v1/stats/report-settings",
        json={"unit": "P", "symbol": "S KH/CN", "signer_name": "x" * 101, "extra": 1},
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"symbol", "signer_name", "extra"}
    official = make_user(roles=(Role.official,), unit=world.A)
    db.session.commit()
    other = client.put(
        "/api/v1/stats/report-settings",
        json={"unit": "P-B", "signer_name": "Lê Thị Hoa"},
        headers=auth_headers(official),
    )
    assert other.status_code == 403
    own = client.put(
        "/api/v1/stats/report-settings",
        json={"unit": "P-A", "signer_name": "Lê Thị Hoa", "signer_title": "CHỦ TỊCH"},
        headers=auth_headers(official),
    )
    assert own.status_code == 200
    assert reporting.document(world.A)["signer_name"] == "Lê Thị Hoa"


@pytest.mark.parametrize(
    ("day", "line"),
    [
        (date(2026, 12, 8), "Hải Phòng, ngày 08 tháng 12 năm 2026"),
        (date(2027, 1, 5), "Hải Phòng, ngày 05 tháng 01 năm 2027"),
        (date(2027, 2, 15), "Hải Phòng, ngày 15 tháng 02 năm 2027"),
        (date(2027, 3, 1), "Hải Phòng, ngày 01 tháng 3 năm 2027"),
    ],
)
def test_the_date_line_follows_decree_30(day: date, line: str) -> None:
    assert reporting.date_line("Hải Phòng", day) == line


def test_deadlines_go_up_the_tree(world: World) -> None:
    assert reporting.deadline(world.A, Y2) == date(Y2, 12, 15)  # P's report day
    assert reporting.deadline(world.P, Y2) == date(Y2, 12, 15)  # the province's own
    world.P.report_day = None
    assert reporting.deadline(world.A, Y2) == date(Y2, 12, 10)  # the plans' default


def test_snapshots_keep_their_number(world: World) -> None:
    services.close_year(world.A, Y1, by=world.admin, now=at(Y2, 12, 8))
    row = db.session.scalars(select(StatSnapshot).where(StatSnapshot.unit_id == world.A.id)).one()
    assert row.number == 1


def test_the_settings_form_names_a_refused_field_as_the_form_does(client, world: World) -> None:
    official = make_user(roles=(Role.official,), unit=world.A)
    db.session.commit()
    login(client, official)
    page = client.post(
        "/reports/settings",
        data={"unit": "P-A", "year": str(Y1), "symbol": "S KH/CN", "recipients": "x" * 201},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Chữ viết tắt trong số văn bản (Số: …/BC-chữ viết tắt):" in page
    assert "Nơi nhận, mỗi dòng một nơi:" in page
    # and says why in Vietnamese: the schema's rule and marshmallow's length alike
    assert "Chỉ gồm chữ, số, &amp;, . và -." in page
    assert "Nơi nhận, mỗi dòng một nơi: Độ dài phải từ 1 đến 200." in page
    assert "Length must be" not in page
    assert reporting.settings_for(world.A) is None
    saved = client.post(
        "/reports/settings",
        data={
            "unit": "P-A",
            "year": str(Y1),
            "symbol": "UBND",
            "signer_title": "CHỦ TỊCH",
            "signer_name": "Lê Văn An",
            "recipients": "UBND thành phố;\r\n\r\n  Lưu: VT.  \r\n",
        },
        follow_redirects=True,
    )
    assert "Đã lưu thông tin văn bản báo cáo." in saved.get_data(as_text=True)
    document = reporting.document(world.A)
    assert (document["number_text"], document["recipients"]) == (
        "Số: \u2003\u2003/BC-UBND",
        ["UBND thành phố;", "Lưu: VT."],
    )


def test_the_command_line_submits_and_writes_the_report_as_submitted(
    app, world: World, tmp_path
) -> None:
    official = make_user("chu.tich@xa-a.vn", roles=(Role.official,), unit=world.A)
    db.session.flush()
    runner = app.test_cli_runner()
    sent = runner.invoke(
        args=["reports", "close", "--unit", "P-A", "--year", str(Y1), "--by", official.email]
    )
    assert sent.exit_code == 0, sent.output
    assert f"Submitted {Y1} for P-A (Số: 01/BC-PA) at " in sent.output
    assert "(GMT+07:00)" in sent.output
    output = tmp_path / "a.pdf"
    written = runner.invoke(
        args=["reports", "annual", "--unit", "P-A", "--year", str(Y1), "-o", str(output)]
    )
    assert written.exit_code == 0, written.output
    text = pdf_text(output.read_bytes())
    assert "Số: 01/BC-PA" in text
    assert "Bản đã gửi lúc" in text


def test_a_form_without_a_year_submits_nothing(client, world: World) -> None:
    official = make_user(roles=(Role.official,), unit=world.A)
    db.session.commit()
    login(client, official)
    for year in ("", "abc", "99999999999999999999", "1500"):
        page = client.post(
            "/reports/submit",
            data={"unit": "P-A", "year": year, "confirm": "yes"},
            follow_redirects=True,
        )
        assert page.status_code == 200
        assert "Năm không hợp lệ." in page.get_data(as_text=True)
    assert db.session.scalars(select(StatSnapshot)).all() == []
    assert client.get("/reports?unit=P-A&year=99999999999999999999").status_code == 200
