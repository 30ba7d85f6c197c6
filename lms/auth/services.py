"""Users, passwords, sessions and API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from lms import events, periods, ratelimit
from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth import permissions
from lms.auth.models import (
    AccessCode,
    ApiToken,
    CodePurpose,
    Role,
    SessionEnd,
    User,
    UserRole,
    UserSession,
)
from lms.auth.text import (
    fold,
    is_valid_email,
    is_valid_phone,
    looks_like_email,
    normalise_email,
    normalise_phone,
)
from lms.bulk_insert import insert_objects
from lms.collation import sorted_vi, vi_sort_key
from lms.constants import TargetGroup
from lms.db import utcnow
from lms.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from lms.extensions import db
from lms.locks import insert_unique
from lms.org.models import Unit, UnitKind
from lms.org.services import assign_user_unit, start_memberships, subtree_ids

logger = logging.getLogger(__name__)

_HASHERS: dict[bool, PasswordHasher] = {
    False: PasswordHasher(),
    # Tests hash thousands of passwords; the cheap parameters keep the suite fast.
    True: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}


def _hasher() -> PasswordHasher:
    return _HASHERS[bool(current_app.config.get("PASSWORD_HASH_FAST"))]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200


def password_problems(password: str) -> list[str]:
    """What is wrong with ``password`` as a new password (empty when it will do)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [_("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [_("Use at most %(n)s characters.", n=MAX_PASSWORD_LENGTH)]
    return []


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(user: User, password: str, *, by: User | None = None) -> None:
    """Give ``user`` a new password; every session and token they had ends.

    ``by`` None is an operator at the command line, the only place passwords are set today.
    """
    problems = password_problems(password)
    if problems:
        raise Invalid(_("Invalid input."), errors={"password": problems})
    user.password_hash = hash_password(password)
    if user.id is not None:
        end_sessions(user, reason=SessionEnd.password)
        audit.record(AuditAction.user_password_set, user, actor=by)
    logger.info("Password set for user %s", user.id)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, *, name: str | None = None) -> tuple[str, ApiToken]:
    """Create a bearer token; the clear token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    ttl = timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    row = ApiToken(user=user, token_hash=token_digest(token), name=name, expires_at=utcnow() + ttl)
    db.session.add(row)
    db.session.flush()
    logger.info("Created API token %s for user %s", row.id, user.id)
    return token, row


def find_token(token: str) -> ApiToken | None:
    """Return the live token row for ``token``, or None if unknown, expired or revoked."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row


def revoke_token(row: ApiToken) -> None:
    row.revoked_at = utcnow()
    logger.info("Revoked API token %s of user %s", row.id, row.user_id)


def start_session(user: User) -> str:
    """Open a browser session for ``user``; the clear id goes into the cookie, never stored."""
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(user=user, token_hash=token_digest(sid)))
    db.session.flush()
    return sid


def find_session(sid: str | None) -> UserSession | None:
    """The open session whose id is ``sid``, or None once it has ended."""
    if not sid or not isinstance(sid, str):
        return None
    return db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == token_digest(sid), UserSession.ended_at.is_(None)
        )
    )


def end_session(sid: str | None) -> None:
    """Log out: this session ends for every copy of its cookie."""
    row = find_session(sid)
    if row is not None:
        row.ended_at, row.end_reason = utcnow(), SessionEnd.logout
        logger.info("Session %s of user %s ended (logout)", row.id, row.user_id)


def end_sessions(user: User, *, reason: SessionEnd) -> None:
    """End every browser session and revoke every API token of ``user``.

    A new password or a deactivation must lock out whoever holds an old cookie or token,
    including a thief; reactivating an account does not bring them back. Credentials other
    domains handed out for the person (a cmi5 launch's) end with them: ``sessions_ended``.
    """
    now = utcnow()
    sessions = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    tokens = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    logger.info(
        "Ended %s session(s) and revoked %s token(s) of user %s (%s)",
        getattr(sessions, "rowcount", "?"),
        getattr(tokens, "rowcount", "?"),
        user.id,
        reason,
    )
    events.sessions_ended.send(user, reason=reason)


# --- finding and authenticating people -----------------------------------------------------


