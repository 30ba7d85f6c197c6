"""Demo indicators: the targets of the Hải Phòng, Quảng Bình and Quảng Trị plans."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from lms import periods
from lms.auth.models import User
from lms.auth.services import create_user
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.classes.completion import complete_enrollment
from lms.classes.enrollments import enroll, enrollment_for
from lms.classes.models import EnrollmentSource
from lms.extensions import db
from lms.org.services import assign_user_unit, find_unit
from lms.stats import reporting, services
from lms.stats.models import Indicator, ReportSettings
from lms.stats.rebuild import rebuild as rebuild_aggregates

#: code, vi, en, kind, period, target group, unit kind, targets by year
PLAN: tuple[tuple[Any, ...], ...] = (
    (
        "leaders_trained",
        "Người đứng đầu, lãnh đạo được bồi dưỡng về chuyển đổi số",
        "Leaders trained in digital transformation",
        "share_of_headcount",
        "cumulative",
        "leader",
        None,
        {"2023": 50, "2025": 100, "2030": 100},
    ),
    (
        "officials_trained",
        "Cán bộ, công chức, viên chức được bồi dưỡng kỹ năng số",
        "Officials and public employees trained in digital skills",
        "share_of_headcount",
        "cumulative",
        "official",
        None,
        {"2023": 50, "2025": 100, "2030": 100},
    ),
    (
        "specialists_assessed",
        "Cán bộ chuyên trách CĐS/CNTT được đào tạo, đánh giá hằng năm theo chuẩn kỹ năng số",
        "DX/IT specialists trained and assessed each year against the digital-skills standard",
        "share_of_headcount",
        "year",
        "dx_specialist",
        None,
        {"2023": 100, "2025": 100, "2030": 100},
    ),
    (
        "citizens_online_services",
        "Người dân trong độ tuổi lao động biết sử dụng dịch vụ công trực tuyến, "
        "dịch vụ số thiết yếu",
        "Working-age citizens able to use online public services and essential digital services",
        "share_of_headcount",
        "cumulative",
        "citizen",
        None,
        {"2023": 30, "2025": 60, "2030": 100},
    ),
    (
        "experts_trained",
        "Chuyên gia chuyển đổi số được đào tạo",
        "Digital-transformation experts trained",
        "count_people",
        "cumulative",
        "expert",
        None,
        {"2023": 10, "2025": 20, "2030": 40},
    ),
    (
        "community_teams_trained",
        "Xã, phường có Tổ công nghệ số cộng đồng được tập huấn",
        "Communes whose community digital-technology team is trained",
        "share_of_units",
        "cumulative",
        "community_tech",
        "commune",
        {"2023": 50, "2025": 100, "2030": 100},
    ),
    (
        "schools_stem",
        "Trường phổ thông triển khai hoạt động STEM/STEAM, kỹ năng số",
        "Schools running STEM/STEAM and digital-skills activities",
        "share_of_units",
        "cumulative",
        "teacher",
        "school",
        {"2023": 10, "2025": 20, "2030": 100},
    ),
    (
        "schools_dx_content",
        "Cơ sở giáo dục đưa nội dung chuyển đổi số vào chương trình",
        "Schools with digital-transformation content in their curriculum",
        "share_of_units",
        "cumulative",
        "teacher",
        "school",
        {"2023": 25, "2025": 50, "2030": 100},
    ),
)


#: target group -> the course whose certificate counts for its indicator
HISTORY_COURSES = {
    "official": "ky-nang-so-co-ban-cho-can-bo",
    "leader": "chuyen-doi-so-cho-lanh-dao",
    "citizen": "dich-vu-cong-truc-tuyen",
    "community_tech": "to-cong-nghe-so-cong-dong",
    "dx_specialist": "chuan-ky-nang-so-cho-can-bo-chuyen-trach",
    "teacher": "stem-steam-cho-giao-vien",
    "expert": "chuong-trinh-chuyen-gia-chuyen-doi-so",
}


def seed_history() -> int:
    """Completions of earlier years (and this one), so every year has figures to read.

    Deterministic: the same people, courses and dates on every run; people who already
    hold the course's certificate are left alone, so running it again adds nothing.
    """
    import random
    from datetime import UTC, datetime, timedelta

    courses = {
        c.slug: c
        for c in db.session.scalars(select(Course).where(Course.slug.in_(HISTORY_COURSES.values())))
    }
    held = set(db.session.execute(select(Certificate.user_id, Certificate.course_id)).all())
    people = db.session.scalars(
        select(User)
        .where(User.password_hash.is_(None), User.unit_id.is_not(None))
        .order_by(User.id)
    ).all()
    people = list({p.id: p for p in [*people, *_people_of_merged_units()]}.values())
    today = periods.today()  # the province's day: classes open and close on it
    issued = 0
    for person in people:
        rng = random.Random(person.id * 146)  # the same draws for a person on every run
        slug = HISTORY_COURSES.get(str(person.target_group) if person.target_group else "")
        course = courses.get(slug or "")
        if course is None or (person.id, course.id) in held or rng.random() > 0.55:
            continue
        if enrollment_for(person, course) is not None:
            # Enrolled by the classes demo this year: completing that enrolment with an
            # earlier year's date would show a finished class nobody attended.
            continue
        if person.email and person.email.startswith("lichsu."):
            year = rng.choice((today.year - 2, today.year - 2, today.year - 1))
            last = date(year, 6, 30) if year == 2025 else date(year, 12, 31)
        else:
            year = rng.choice((today.year - 2, today.year - 1, today.year - 1, today.year))
            last = today - timedelta(days=2) if year == today.year else date(year, 12, 31)
        start = date(year, 2, 1)
        day = start + timedelta(days=rng.randint(0, max((last - start).days, 0)))
        at = datetime(day.year, day.month, day.day, 9, rng.randint(0, 59), tzinfo=UTC)
        enrollment = enroll(
            person, course, by=None, source=EnrollmentSource.import_, at=at - timedelta(days=20)
        )
        complete_enrollment(enrollment, at=at)
        issued += 1
    db.session.flush()
    return issued


#: Communes of the provinces merged in 2025, whose staff learnt before the merger.
MERGED_COMMUNES = (
    "QB-DONGHOI-HAITHANH",
    "QB-DONGHOI-BACLY",
    "QB-BODRACH-PHONGNHA",
    "HD-TPHD-TRANHUNGDAO",
    "HD-CHILINH-SAODO",
    "HD-KINHMON-ANLUU",
)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ")
GIVEN = (
    "Văn An",
    "Thị Bình",
    "Minh Châu",
    "Quốc Dũng",
    "Thu Hà",
    "Đức Huy",
    "Thị Lan",
    "Hữu Nam",
    "Thanh Phương",
    "Ngọc Quỳnh",
    "Văn Sơn",
    "Thị Tuyết",
)


def _people_of_merged_units() -> list[Any]:
    """Officials and leaders who worked in Quảng Bình and Hải Dương communes before July 2025.

    Their membership history says where they were, so their certificates count for the old
    province in 2024 and roll up into the successor afterwards.
    """
    people = []
    for c, code in enumerate(MERGED_COMMUNES):
        commune = find_unit(code)
        if commune is None or commune.successor is None:
            continue
        for n in range(8):
            email = f"lichsu.{code.lower()}.{n}@demo.lms.vn"
            user = db.session.scalar(select(User).where(User.email == email))
            if user is None:
                name = f"{FAMILY[(c + n) % len(FAMILY)]} {GIVEN[(c * 3 + n) % len(GIVEN)]}"
                group = "leader" if n == 0 else "official"
                user = create_user(
                    email=email,
                    phone=None,
                    full_name=name,
                    unit=None,
                    target_group=group,
                    roles=["learner"],
                    by=None,
                )
                assign_user_unit(user, commune, on=date(2023, 1, 1))
                assign_user_unit(user, commune.successor, on=date(2025, 7, 1))
            people.append(user)
    return people


def create_plan(province: Any, *, codes: tuple[str, ...] | None = None) -> int:
    """Give ``province`` the plan's indicators (or refresh them); returns how many are new."""
    created = 0
    for position, (code, vi, en, kind, period, group, unit_kind, targets) in enumerate(PLAN):
        if codes is not None and code not in codes:
            continue
        exists = db.session.scalar(
            select(Indicator).where(Indicator.plan_unit_id == province.id, Indicator.code == code)
        )
        data = {
            "code": code,
            "title": vi,
            "title_en": en,
            "kind": kind,
            "period": period,
            "target_group": group,
            "unit_kind": unit_kind,
            "position": position,
            "targets": targets,
        }
        if exists is None:
            services.create_indicator(data, plan_unit=province)
            created += 1
        else:
            services.update_indicator(exists, data)
    return created


