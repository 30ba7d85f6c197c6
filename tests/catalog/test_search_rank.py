"""Search ranks the course whose title is the phrase first."""

from __future__ import annotations

from typing import Any

from lms.catalog.models import Course
from lms.catalog.services import search_courses
from lms.extensions import db
from lms.text import fold


def _course(slug: str, title: str, summary: str) -> None:
    db.session.add(
        Course(
            slug=slug,
            title=title,
            summary=summary,
            activity_iri=f"https://lms146.vn/t/{slug}",
            search_text=fold(f"{title} {summary} {slug}"),
        )
    )


def test_the_title_match_comes_before_a_mention(db: Any) -> None:
    _course("an-toan-thong-tin", "An toàn thông tin", "Bảo vệ tài khoản dịch vụ công.")
    _course("dich-vu-cong-truc-tuyen", "Sử dụng dịch vụ công trực tuyến", "Cổng quốc gia.")
    db.session.flush()
    found = db.session.scalars(search_courses(q="dich vu cong")).all()
    assert [c.slug for c in found] == ["dich-vu-cong-truc-tuyen", "an-toan-thong-tin"]