def find_user_by_login(login: str) -> User | None:
    """The user whose email (any case) or phone number (any common spelling) is ``login``."""
    login = (login or "").strip()
    if not login:
        return None
    if looks_like_email(login):
        return db.session.scalar(select(User).where(User.email == normalise_email(login)))
    phone = normalise_phone(login)
    return db.session.scalar(select(User).where(User.phone == phone)) if phone else None


_DUMMY_HASHES: dict[bool, str] = {}


def _burn_a_hash(password: str) -> None:
    """Verify against a throwaway hash so an unknown login takes as long as a wrong password."""
    fast = bool(current_app.config.get("PASSWORD_HASH_FAST"))
    if fast not in _DUMMY_HASHES:
        _DUMMY_HASHES[fast] = _hasher().hash(secrets.token_hex(8))
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher().verify(_DUMMY_HASHES[fast], password)


def _failure_keys(login: str, user: User | None, address: str | None) -> list[str]:
    account = f"user:{user.id}" if user is not None else f"login:{fold(login)[:254]}"
    keys = [f"login-fail:{account}"]
    if address:
        keys.append(f"login-fail:addr:{address}")
    return keys


def authenticate(login: str, password: str, *, address: str | None) -> User:
    """Check a login and password, counting failures per account and per remote address.

    More than ``LOGIN_FAILURE_LIMIT`` failures in a minute for one account or one address
    locks both out for the rest of that minute (429), even with the right password: otherwise
    a guesser would learn the password from the one answer that differs. Attempts still
    being checked count as failures, so no more passwords are checked at once than the limit
    lets through.
    """
    limit = int(current_app.config.get("LOGIN_FAILURE_LIMIT", 10))
    user = find_user_by_login(login)
    keys = _failure_keys(login, user, address)
    counters = ratelimit.store()
    # Each attempt is counted as a failure *before* its password is checked (one atomic
    # increment) and given back if it is refused or succeeds: counted only after the slow
    # check, a burst of guesses sent at once all passed the limit's test first.
    counts = [counters.hit(key, 60) for key in keys]
    if max(counts) > limit:
        for key in keys:
            counters.unhit(key)
        raise TooManyRequests(_("Too many failed logins. Wait a minute and try again."))
    if user is None:
        _burn_a_hash(password)
    if user is None or not user.active or not check_password(user, password):
        logger.info("Failed login for %r from %s", login[:254], address)
        raise Unauthorized(_("Wrong email, phone number or password."))
    for key in keys:
        counters.unhit(key)
    user.last_login_at = utcnow()
    logger.info("User %s logged in from %s", user.id, address)
    return user


# --- creating and changing people ----------------------------------------------------------


def _check_contacts(email: str | None, phone: str | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not email and not phone:
        errors["email"] = [_("Give an email address or a phone number.")]
    if email and not is_valid_email(email):
        errors["email"] = [_("Not a valid email address.")]
    if phone and not is_valid_phone(phone):
        errors["phone"] = [_("Not a valid phone number.")]
    return errors


def _ensure_unique(email: str | None, phone: str | None, *, exclude: int | None = None) -> None:
    for column, value, message in (
        (User.email, email, _("A user with this email address already exists.")),
        (User.phone, phone, _("A user with this phone number already exists.")),
    ):
        if not value:
            continue
        stmt = select(User.id).where(column == value)
        if exclude is not None:
            stmt = stmt.where(User.id != exclude)
        if db.session.scalar(stmt.limit(1)) is not None:
            field = "email" if column is User.email else "phone"
            raise Conflict(message, errors={field: [message]})


def _roles(roles: Iterable[Role | str] | None) -> set[Role]:
    try:
        chosen = {Role(r) for r in roles or ()}
    except ValueError as exc:
        raise Invalid(_("Invalid input."), errors={"roles": [_("Unknown role.")]}) from exc
    return chosen or {Role.learner}


def create_user(
    *,
    email: str | None,
    phone: str | None,
    full_name: str,
    unit: Unit | None,
    target_group: TargetGroup | str | None,
    roles: Iterable[Role | str] | None,
    password: str | None = None,
    by: User | None,
    locale: str | None = None,
    active: bool = True,
    birth_date: date | None = None,
) -> User:
    """Create a user; ``by`` is the acting user (None: the system, e.g. the CLI or sign-up)."""
    email, phone = normalise_email(email), normalise_phone(phone)
    full_name = (full_name or "").strip()
    errors = _check_contacts(email, phone)
    if not full_name:
        errors["full_name"] = [_("Enter the full name.")]
    if password is not None and password_problems(password):
        errors["password"] = password_problems(password)
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)
    chosen = _roles(roles)
    permissions.ensure_may_place(by, unit, chosen)
    _ensure_unique(email, phone)
    user = _new_user(
        email=email,
        phone=phone,
        full_name=full_name,
        target_group=target_group,
        roles=chosen,
        locale=locale,
        active=active,
        birth_date=birth_date,
    )
    if password is not None:
        user.password_hash = hash_password(password)
    # Taken between the check and the insert (a double submit, a parallel import): answer
    # as the check would have.
    with insert_unique(lambda: _ensure_unique(email, phone)):
        db.session.add(user)
    if unit is not None:
        _assign_unit(user, unit)
    record_roles_given(user, by=by)
    logger.info("Created user %s (%s) by %s", user.id, ",".join(sorted(chosen)), by and by.id)
    return user


