"""Who a statement is about: matching xAPI actors to users, and provisioning new learners.

An actor names a person by ``mbox``, ``mbox_sha1sum``, ``account`` or ``openid``
(xAPI Data 2.4.2.1). A user's identities are the rows of ``learner_identities`` plus two
implicit ones: their own email (as ``mbox``, and as ``mbox_sha1sum`` once synced into the
table, because a hash cannot be searched backwards) and the LMS's own account
``{homePage: BASE_URL, name: str(user.id)}`` (the actor ``lms.statements.actor_for`` writes).

The email is an identity only once verified (``User.email_verified_at``): an address a person
typed and never confirmed names nobody, or anyone could claim what other platforms recorded
about an address they do not own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, or_, select

from lms.auth.models import Role, User
from lms.auth.services import create_learners, create_user
from lms.bulk_insert import insert_rows
from lms.db import utcnow
from lms.edge import row_id
from lms.errors import Conflict, DomainError, Invalid, NotFound
from lms.extensions import db
from lms.learning.constants import EXT_UNIT_CODE
from lms.learning.cursor import read_cursor
from lms.learning.models import (
    IdentityKind,
    IdentitySource,
    LearnerIdentity,
    SourcePlatform,
)
from lms.org.services import get_unit
from lms.statements import base_url
from lms.xapi.sql import dialect_insert

if TYPE_CHECKING:
    from lms.org.models import Unit

logger = logging.getLogger(__name__)

#: Provisioned learners known only by an account get an address in this reserved domain
#: (RFC 2606): the users table needs an email or a phone, and nothing is ever sent there.
PLACEHOLDER_DOMAIN = "learners.lms146.invalid"
EMAIL_SYNC_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Ifi:
    kind: IdentityKind
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def ifi_of(actor: dict[str, Any]) -> Ifi | None:
    """The inverse functional identifier of an Agent, normalised for matching."""
    if not isinstance(actor, dict):
        return None
    if actor.get("mbox"):
        return Ifi(IdentityKind.mbox, str(actor["mbox"]).strip().lower())
    if actor.get("mbox_sha1sum"):
        return Ifi(IdentityKind.mbox_sha1sum, str(actor["mbox_sha1sum"]).strip().lower())
    account = actor.get("account")
    if isinstance(account, dict) and account.get("homePage") and account.get("name") is not None:
        return Ifi(IdentityKind.account, f"{account['homePage']}|{account['name']}")
    if actor.get("openid"):
        return Ifi(IdentityKind.openid, str(actor["openid"]))
    return None


def mbox_sha1(email: str) -> str:
    return hashlib.sha1(f"mailto:{email}".encode(), usedforsecurity=False).hexdigest()


def _still_true() -> ColumnElement[bool]:
    """SQL: a ``learner_identities`` row still names its user: one derived from the email
    only while that email is verified (the rows follow it, this guards a stale one)."""
    return or_(LearnerIdentity.source != IdentitySource.email, User.email_verified_at.is_not(None))


def _by_identity(ifi: Ifi) -> User | None:
    return db.session.scalar(
        select(User)
        .join(LearnerIdentity, LearnerIdentity.user_id == User.id)
        .where(LearnerIdentity.kind == ifi.kind, LearnerIdentity.value == ifi.value, _still_true())
    )


def find_user(ifi: Ifi) -> User | None:
    """The user this identifier names, or None."""
    user = _by_identity(ifi)
    if user is not None:
        return user
    if ifi.kind == IdentityKind.mbox and ifi.value.startswith("mailto:"):
        return db.session.scalar(
            select(User).where(User.email == ifi.value[7:], User.email_verified_at.is_not(None))
        )
    if ifi.kind == IdentityKind.account:
        home, _sep, name = ifi.value.rpartition("|")
        user_id = row_id(name)
        if home.rstrip("/") == base_url() and user_id is not None:
            return db.session.get(User, user_id)
        return None
    if ifi.kind == IdentityKind.mbox_sha1sum and sync_email_identities() > 0:
        return _by_identity(ifi)
    return None


def find_users(ifis: Iterable[Ifi]) -> dict[Ifi, User]:
    """:func:`find_user` for many identifiers (the bridge's batch): the identities table, the
    emails and the LMS accounts each read once; absent keys name nobody."""
    wanted = set(ifis)
    found: dict[Ifi, User] = {}
    values = sorted({i.value for i in wanted})
    for start in range(0, len(values), 1000):
        rows = db.session.execute(
            select(LearnerIdentity.kind, LearnerIdentity.value, User)
            .join(User, LearnerIdentity.user_id == User.id)
            .where(LearnerIdentity.value.in_(values[start : start + 1000]), _still_true())
        )
        for kind, value, user in rows:
            ifi = Ifi(IdentityKind(kind), value)
            if ifi in wanted:
                found[ifi] = user
    rest = wanted - set(found)
    emails = {
        i.value[7:]: i
        for i in rest
        if i.kind == IdentityKind.mbox and i.value.startswith("mailto:")
    }
    if emails:
        verified = select(User).where(
            User.email.in_(list(emails)), User.email_verified_at.is_not(None)
        )
        for user in db.session.scalars(verified):
            if user.email in emails:
                found[emails[user.email]] = user
    home = base_url()
    accounts: dict[int, Ifi] = {}
    for i in rest:
        if i.kind == IdentityKind.account:
            page, _sep, name = i.value.rpartition("|")
            user_id = row_id(name)
            if page.rstrip("/") == home and user_id is not None:
                accounts[user_id] = i
    if accounts:
        for user in db.session.scalars(select(User).where(User.id.in_(list(accounts)))):
            found[accounts[user.id]] = user
    for i in rest - set(found):
        if i.kind == IdentityKind.mbox_sha1sum:  # may need the emails synced first
            synced = find_user(i)
            if synced is not None:
                found[i] = synced
    return found


def sync_email_identities(*, full: bool = False) -> int:
    """Store the ``mbox_sha1sum`` of users' verified emails not stored yet; returns how many.

    Incremental by user id (new users); ``full`` also re-reads everyone, for emails that
    changed (``flask bridge sync-identities``), and drops the rows of addresses that are no
    longer a verified email of their user. A change or a confirmation of one person's address
    updates their row at once (:func:`on_email_identity_changed`).
    """
    cursor = read_cursor()
    since = 0 if full else cursor.email_synced_user_id
    added = 0
    if full:
        _drop_stale_email_rows()
    while True:
        rows = db.session.execute(
            select(User.id, User.email)
            .where(User.id > since, User.email.is_not(None), User.email_verified_at.is_not(None))
            .order_by(User.id)
            .limit(EMAIL_SYNC_CHUNK)
        ).all()
        if not rows:
            break
        hashes = {mbox_sha1(str(email)): uid for uid, email in rows}
        known = set(
            db.session.scalars(
                select(LearnerIdentity.value).where(
                    LearnerIdentity.kind == IdentityKind.mbox_sha1sum,
                    LearnerIdentity.value.in_(list(hashes)),
                )
            )
        )
        for value, uid in hashes.items():
            if value not in known:
                db.session.add(
                    LearnerIdentity(
                        user_id=uid,
                        kind=IdentityKind.mbox_sha1sum,
                        value=value,
                        source=IdentitySource.email,
                    )
                )
                added += 1
        since = rows[-1][0]
        db.session.flush()
    if since > cursor.email_synced_user_id:
        cursor.email_synced_user_id = since
    db.session.flush()
    return added


def _drop_stale_email_rows() -> None:
    """Delete the email-derived rows that are not the SHA-1 of their user's verified email."""
    stale = [
        row_id
        for row_id, value, email, verified in db.session.execute(
            select(LearnerIdentity.id, LearnerIdentity.value, User.email, User.email_verified_at)
            .join(User, LearnerIdentity.user_id == User.id)
            .where(LearnerIdentity.source == IdentitySource.email)
        )
        if not (email and verified and value == mbox_sha1(email))
    ]
    for start in range(0, len(stale), EMAIL_SYNC_CHUNK):
        db.session.execute(
            delete(LearnerIdentity).where(
                LearnerIdentity.id.in_(stale[start : start + EMAIL_SYNC_CHUNK])
            )
        )


def on_email_identity_changed(user: User, **_kwargs: Any) -> None:
    """``email_identity_changed``: the person's email-derived identity follows their address:
    the old one's row goes, a verified one's ``mbox_sha1sum`` is stored (unless the hash names
    someone else already: an identity names one person)."""
    db.session.execute(
        delete(LearnerIdentity).where(
            LearnerIdentity.user_id == user.id, LearnerIdentity.source == IdentitySource.email
        )
    )
    if user.email and user.email_verified_at is not None:
        # One conditional insert, not a look-up then an add: two confirmations at once (or a
        # platform's explicit row with the same hash) leave one row, never an IntegrityError.
        db.session.execute(
            dialect_insert(LearnerIdentity.__table__)
            .values(
                user_id=user.id,
                kind=IdentityKind.mbox_sha1sum,
                value=mbox_sha1(user.email),
                source=IdentitySource.email,
            )
            .on_conflict_do_nothing(index_elements=["kind", "value"])
        )
    db.session.flush()


def link_identity(
    user: User,
    ifi: Ifi,
    *,
    source: IdentitySource,
    by: User | None,
    platform: SourcePlatform | None = None,
) -> LearnerIdentity:
    """Tie ``ifi`` to ``user``; idempotent for the same user, 409 for another one."""
    if len(ifi.value) > 512:
        raise Invalid(_("This identifier is too long."), errors={"value": [_("Too long.")]})
    existing = db.session.scalar(
        select(LearnerIdentity).where(
            LearnerIdentity.kind == ifi.kind, LearnerIdentity.value == ifi.value
        )
    )
    if existing is not None:
        if existing.user_id == user.id:
            return existing
        raise Conflict(
            _("This identity already belongs to another learner."),
            errors={"value": [_("Already linked to user %(id)s.", id=existing.user_id)]},
        )
    other = find_user(ifi)
    if other is not None and other.id != user.id:
        raise Conflict(
            _("This identity already belongs to another learner."),
            errors={"value": [_("It is the email or account of user %(id)s.", id=other.id)]},
        )
    row = LearnerIdentity(
        user_id=user.id,
        kind=ifi.kind,
        value=ifi.value,
        source=source,
        platform_id=platform.id if platform else None,
        created_by_id=by.id if by else None,
    )
    db.session.add(row)
    db.session.flush()
    logger.info("Linked %s to user %s (%s) by %s", ifi, user.id, source, by.id if by else None)
    return row


def unlink_identity(identity_id: int) -> None:
    row = db.session.get(LearnerIdentity, identity_id)
    if row is None:
        raise NotFound(_("Identity not found."))
    db.session.delete(row)
    db.session.flush()


def identities_of(user: User) -> list[dict[str, Any]]:
    """Every identity of ``user``, the implicit ones included (marked so)."""
    out: list[dict[str, Any]] = [
        {
            "id": None,
            "kind": "account",
            "value": f"{base_url()}|{user.id}",
            "source": "lms",
            "implicit": True,
        }
    ]
    verified = user.email if user.email and user.email_verified_at is not None else None
    if verified:
        out.append(
            {
                "id": None,
                "kind": "mbox",
                "value": f"mailto:{verified}",
                "source": "email",
                "implicit": True,
            }
        )
    rows = db.session.scalars(
        select(LearnerIdentity)
        .where(LearnerIdentity.user_id == user.id)
        .order_by(LearnerIdentity.id)
    )
    for row in rows:
        if row.source == IdentitySource.email and (
            verified is None or row.value != mbox_sha1(verified)
        ):
            continue  # derived from an address that is no longer a verified one of theirs
        out.append(
            {
                "id": row.id,
                "kind": str(row.kind),
                "value": row.value,
                "source": str(row.source),
                "implicit": row.source == IdentitySource.email,
                "platform_id": row.platform_id,
            }
        )
    return out


# --- provisioning ----------------------------------------------------------------------------


def unit_code_of(statement: dict[str, Any]) -> str | None:
    extensions = (statement.get("context") or {}).get("extensions") or {}
    code = extensions.get(EXT_UNIT_CODE)
    return code.strip() if isinstance(code, str) and code.strip() else None


def _display_name(actor: dict[str, Any], ifi: Ifi) -> str:
    name = actor.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:200]
    if ifi.kind == IdentityKind.account:
        return f"Học viên {ifi.value.rpartition('|')[2]}"[:200]
    if ifi.kind == IdentityKind.mbox:
        return ifi.value[7:].split("@")[0][:200]
    return "Học viên MOOC"


