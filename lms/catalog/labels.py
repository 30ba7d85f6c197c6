"""Labels of codes for the catalog's and the classes' templates (Vietnamese or English)."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale

from lms.constants import SKILL_AREA_LABELS, TARGET_GROUP_LABELS, label

LEVEL_LABELS = {
    "basic": ("Cơ bản", "Basic"),
    "intermediate": ("Trung cấp", "Intermediate"),
    "advanced": ("Nâng cao", "Advanced"),
}
STATUS_LABELS = {
    "enrolled": ("Đã đăng ký", "Enrolled"),
    "in_progress": ("Đang học", "In progress"),
    "completed": ("Đã hoàn thành", "Completed"),
    "failed": ("Chưa đạt", "Not passed"),
    "withdrawn": ("Đã rút", "Withdrawn"),
}
MODE_LABELS = {
    "online": ("Trực tuyến", "Online"),
    "in_person": ("Tập trung", "In person"),
    "blended": ("Kết hợp", "Blended"),
}


def lang() -> str:
    return str(get_locale() or "vi")


def template_helpers() -> dict[str, Any]:
    """Registered as a context processor on the catalog's and the classes' blueprints."""
    return {
        "group_label": lambda code: label(TARGET_GROUP_LABELS, code),
        "area_label": lambda code: label(SKILL_AREA_LABELS, code),
        "level_label": lambda code: label(LEVEL_LABELS, str(code)),
        "status_label": lambda code: label(STATUS_LABELS, str(code)),
        "mode_label": lambda code: label(MODE_LABELS, str(code)),
        "lang": lang(),
    }
