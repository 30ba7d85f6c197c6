"""Source platforms: LRS clients registered as places where learning happens (MOOCs).

A statement's platform is the LRS client that wrote it, recognised by the ``authority``
the LRS stamped on it (the client's authority Agent). What a platform may move is listed
explicitly: the ``courses`` it may report and the ``units`` (subtrees) whose learners it may
create and affect; an empty list allows nothing (``lms.learning.rules`` applies it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select

from lms.catalog.models import Course
from lms.constants import TargetGroup
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db
from lms.learning.models import SourcePlatform
from lms.org.models import Unit
from lms.xapi import clients
from lms.xapi.models import LrsClient

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)


def get_platform(platform_id: int) -> SourcePlatform:
    platform = db.session.get(SourcePlatform, platform_id)
    if platform is None:
        raise NotFound(_("Source platform not found."))
    return platform


def list_platforms() -> list[SourcePlatform]:
    return list(db.session.scalars(select(SourcePlatform).order_by(SourcePlatform.id)))


def _check(values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    home = values.get("home_page")
    if home is not None and not str(home).startswith(("http://", "https://")):
        errors["home_page"] = [_("Must be an http(s) URL.")]
    group = values.get("default_target_group")
    if group is not None and group not in set(TargetGroup):
        errors["default_target_group"] = [_("Unknown target group.")]
    if "name" in values and not str(values["name"] or "").strip():
        errors["name"] = [_("Required.")]
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)


def _courses(slugs: list[str]) -> list[Course]:
    """The courses named by ``slugs`` (422 naming the unknown ones)."""
    wanted = list(dict.fromkeys(str(s).strip() for s in slugs))
    found = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(wanted)))}
    missing = [s for s in wanted if s not in found]
    if missing:
        raise Invalid(
            _("Invalid input."),
            errors={"courses": [_("No course %(slug)s.", slug=s) for s in missing]},
        )
    return [found[s] for s in wanted]


def _units(codes: list[str]) -> list[Unit]:
    """The units named by ``codes`` (422 naming the unknown ones)."""
    wanted = list(dict.fromkeys(str(c).strip() for c in codes))
    found = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(wanted)))}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise Invalid(
            _("Invalid input."),
            errors={"units": [_("No unit with code %(code)s.", code=c) for c in missing]},
        )
    return [found[c] for c in wanted]


def register_platform(
    client_id: int,
    *,
    name: str,
    home_page: str,
    courses: list[str] | None = None,
    units: list[str] | None = None,
    provision_unknown: bool = False,
    default_target_group: str | None = TargetGroup.citizen,
    by: User | None,
) -> SourcePlatform:
    """Register LRS client ``client_id`` as a source platform (one platform per client).

    ``courses`` (slugs) and ``units`` (codes) are what it may move; nothing when omitted.
    """
    _check({"name": name, "home_page": home_page, "default_target_group": default_target_group})
    # One platform per client, checked then written: serialised with every client change.
    clients.lock_clients()
    client = db.session.get(LrsClient, client_id)
    if client is None:
        raise Invalid(_("LRS client not found."), errors={"client_id": [_("No such LRS client.")]})
    if client.binding:
        raise Invalid(
            _("A cmi5 session's credentials cannot be a source platform."),
            errors={"client_id": [_("Choose a client an administrator created.")]},
        )
    allowed_courses = _courses(courses or [])
    allowed_units = _units(units or [])
    if db.session.scalar(select(SourcePlatform.id).where(SourcePlatform.client_id == client_id)):
        raise Conflict(
            _("This LRS client is already a source platform."),
            errors={"client_id": [_("Already registered.")]},
        )
    platform = SourcePlatform(
        client_id=client_id,
        name=name.strip()[:200],
        home_page=home_page.strip(),
        provision_unknown=bool(provision_unknown),
        default_target_group=TargetGroup(default_target_group) if default_target_group else None,
        active=True,
        created_by_id=by.id if by else None,
    )
    platform.courses = allowed_courses
    platform.units = allowed_units
    db.session.add(platform)
    db.session.flush()
    logger.info("Registered LRS client %s as source platform %s", client_id, platform.id)
    return platform


def update_platform(platform: SourcePlatform, changes: Mapping[str, Any]) -> SourcePlatform:
    _check(changes)
    if "name" in changes:
        platform.name = str(changes["name"]).strip()[:200]
    if "home_page" in changes:
        platform.home_page = str(changes["home_page"]).strip()
    if "provision_unknown" in changes:
        platform.provision_unknown = bool(changes["provision_unknown"])
    if "default_target_group" in changes:
        group = changes["default_target_group"]
        platform.default_target_group = TargetGroup(group) if group else None
    if "active" in changes:
        platform.active = bool(changes["active"])
    if changes.get("courses") is not None:
        platform.courses = _courses(list(changes["courses"]))
    if changes.get("units") is not None:
        platform.units = _units(list(changes["units"]))
    db.session.flush()
    logger.info("Updated source platform %s", platform.id)
    return platform


def delete_platform(platform: SourcePlatform) -> None:
    db.session.delete(platform)
    db.session.flush()


def to_dict(platform: SourcePlatform) -> dict[str, Any]:
    client = db.session.get(LrsClient, platform.client_id)
    return {
        "id": platform.id,
        "client_id": platform.client_id,
        "client_key": client.key if client else None,
        "name": platform.name,
        "home_page": platform.home_page,
        "provision_unknown": platform.provision_unknown,
        "default_target_group": platform.default_target_group,
        "courses": [c.slug for c in platform.courses],
        "units": [u.code for u in platform.units],
        "active": platform.active,
        "created_at": platform.created_at.isoformat() if platform.created_at else None,
    }