#: How the provinces' annual reports are headed and signed in the demo (Decree 30 layout).
REPORT_SETTINGS = {
    "HP": {
        "parent_body": "UBND thành phố Hải Phòng",
        "issuer": "Sở Khoa học và Công nghệ",
        "symbol": "SKHCN",
        "place": "Hải Phòng",
        "signer_authority": "KT. GIÁM ĐỐC",
        "signer_title": "PHÓ GIÁM ĐỐC",
        "signer_name": "Nguyễn Văn Bình",
        "recipients": "UBND thành phố (để báo cáo);\nBộ Khoa học và Công nghệ (để báo cáo);\n"
        "Giám đốc, các PGĐ Sở;\nLưu: VT, CĐS.",
    },
    "QT": {
        "parent_body": "UBND tỉnh Quảng Trị",
        "issuer": "Sở Khoa học và Công nghệ",
        "symbol": "SKHCN",
        "place": "Quảng Trị",
        "signer_authority": "",
        "signer_title": "GIÁM ĐỐC",
        "signer_name": "Trần Thị Lan",
        "recipients": "UBND tỉnh (để báo cáo);\nBộ Khoa học và Công nghệ (để báo cáo);\nLưu: VT.",
    },
}


def seed() -> list[str]:
    history = seed_history()
    created = 0
    for province_code in ("HP", "QB", "QT"):
        province = find_unit(province_code)
        if province is not None:
            created += create_plan(province)
            settings = REPORT_SETTINGS.get(province_code)
            if settings and reporting.settings_for(province) is None:
                db.session.add(ReportSettings(unit_id=province.id, **settings))
    result = rebuild_aggregates()
    return [
        f"Indicators: {created} new (plans of HP, QB, QT); {history} earlier completions added; "
        f"figures rebuilt for {result['people']} people."
    ]
