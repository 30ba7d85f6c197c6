"""Codes shared across domains: target groups, skill areas, indicators.

They are the vocabulary of the provincial plans (see DOMAIN.md); each has a Vietnamese and an
English label, looked up through :func:`label`.
"""

from __future__ import annotations

import enum

from flask_babel import get_locale


class TargetGroup(enum.StrEnum):
    leader = "leader"
    official = "official"
    dx_specialist = "dx_specialist"
    community_tech = "community_tech"
    citizen = "citizen"
    expert = "expert"
    teacher = "teacher"
    student = "student"
    enterprise_staff = "enterprise_staff"


TARGET_GROUP_LABELS: dict[str, tuple[str, str]] = {
    "leader": ("Người đứng đầu, lãnh đạo", "Heads and leaders"),
    "official": ("Cán bộ, công chức, viên chức", "Officials and public employees"),
    "dx_specialist": ("Cán bộ chuyên trách CĐS/CNTT", "Digital-transformation / IT specialists"),
    "community_tech": ("Tổ công nghệ số cộng đồng", "Community digital-technology teams"),
    "citizen": ("Người dân trong độ tuổi lao động", "Working-age citizens"),
    "expert": ("Chuyên gia chuyển đổi số", "Digital-transformation experts"),
    "teacher": ("Giáo viên", "Teachers"),
    "student": ("Học sinh, sinh viên", "Pupils and students"),
    "enterprise_staff": ("Người lao động doanh nghiệp", "Enterprise employees"),
}

#: The roles of ``lms.auth.models.Role``, as people read them (badges, import previews).
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "admin": ("Quản trị viên", "Administrator"),
    "official": ("Cán bộ quản lý", "Official"),
    "trainer": ("Giảng viên", "Trainer"),
    "learner": ("Học viên", "Learner"),
}

#: The columns of the people spreadsheets (users import, class import): the file keeps the
#: codes, the pages show these words.
IMPORT_COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "email": ("Email", "Email"),
    "phone": ("Số điện thoại", "Phone"),
    "full_name": ("Họ và tên", "Full name"),
    "unit_code": ("Mã đơn vị", "Unit code"),
    "target_group": ("Đối tượng", "Target group"),
    "roles": ("Vai trò", "Roles"),
    "birth_date": ("Ngày sinh", "Date of birth"),
    "_row": ("Cả dòng", "Whole row"),
}


class SkillArea(enum.StrEnum):
    """DigComp 2.2 competence areas, then the plans' own themes."""

    information_data = "information_data"
    communication_collaboration = "communication_collaboration"
    content_creation = "content_creation"
    safety = "safety"
    problem_solving = "problem_solving"
    digital_government = "digital_government"
    online_public_services = "online_public_services"
    digital_economy = "digital_economy"
    dx_leadership = "dx_leadership"


SKILL_AREA_LABELS: dict[str, tuple[str, str]] = {
    "information_data": ("Khai thác thông tin và dữ liệu", "Information and data literacy"),
    "communication_collaboration": ("Giao tiếp và hợp tác", "Communication and collaboration"),
    "content_creation": ("Sáng tạo nội dung số", "Digital content creation"),
    "safety": ("An toàn, an ninh mạng", "Safety"),
    "problem_solving": ("Giải quyết vấn đề", "Problem solving"),
    "digital_government": ("Chính quyền số", "Digital government"),
    "online_public_services": ("Dịch vụ công trực tuyến", "Online public services"),
    "digital_economy": ("Kinh tế số", "Digital economy"),
    "dx_leadership": ("Lãnh đạo chuyển đổi số", "DX leadership"),
}


class IndicatorCode(enum.StrEnum):
    """The indicators the plans are judged by; courses name the ones they count toward."""

    leaders_trained = "leaders_trained"
    officials_trained = "officials_trained"
    specialists_assessed = "specialists_assessed"
    citizens_online_services = "citizens_online_services"
    experts_trained = "experts_trained"
    schools_dx_content = "schools_dx_content"
    schools_stem = "schools_stem"
    community_teams_trained = "community_teams_trained"


def label(table: dict[str, tuple[str, str]], code: str | None) -> str:
    """Return the label of ``code`` in the current language (Vietnamese outside a request)."""
    if code is None:
        return ""
    pair = table.get(code)
    if pair is None:
        return code
    try:
        lang = str(get_locale() or "vi")
    except RuntimeError:
        lang = "vi"
    return pair[1] if lang.startswith("en") else pair[0]