def _new_user(
    *,
    email: str | None,
    phone: str | None,
    full_name: str,
    target_group: TargetGroup | str | None,
    roles: Iterable[Role],
    locale: str | None = None,
    active: bool = True,
    birth_date: date | None = None,
) -> User:
    """A new user with its roles, checked already: what one created alone and one of many
    the bridge provisions are made of."""
    user = User(
        email=email,
        # Entered by staff, the system or a platform: vouched for (a sign-up clears it).
        email_verified_at=utcnow() if email else None,
        phone=phone,
        full_name=full_name,
        target_group=TargetGroup(target_group) if target_group else None,
        locale=locale,
        active=active,
        birth_date=birth_date,
    )
    user.role_rows = [UserRole(role=role) for role in sorted(roles)]
    return user


def create_learners(
    people: Sequence[tuple[str, str, Unit, TargetGroup | str | None]],
) -> list[User | Invalid | Conflict]:
    """Create many learners the system places (``by`` None), each ``(email, full_name, unit,
    target group)``: :func:`create_user` for each with the round trips paid once (the
    bridge's provisioning). Returns, in order, the user or why that one was not created."""
    emails = [normalise_email(email) for email, *_rest in people]
    taken = set(
        db.session.scalars(select(User.email).where(User.email.in_([e for e in emails if e])))
    )
    out: list[User | Invalid | Conflict] = []
    fresh: list[User] = []
    for (_email, full_name, unit, target_group), email in zip(people, emails, strict=True):
        name = (full_name or "").strip()
        errors = _check_contacts(email, None)
        if not name:
            errors["full_name"] = [_("Enter the full name.")]
        if errors:
            out.append(Invalid(_("Invalid input."), errors=errors))
            continue
        if email in taken:
            message = _("A user with this email address already exists.")
            out.append(Conflict(message, errors={"email": [message]}))
            continue
        permissions.ensure_may_place(None, unit, {Role.learner})
        taken.add(email)
        # The role row is written after the users (below), not through the relationship.
        user = _new_user(
            email=email, phone=None, full_name=name, target_group=target_group, roles=set()
        )
        user.unit_id = unit.id  # the unit itself is in the session: no load when read
        fresh.append(user)
        out.append(user)
    if fresh:
        # Written together (one COPY each on PostgreSQL), then each user's roles are set as
        # loaded, as after a flush of users created with their role rows.
        insert_objects(fresh)
        roles = [UserRole(user_id=user.id, role=Role.learner) for user in fresh]
        insert_objects(roles)
        for user, role in zip(fresh, roles, strict=True):
            set_committed_value(user, "role_rows", [role])
            set_committed_value(role, "user", user)
        start_memberships(fresh)
        logger.info("Created %s learners", len(fresh))
    return out


def record_roles_given(user: User, *, by: User | None) -> None:
    """Audit a new account that holds more than the learner role (sign-ups hold only that)."""
    if user.roles - {Role.learner}:
        details = {"roles": sorted(user.roles)}
        audit.record(AuditAction.user_created, user, actor=by, details=details)


