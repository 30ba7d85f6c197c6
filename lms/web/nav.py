"""Navigation by role. An entry shows only when its page exists and the user may open it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

#: (endpoint, label, roles that see it; empty = everyone, "user" = any logged-in user)
NAV: tuple[tuple[str, object, tuple[str, ...]], ...] = (
    ("catalog_views.catalog", _l("Courses"), ()),
    ("catalog_views.my_learning", _l("My learning"), ("user",)),
    ("certificates_views.mine", _l("My certificates"), ("user",)),
    ("classes_views.trainer_classes", _l("My classes"), ("trainer", "admin")),
    ("assessment_views.banks", _l("Question banks"), ("trainer", "admin")),
    ("classes_views.official_enrol", _l("Enrolment"), ("official", "admin")),
    ("stats_views.dashboard", _l("Dashboard"), ("official", "admin")),
    ("learning_views.imports", _l("Results import"), ("admin",)),
    ("apidocs.api_docs", _l("API"), ("admin", "official")),
)


@dataclass
class NavItem:
    url: str
    label: str
    active: bool


def nav_items() -> list[NavItem]:
    items = []
    roles = {str(r) for r in current_user.roles} if current_user.is_authenticated else set()
    for endpoint, label, needs in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if needs:
            if not current_user.is_authenticated:
                continue
            if "user" not in needs and not roles & set(needs):
                continue
        items.append(NavItem(url_for(endpoint), str(label), request.endpoint == endpoint))
    return items