def placeholder_email(ifi: Ifi) -> str:
    digest = hashlib.sha256(str(ifi).encode("utf-8")).hexdigest()[:24]
    return f"{ifi.kind.replace('_', '-')}-{digest}@{PLACEHOLDER_DOMAIN}"


def find_unit(code: str) -> Unit | None:
    try:
        return get_unit(code)
    except NotFound:
        return None


def provision(actor: dict[str, Any], ifi: Ifi, platform: SourcePlatform, *, unit: Unit) -> User:
    """Create the learner ``actor`` names, as the platform's default target group, in ``unit``
    (from the statement's unit-code extension; the bridge checked that the platform may
    provision into it)."""

    email = ifi.value[7:] if ifi.kind == IdentityKind.mbox else placeholder_email(ifi)
    user = create_user(
        email=email,
        phone=None,
        full_name=_display_name(actor, ifi),
        unit=unit,
        target_group=platform.default_target_group,
        roles=(Role.learner,),
        password=None,
        by=None,
    )
    if ifi.kind != IdentityKind.mbox:
        # find_user just missed this identifier and the user is new: no checks to repeat.
        db.session.add(_provisioned(user, ifi, platform))
        db.session.flush()
    logger.info("Provisioned user %s from platform %s (unit %s)", user.id, platform.id, unit.code)
    return user