def _assign_unit(user: User, unit: Unit | None, on: date | None = None) -> None:
    assign_user_unit(user, unit, on=on)


#: What a person may change on their own account without managing it.
SELF_FIELDS = frozenset({"full_name", "phone", "email", "locale", "birth_date"})


def update_user(user: User, changes: Mapping[str, Any], *, by: User | None) -> User:
    """Apply ``changes`` (``email, phone, full_name, birth_date, unit, target_group, roles,
    active, locale``).

    Anyone may change their own name, date of birth, contacts and language; everything else,
    and anyone else, only who manages the person (:func:`permissions.can_manage_user`): an
    official never changes an admin or a peer, even one placed in their area.
    """
    if by is not None and not by.is_admin:
        if by.id != user.id:
            permissions.ensure_can_manage_user(by, user)
        elif not set(changes) <= SELF_FIELDS:
            raise Forbidden(_("You do not have permission to do this."))
    email = normalise_email(changes["email"]) if "email" in changes else user.email
    phone = normalise_phone(changes["phone"]) if "phone" in changes else user.phone
    errors = _check_contacts(email, phone)
    if "full_name" in changes and not (changes["full_name"] or "").strip():
        errors["full_name"] = [_("Enter the full name.")]
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)
    roles = _roles(changes["roles"]) if "roles" in changes else user.roles
    unit = changes.get("unit", user.unit)
    if by is not None and ("unit" in changes or "roles" in changes):
        permissions.ensure_may_place(by, unit, roles)
    _ensure_unique(email, phone, exclude=user.id)
    if email != user.email:
        # Staff who manage the person vouch for the address they enter (as for a phone
        # number); one the person types themselves waits for its confirmation.
        set_email(user, email, verified=by is None or by.id != user.id)
    user.phone = phone
    if "full_name" in changes:
        user.full_name = changes["full_name"].strip()
    if "target_group" in changes:
        group = changes["target_group"]
        user.target_group = TargetGroup(group) if group else None
    if "active" in changes and bool(changes["active"]) != user.active:
        if user.active:
            end_sessions(user, reason=SessionEnd.deactivated)
        user.active = bool(changes["active"])
        action = AuditAction.user_reactivated if user.active else AuditAction.user_deactivated
        audit.record(action, user, actor=by)
    if "locale" in changes:
        user.locale = changes["locale"]
    if "birth_date" in changes:  # certificates issued already keep the date they printed
        user.birth_date = changes["birth_date"]
    if "roles" in changes and roles != user.roles:
        before = sorted(user.roles)
        keep = [row for row in user.role_rows if row.role in roles]
        user.role_rows = keep + [UserRole(role=r) for r in sorted(roles - user.roles)]
        details = {"roles_before": before, "roles_after": sorted(roles)}
        audit.record(AuditAction.user_roles_changed, user, actor=by, details=details)
    if "unit" in changes and (unit.id if unit else None) != user.unit_id:
        _assign_unit(user, unit)
    db.session.flush()
    logger.info("Updated user %s (%s) by %s", user.id, ",".join(sorted(changes)), by and by.id)
    return user


