"""Source platforms: LRS clients registered as places where learning happens (MOOCs).

A statement's platform is the LRS client that wrote it, recognised by the ``authority``
the LRS stamped on it (the client's authority Agent).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select

from lms.constants import TargetGroup
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db
from lms.learning.models import SourcePlatform
from lms.xapi.models import LrsClient
from lms.xapi.validation import agent_ifi

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


def register_platform(
    client_id: int,
    *,
    name: str,
    home_page: str,
    provision_unknown: bool = False,
    default_target_group: str | None = TargetGroup.citizen,
    by: User | None,
) -> SourcePlatform:
    """Register LRS client ``client_id`` as a source platform (one platform per client)."""
    _check({"name": name, "home_page": home_page, "default_target_group": default_target_group})
    client = db.session.get(LrsClient, client_id)
    if client is None:
        raise Invalid(_("LRS client not found."), errors={"client_id": [_("No such LRS client.")]})
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
    db.session.flush()
    return platform


def delete_platform(platform: SourcePlatform) -> None:
    db.session.delete(platform)
    db.session.flush()


def by_authority() -> dict[str, SourcePlatform]:
    """Active platforms keyed by the IFI of their client's authority (one query)."""
    rows = db.session.execute(
        select(SourcePlatform, LrsClient.authority)
        .join(LrsClient, LrsClient.id == SourcePlatform.client_id)
        .where(SourcePlatform.active.is_(True))
    ).all()
    out: dict[str, SourcePlatform] = {}
    for platform, authority in rows:
        try:
            out[agent_ifi(authority)] = platform
        except (KeyError, TypeError):
            continue
    return out


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
        "active": platform.active,
        "created_at": platform.created_at.isoformat() if platform.created_at else None,
    }
