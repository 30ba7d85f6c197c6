"""Search ranks the course whose title is the phrase first."""

from __future__ import annotations

from typing import Any

from lms.catalog.services import search_courses
from tests.factories import make_course


def test_the_title_match_comes_before_a_mention(db: Any) -> None:
    make_course(
        "an-toan-thong-tin", title="An toàn thông tin", summary="Bảo vệ tài khoản dịch vụ công."
    )
    make_course(
        "dich-vu-cong-truc-tuyen", title="Sử dụng dịch vụ công trực tuyến", summary="Cổng quốc gia."
    )
    found = db.session.scalars(search_courses(q="dich vu cong")).all()
    assert [c.slug for c in found] == ["dich-vu-cong-truc-tuyen", "an-toan-thong-tin"]
