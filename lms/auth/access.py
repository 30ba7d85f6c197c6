"""Ways in for people someone else created: invitations, activation codes, password resets.

An account made by an import or by an official has no password. Its owner gets a one-time
code: a link by e-mail, a code by SMS, or a code on a printed sheet that the commune official
hands out. With it they set a password on ``/activate``. A forgotten password is the same
thing with another purpose: a link by e-mail or a six-digit code by SMS, used on ``/reset``.

Every code is random, stored only as an HMAC keyed by the app's secret, expires, and is used
by one conditional UPDATE, so of two people racing with one code exactly one sets a password.
Issuing a new code revokes the person's open codes of that purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, select, update

from lms import events, ratelimit
from lms.auth.models import AccessCode, CodeChannel, CodePurpose, SessionEnd, SsoIdentity, User
from lms.auth.services import (
    end_sessions,
    find_user_by_login,
    hash_password,
    password_problems,
)
from lms.auth.text import fold, looks_like_email, phone_e164
from lms.db import utcnow
from lms.errors import Conflict, Invalid, ServiceUnavailable, TooManyRequests
from lms.extensions import db
from lms.locks import lock
from lms.messages import services as messages
from lms.messages.models import Channel, Message

logger = logging.getLogger(__name__)

#: Letters and digits nobody misreads on a slip of paper: no 0/O, 1/I/L.
SHEET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SHEET_CODE_LENGTH = 10
RESET_CODE_DIGITS = 6
#: Wrong codes typed for one account before its open reset code is burnt.
MAX_CODE_TRIES = 5
#: Codes typed per address and minute on /activate and /reset.
CODE_TRIES_PER_MINUTE = 20
_NOT_CODE = re.compile(r"[^0-9A-Za-z]")


@dataclass
class Issued:
    """A code just issued; ``code`` is the clear code, known only now (for a sheet)."""

    user: User
    code: str
    row: AccessCode
    message: Message | None


# --- codes -------------------------------------------------------------------------------------


def _short_code() -> str:
    raw = "".join(secrets.choice(SHEET_ALPHABET) for _i in range(SHEET_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _digits_code() -> str:
    return f"{secrets.randbelow(10**RESET_CODE_DIGITS):0{RESET_CODE_DIGITS}d}"


def canonical(code: str) -> str:
    """A typed code as it was issued: short codes in any case, with or without spaces."""
    code = (code or "").strip()
    if len(code) > 2 * SHEET_CODE_LENGTH:
        return code  # a link's token, exactly
    return _NOT_CODE.sub("", code).upper()


def digest(code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, canonical(code).encode(), hashlib.sha256).hexdigest()


def _open(purpose: CodePurpose, now: datetime) -> list[ColumnElement[bool]]:
    return [
        AccessCode.purpose == purpose,
        AccessCode.used_at.is_(None),
        AccessCode.revoked_at.is_(None),
        AccessCode.expires_at > now,
    ]


def revoke_open(user: User, purpose: CodePurpose) -> None:
    db.session.execute(
        update(AccessCode)
        .where(
            AccessCode.user_id == user.id,
            AccessCode.purpose == purpose,
            AccessCode.used_at.is_(None),
            AccessCode.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )


def _new_code(
    user: User,
    purpose: CodePurpose,
    channel: CodeChannel,
    *,
    ttl: timedelta,
    by: User | None,
) -> tuple[str, AccessCode]:
    revoke_open(user, purpose)
    if channel == CodeChannel.email:
        code = secrets.token_urlsafe(32)
    elif purpose == CodePurpose.reset:
        code = _digits_code()
    else:
        code = _short_code()
    row = AccessCode(
        user_id=user.id,
        purpose=purpose,
        channel=channel,
        code_hash=digest(code),
        expires_at=utcnow() + ttl,
        created_by_id=by.id if by else None,
    )
    db.session.add(row)
    db.session.flush()
    return code, row


def local_time(moment: datetime) -> str:
    """``dd/mm/yyyy HH:MM`` in the site's time zone, as people read a deadline."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def _locale(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    if user.locale in languages:
        return str(user.locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _send(
    user: User, channel: CodeChannel, purpose: CodePurpose, code: str, row: AccessCode
) -> Message:
    """Queue the e-mail or SMS carrying ``code``, in the person's language."""
    base = current_app.config["BASE_URL"]
    page = {
        CodePurpose.activation: "activate",
        CodePurpose.reset: "reset",
        CodePurpose.email: "confirm-email",
    }[purpose]
    context = {
        "user": user,
        "code": code,
        "link": f"{base}/{page}?code={code}",
        "page": f"{base}/{page}",
        "expires": local_time(row.expires_at),
        "site": base,
    }
    name = f"messages/{purpose.value}_{'email' if channel == CodeChannel.email else 'sms'}.txt"
    with force_locale(_locale(user)):
        body = render_template(name, **context).strip() + "\n"
        subject = {
            CodePurpose.activation: _("Your account on LMS 146: set your password"),
            CodePurpose.reset: _("LMS 146: reset your password"),
            CodePurpose.email: _("LMS 146: confirm your e-mail address"),
        }[purpose]
    if channel == CodeChannel.email:
        return messages.queue(
            Channel.email,
            user.email or "",
            body,
            subject=subject,
            purpose=purpose.value,
            user_id=user.id,
        )
    return messages.queue(
        Channel.sms, phone_e164(user.phone or ""), body, purpose=purpose.value, user_id=user.id
    )


# --- invitations ---------------------------------------------------------------------------------


def can_receive(user: User, channel: CodeChannel) -> bool:
    if channel == CodeChannel.email:
        return bool(user.email)
    if channel == CodeChannel.sms:
        return bool(user.phone)
    return True


def has_a_way_in(user: User) -> bool:
    """The person has a password or a linked single sign-on account (:func:`has_way_in` for
    one person): activated, so no activation code is issued for them."""
    if user.password_hash is not None:
        return True
    linked = db.session.scalar(select(SsoIdentity.id).where(SsoIdentity.user_id == user.id))
    return linked is not None


def issue_invitation(user: User, channel: CodeChannel | str, *, by: User | None) -> Issued:
    """A new activation code for ``user`` (who must have no way in yet), sent or returned.

    The caller has checked that ``by`` may manage ``user``; the caller commits, then calls
    :func:`lms.messages.services.dispatch`.
    """
    channel = CodeChannel(channel)
    if has_a_way_in(user):
        raise Conflict(_("%(name)s has already activated the account.", name=user.full_name))
    if not user.active:
        raise Conflict(_("This account is disabled."))
    if not can_receive(user, channel):
        field = "email" if channel == CodeChannel.email else "phone"
        message = (
            _("%(name)s has no e-mail address.", name=user.full_name)
            if channel == CodeChannel.email
            else _("%(name)s has no phone number.", name=user.full_name)
        )
        raise Invalid(message, errors={field: [message]})
    ttl = timedelta(hours=int(current_app.config["INVITATION_TTL_HOURS"]))
    code, row = _new_code(user, CodePurpose.activation, channel, ttl=ttl, by=by)
    message = None
    if channel != CodeChannel.sheet:
        message = _send(user, channel, CodePurpose.activation, code, row)
        row.message_id = message.id
    logger.info("Invitation %s (%s) for user %s by %s", row.id, channel, user.id, by and by.id)
    return Issued(user=user, code=code, row=row, message=message)


def issue_invitations(
    users: Iterable[User], channel: CodeChannel | str, *, by: User | None
) -> tuple[list[Issued], list[User]]:
    """Invite everyone of ``users`` who can be; returns (issued, skipped)."""
    channel = CodeChannel(channel)
    issued: list[Issued] = []
    skipped: list[User] = []
    for user in users:
        if has_a_way_in(user) or not user.active or not can_receive(user, channel):
            skipped.append(user)
            continue
        issued.append(issue_invitation(user, channel, by=by))
    return issued, skipped


# --- using a code ----------------------------------------------------------------------------


def _count_try(address: str | None) -> None:
    if address and ratelimit.store().hit(f"code-try:addr:{address}", 60) > CODE_TRIES_PER_MINUTE:
        raise TooManyRequests(_("Too many codes tried. Wait a minute and try again."))


def _wrong_code() -> Invalid:
    message = _("This code is wrong, has expired or was already used.")
    return Invalid(message, errors={"code": [message]})


def find_code(code: str, purpose: CodePurpose, *, user: User | None = None) -> AccessCode | None:
    """The open code of ``purpose`` that ``code`` is (for ``user``, when given)."""
    if not canonical(code):
        return None
    stmt = select(AccessCode).where(AccessCode.code_hash == digest(code), *_open(purpose, utcnow()))
    if user is not None:
        stmt = stmt.where(AccessCode.user_id == user.id)
    return db.session.scalars(stmt.order_by(AccessCode.id.desc()).limit(1)).first()


def check_code(code: str, purpose: CodePurpose, *, address: str | None) -> AccessCode:
    """The open code, for the page that asks next for a password; counts the try."""
    _count_try(address)
    row = find_code(code, purpose)
    if row is None or not row.user.active:
        raise _wrong_code()
    return row


def redeem(
    code: str,
    password: str,
    *,
    purpose: CodePurpose,
    login: str | None = None,
    address: str | None,
) -> User:
    """Use ``code`` to set ``password``; the code works once, for whoever comes first.

    A six-digit reset code is only unique with its account, so it comes with ``login``; wrong
    ones count against the account's open code, which dies after :data:`MAX_CODE_TRIES`.
    """
    _count_try(address)
    problems = password_problems(password)
    if problems:
        raise Invalid(_("Please correct the marked fields."), errors={"password": problems})
    owner = None
    if login:
        owner = find_user_by_login(login)
        if owner is None:
            raise _wrong_code()
    elif len(canonical(code)) <= RESET_CODE_DIGITS:
        raise _wrong_code()  # six digits are guessable across accounts: only with their login
    if owner is not None and not _take_a_try(owner, purpose):
        raise _wrong_code()
    row = find_code(code, purpose, user=owner)
    if row is None:
        if owner is not None:
            logger.info("Wrong %s code for user %s", purpose, owner.id)
            _burn_spent(owner, purpose)
        raise _wrong_code()
    user = row.user
    now = utcnow()
    taken = db.session.execute(
        update(AccessCode)
        .where(AccessCode.id == row.id, *_open(purpose, now))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1 or not user.active:  # type: ignore[attr-defined]
        raise _wrong_code()
    user.password_hash = hash_password(password)
    end_sessions(user, reason=SessionEnd.password)
    revoke_open(user, CodePurpose.activation)
    revoke_open(user, CodePurpose.reset)
    logger.info("User %s set a password with %s code %s", user.id, purpose, row.id)
    return user


def _take_a_try(user: User, purpose: CodePurpose) -> bool:
    """Spend one of the tries of ``user``'s open code before a guess is compared; False when
    none is left (or no code is open).

    One conditional UPDATE: guesses sent at once wait on the code's row and find the tries
    spent, so no more guesses are compared than :data:`MAX_CODE_TRIES` (counted after the
    comparison, a burst was compared in full while the code was still open). A right code
    spends its try too; it is used up anyway.
    """
    taken = db.session.execute(
        update(AccessCode)
        .where(
            AccessCode.user_id == user.id,
            AccessCode.failed_tries < MAX_CODE_TRIES,
            *_open(purpose, utcnow()),
        )
        .values(failed_tries=AccessCode.failed_tries + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _burn_spent(user: User, purpose: CodePurpose) -> None:
    """After a wrong guess: a code whose tries are all spent dies."""
    now = utcnow()
    db.session.execute(
        update(AccessCode)
        .where(
            AccessCode.user_id == user.id,
            AccessCode.failed_tries >= MAX_CODE_TRIES,
            *_open(purpose, now),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    # The caller commits even though it answers with the error: the count must stay.


# --- forgotten passwords ---------------------------------------------------------------------


def request_reset(login: str, *, address: str | None) -> CodeChannel | None:
    """Send a reset link (to an e-mail login) or code (to a phone login), if the account exists.

    The caller answers the same whatever this returns, so nobody learns whether an address has
    an account. Requests are limited per account (or per typed login, for one that does not
    exist, so the limit answers alike) and per address, ``RESET_LIMIT_PER_HOUR`` each.
    """
    login = (login or "").strip()
    if not login:
        message = _("Enter your email or phone number.")
        raise Invalid(message, errors={"login": [message]})
    user = find_user_by_login(login)
    limit = int(current_app.config["RESET_LIMIT_PER_HOUR"])
    keys = [f"reset:acct:{user.id}" if user is not None else f"reset:login:{fold(login)[:254]}"]
    if address:
        keys.append(f"reset:addr:{address}")
    counts = [ratelimit.store().hit(key, 3600) for key in keys]
    if max(counts) > limit:
        raise TooManyRequests(_("Too many requests. Try again in an hour."))
    if user is None or not user.active:
        logger.info("Reset asked for %r from %s: no such active account", login[:254], address)
        return None
    channel = CodeChannel.email if looks_like_email(login) else CodeChannel.sms
    ttl = timedelta(minutes=int(current_app.config["RESET_TTL_MINUTES"]))
    code, row = _new_code(user, CodePurpose.reset, channel, ttl=ttl, by=None)
    row.message_id = _send(user, channel, CodePurpose.reset, code, row).id
    logger.info("Reset code %s (%s) for user %s from %s", row.id, channel, user.id, address)
    return channel


# --- confirming an e-mail address -----------------------------------------------------------


def send_email_confirmation(user: User) -> bool:
    """Send ``user`` a link to confirm their e-mail address; False when there is nothing to
    confirm, or when the limit of sends per hour is reached.

    Limited like reset requests (``RESET_LIMIT_PER_HOUR`` per account, whoever asked: a change
    of address sends one too), so nobody uses the LMS to flood an address. Issuing revokes the
    link sent before. The caller commits, then :func:`lms.messages.services.dispatch`.
    """
    if not user.email or user.email_verified or not user.active:
        return False
    limit = int(current_app.config["RESET_LIMIT_PER_HOUR"])
    if ratelimit.store().hit(f"confirm:acct:{user.id}", 3600) > limit:
        logger.info("E-mail confirmation for user %s not sent: limit reached", user.id)
        return False
    ttl = timedelta(hours=int(current_app.config["INVITATION_TTL_HOURS"]))
    code, row = _new_code(user, CodePurpose.email, CodeChannel.email, ttl=ttl, by=None)
    row.message_id = _send(user, CodeChannel.email, CodePurpose.email, code, row).id
    logger.info("E-mail confirmation %s sent to user %s", row.id, user.id)
    return True


def dispatch_confirmation() -> bool:
    """Hand the committed confirmation to the workers; False when they cannot be reached.

    The change it confirms is committed already (a sign-up, a new address), so a 503 would
    tell the person that nothing happened when it did: the message stays queued, and the
    person can ask for the link again from My data.
    """
    try:
        messages.dispatch()
    except ServiceUnavailable:
        logger.warning("E-mail confirmation queued but not dispatched: workers unreachable")
        return False
    return True


def confirm_email(code: str, *, address: str | None) -> User:
    """Use a confirmation link: the address it was sent to becomes the account's verified
    e-mail. Works once (one conditional UPDATE); a change of address revoked it already."""
    _count_try(address)
    row = find_code(code, CodePurpose.email)
    if row is None or len(canonical(code)) <= 2 * SHEET_CODE_LENGTH:
        raise _wrong_code()
    # The person first, then the code: the order a change of address takes them in
    # (lms.auth.services.set_email), so the two never deadlock; whichever comes second sees
    # the other's outcome (a revoked code, or an address to confirm again).
    user = lock(row.user)
    if user is None:
        raise _wrong_code()
    now = utcnow()
    taken = db.session.execute(
        update(AccessCode)
        .where(AccessCode.id == row.id, *_open(CodePurpose.email, now))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1 or not user.active or not user.email:  # type: ignore[attr-defined]
        raise _wrong_code()
    user.email_verified_at = now
    db.session.flush()
    events.email_identity_changed.send(user)
    logger.info("User %s confirmed their e-mail with code %s", user.id, row.id)
    return user


# --- who has a way in ------------------------------------------------------------------------


@dataclass
class Access:
    """What the invitations page shows for one person."""

    user: User
    activated: bool
    code: AccessCode | None
    message: Message | None

    @property
    def state(self) -> str:
        """``activated``, ``failed`` (the message), ``expired``, ``invited`` or ``none``."""
        if self.activated:
            return "activated"
        if self.code is None:
            return "none"
        if self.message is not None and self.message.status == "failed":
            return "failed"
        if self.code.revoked_at is not None or self.code.expires_at <= utcnow():
            return "expired"
        return "invited"


def has_way_in() -> ColumnElement[bool]:
    """SQL: the person has a password or a linked single sign-on account."""
    return User.password_hash.is_not(None) | exists().where(SsoIdentity.user_id == User.id)


def access_of(users: list[User]) -> list[Access]:
    ids = [u.id for u in users]
    signed_on = set(
        db.session.scalars(select(SsoIdentity.user_id).where(SsoIdentity.user_id.in_(ids)))
    )
    latest: dict[int, AccessCode] = {}
    for start in range(0, len(ids), 500):
        stmt = (
            select(AccessCode)
            .where(
                AccessCode.user_id.in_(ids[start : start + 500]),
                AccessCode.purpose == CodePurpose.activation,
            )
            .order_by(AccessCode.id)
        )
        for row in db.session.scalars(stmt):
            latest[row.user_id] = row
    sent = {
        m.id: m
        for m in db.session.scalars(
            select(Message).where(
                Message.id.in_([c.message_id for c in latest.values() if c.message_id])
            )
        )
    }
    return [
        Access(
            user=u,
            activated=u.password_hash is not None or u.id in signed_on,
            code=latest.get(u.id),
            message=sent.get(latest[u.id].message_id or 0) if u.id in latest else None,
        )
        for u in users
    ]
