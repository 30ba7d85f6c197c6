"""The course the certificate tests issue for; the builders are tests/factories.py's."""

from __future__ import annotations

from typing import Any

#: ``make_course(**CERTIFIED)``: no lessons, a quiz of 70 %, one indicator of the plans.
CERTIFIED: dict[str, Any] = {
    "title": "Sử dụng dịch vụ công trực tuyến",
    "title_en": "Using online public services",
    "summary": "",
    "lessons": 0,
    "hours": 4,
    "indicators": ("citizens_online_services",),
    "skill_areas": ("online_public_services",),
    "rule": {"lessons": "all", "quiz": 70},
}