def provision_many(
    plans: list[tuple[dict[str, Any], Ifi, SourcePlatform, Unit]],
) -> list[User | DomainError]:
    """:func:`provision` for many learners (``(actor, ifi, platform, unit)`` each, every ifi
    unknown and different): created together, their identities written together. Returns,
    in order, the user or why they could not be created."""
    people = [
        (
            ifi.value[7:] if ifi.kind == IdentityKind.mbox else placeholder_email(ifi),
            _display_name(actor, ifi),
            unit,
            platform.default_target_group,
        )
        for actor, ifi, platform, unit in plans
    ]
    out: list[User | DomainError] = list(create_learners(people))
    # One plain INSERT of the identities (create_learners flushed: the users have their ids);
    # nothing reads them back as objects in the batch.
    rows = [
        {
            "user_id": user.id,
            "kind": ifi.kind,
            "value": ifi.value,
            "source": IdentitySource.provisioned,
            "platform_id": platform.id,
            "created_at": utcnow(),
            "created_by_id": None,
        }
        for (_actor, ifi, platform, _unit), user in zip(plans, out, strict=True)
        if isinstance(user, User) and ifi.kind != IdentityKind.mbox
    ]
    insert_rows(LearnerIdentity.__table__, rows)
    return out


def _provisioned(user: User, ifi: Ifi, platform: SourcePlatform) -> LearnerIdentity:
    """The identifier a platform knows a learner it made us create by (not an email: that
    is the account's own)."""
    return LearnerIdentity(
        user_id=user.id,
        kind=ifi.kind,
        value=ifi.value,
        source=IdentitySource.provisioned,
        platform_id=platform.id,
    )
