"""Navigation by role. An entry shows only when its page exists and the user may open it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

#: (endpoint, label, roles that see it; empty = everyone, "user" = any logged-in user)
NAV: tuple[tuple[str, object, tuple[str, ...]], ...] = (
    ("learner_views.catalog", _l("Courses"), ()),
    ("learner_views.my_learning", _l("My learning"), ("user",)),
    ("certificates_views.mine", _l("My certificates"), ("user",)),
    ("classes_views.trainer_classes", _l("Classes"), ("trainer", "official", "admin")),
    ("assessment_views.banks", _l("Question banks"), ("trainer", "admin")),
    ("classes_views.official_enrol", _l("Enrolment"), ("official", "admin")),
    ("auth_views.users", _l("Users"), ("official", "admin")),
    ("stats_views.dashboard", _l("Dashboard"), ("official", "admin")),
    ("org_views.tree", _l("Units"), ("official", "admin")),
    ("learning_views.imports", _l("Results import"), ("admin",)),
    ("learning_views.clients", _l("LRS clients"), ("admin",)),
    ("audit_views.audit", _l("Audit log"), ("official", "admin")),
    ("certificates_views.templates_page", _l("Certificate signers"), ("official", "admin")),
    ("apidocs.api_docs", _l("API"), ("admin", "official")),
    ("privacy_views.deletions", _l("Deletion requests"), ("admin",)),
    ("sso_views.providers_status", _l("Single sign-on"), ("admin",)),
    ("privacy_views.my_data", _l("My data"), ("user",)),
)

#: What each page is for, shown as cards on the home page of a logged-in user.
DESCRIPTIONS: dict[str, object] = {
    "learner_views.catalog": _l("Find a course for you and enrol."),
    "learner_views.my_learning": _l("Continue where you stopped; see your progress."),
    "certificates_views.mine": _l("Download your certificates and share their QR codes."),
    "classes_views.trainer_classes": _l(
        "Run the classes you teach or organise: people, imports, attendance, certificates."
    ),
    "assessment_views.banks": _l("Questions and quizzes of your courses."),
    "classes_views.official_enrol": _l("Enrol the staff of your units in courses and classes."),
    "auth_views.users": _l("The people of your units; import them from a spreadsheet."),
    "stats_views.dashboard": _l("Indicators against the plan's targets, unit by unit."),
    "org_views.tree": _l("The units of your area, their history and headcounts."),
    "learning_views.imports": _l("Results sent by MOOC platforms and imported files."),
    "learning_views.clients": _l("Keys for platforms that send xAPI records; source platforms."),
    "audit_views.audit": _l("Who did what and why: certificates, closed years, roles, clients."),
    "certificates_views.templates_page": _l(
        "Who signs your units' certificates, their letterhead and look, with a live preview."
    ),
    "apidocs.api_docs": _l("The JSON API for programs and integrations."),
    "privacy_views.deletions": _l("People's requests to delete their data: approve or refuse."),
    "privacy_views.my_data": _l("Download what we keep about you, or ask for deletion."),
    "sso_views.providers_status": _l(
        "The identity providers people sign in with, and whether they answer."
    ),
}


@dataclass
class NavItem:
    url: str
    label: str
    active: bool
    description: str = ""


def _visible(needs: tuple[str, ...], roles: set[str]) -> bool:
    if not needs:
        return True
    if not current_user.is_authenticated:
        return False
    return "user" in needs or bool(roles & set(needs))


def nav_items() -> list[NavItem]:
    items = []
    roles = {str(r) for r in current_user.roles} if current_user.is_authenticated else set()
    for endpoint, label, needs in NAV:
        if endpoint not in current_app.view_functions or not _visible(needs, roles):
            continue
        items.append(
            NavItem(
                url_for(endpoint),
                str(label),
                request.endpoint == endpoint,
                str(DESCRIPTIONS.get(endpoint, "")),
            )
        )
    return items
