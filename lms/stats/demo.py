"""Demo indicators: the targets of the Hải Phòng, Quảng Bình and Quảng Trị plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms.extensions import db
from lms.org.services import find_unit
from lms.stats import services
from lms.stats.models import Indicator

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


def seed() -> list[str]:
    created = 0
    for province_code in ("HP", "QB", "QT"):
        province = find_unit(province_code)
        if province is None:
            continue
        for position, (code, vi, en, kind, period, group, unit_kind, targets) in enumerate(PLAN):
            exists = db.session.scalar(
                select(Indicator).where(
                    Indicator.plan_unit_id == province.id, Indicator.code == code
                )
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
    result = services.rebuild()
    return [
        f"Indicators: {created} new (plans of HP, QB, QT); figures rebuilt for "
        f"{result['people']} people."
    ]