def set_email(user: User, email: str | None, *, verified: bool) -> None:
    """Give ``user`` the address ``email``, verified or waiting for its confirmation.

    A new address ends the codes that would confirm the old one, and the learning identities
    derived from the address follow (``email_identity_changed``).
    """
    user.email = email
    user.email_verified_at = utcnow() if verified and email else None
    if user.id is not None:
        db.session.execute(
            update(AccessCode)
            .where(
                AccessCode.user_id == user.id,
                AccessCode.purpose == CodePurpose.email,
                AccessCode.used_at.is_(None),
                AccessCode.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        db.session.flush()
        events.email_identity_changed.send(user)


def get_user(user_id: int, *, actor: User) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("User not found."))
    permissions.ensure_can_view_user(actor, user)
    return user


_PHONE_QUERY = re.compile(r"^[\d\s.+\-()]{6,}$")


def users_query(
    actor: User,
    *,
    unit: Unit | None = None,
    target_group: TargetGroup | str | None = None,
    role: Role | str | None = None,
    q: str | None = None,
) -> Select[tuple[User]]:
    """The people ``actor`` may see, filtered; ``unit`` means that unit's whole subtree."""
    stmt = select(User).where(permissions.users_scope_filter(actor))
    if unit is not None:
        permissions.ensure_unit_in_scope(actor, unit)
        stmt = stmt.where(User.unit_id.in_(subtree_ids(unit)))
    if target_group:
        stmt = stmt.where(User.target_group == TargetGroup(target_group))
    if role:
        stmt = stmt.where(User.role_rows.any(UserRole.role == Role(role)))
    if q and q.strip():
        words = [normalise_phone(q) or ""] if _PHONE_QUERY.match(q.strip()) else fold(q).split()
        for word in words[:8]:
            stmt = stmt.where(User.search_text.contains(word, autoescape=True))
    # Vietnamese order, in the database: the list pages (lms.collation, users.sort_name).
    return stmt.order_by(User.sort_name, User.id)


# --- consent to the privacy notice ---------------------------------------------------------

#: The version of the privacy notice (``/privacy``); a new version asks everyone again.
PRIVACY_NOTICE_VERSION = "2026-01"


def record_consent(user: User) -> None:
    """``user`` read and agreed to the current privacy notice (Decree 13/2023/NĐ-CP art. 11)."""
    user.consented_at = utcnow()
    user.consent_version = PRIVACY_NOTICE_VERSION
    logger.info("User %s agreed to privacy notice %s", user.id, PRIVACY_NOTICE_VERSION)


def needs_consent(user: User) -> bool:
    return user.consent_version != PRIVACY_NOTICE_VERSION


def consent_missing() -> dict[str, list[str]]:
    message = _("Read the privacy notice and tick the box to agree.")
    return {"consent": [message]}


# --- self-registration ---------------------------------------------------------------------


def register_citizen(
    *, login: str, full_name: str, password: str, unit: Unit | None, consent: bool
) -> User:
    """Sign a citizen up with a phone number or an email address, as journey 1 does.

    Nobody is signed up without agreeing to the privacy notice (``consent``).
    """
    if not consent:
        raise Invalid(_("Invalid input."), errors=consent_missing())
    login = (login or "").strip()
    if not login:
        raise Invalid(
            _("Invalid input."), errors={"login": [_("Enter a phone number or an email address.")]}
        )
    if unit is not None and (unit.kind != UnitKind.commune or not unit.is_current()):
        raise Invalid(
            _("Invalid input."), errors={"unit": [_("Choose a current ward or commune.")]}
        )
    email, phone = (login, None) if looks_like_email(login) else (None, login)
    try:
        user = create_user(
            email=email,
            phone=phone,
            full_name=full_name,
            unit=unit,
            target_group=TargetGroup.citizen,
            roles=[Role.learner],
            password=password,
            by=None,
        )
    except (Invalid, Conflict) as exc:
        if exc.errors:  # the form has one contact field: "login"
            exc.errors = {
                ("login" if k in {"email", "phone"} else k): v for k, v in exc.errors.items()
            }
        raise
    if email:
        # The person typed the address: it is no identity of theirs until they confirm it
        # (the caller sends the code, :func:`lms.auth.access.send_email_confirmation`).
        user.email_verified_at = None
        db.session.flush()
    record_consent(user)
    return user


def current_communes(on: date | None = None) -> list[tuple[str, list[Unit]]]:
    """Today's wards and communes grouped by province, for the sign-up form's list."""
    on = on or periods.today()
    current = (Unit.valid_from <= on) & or_(Unit.valid_to.is_(None), Unit.valid_to >= on)
    communes = sorted_vi(
        db.session.scalars(select(Unit).where(Unit.kind == UnitKind.commune, current)),
        key=lambda u: u.name,
    )
    root_ids = {c.ancestor_ids[0] if c.ancestor_ids else c.id for c in communes}
    roots = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(root_ids)))}
    groups: dict[str, list[Unit]] = {}
    for commune in communes:
        root = roots.get(commune.ancestor_ids[0] if commune.ancestor_ids else commune.id)
        groups.setdefault(root.name if root else "", []).append(commune)
    return sorted(groups.items(), key=lambda item: vi_sort_key(item[0]))
