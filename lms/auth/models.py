"""Users, their roles, their browser sessions and API tokens."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship, validates

from lms.auth.text import normalise_email, normalise_phone, search_text
from lms.collation import SORT_STRING_LENGTH, vi_name_sort_string
from lms.constants import TargetGroup
from lms.db import CreatedAt, IntPK, Model, Str200, UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from lms.org.models import Unit


class Role(enum.StrEnum):
    admin = "admin"
    official = "official"
    trainer = "trainer"
    learner = "learner"


def _search_text_default(context: DefaultExecutionContext) -> str:
    """Fill ``search_text`` on Core bulk inserts that do not set it (ORM inserts set it)."""
    params = context.get_current_parameters()
    return search_text(params.get("full_name"), params.get("email"), params.get("phone"))


def _email_verified_default(context: DefaultExecutionContext | None) -> datetime | None:
    """A new account's e-mail counts as verified unless said otherwise: most are entered by
    the staff who manage the person (who vouch for it, as for a phone number), a platform's
    statements or a single sign-on provider. The person's own sign-up clears it
    (:func:`lms.auth.services.register_citizen`)."""
    if context is None:  # asked for a value without a statement (lms.bulk_insert)
        return None
    return utcnow() if context.get_current_parameters().get("email") else None


def _sort_name_default(context: DefaultExecutionContext) -> str:
    """Fill ``sort_name`` on Core bulk inserts that do not set it (ORM inserts set it)."""
    return vi_name_sort_string(context.get_current_parameters().get("full_name"))


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="email_or_phone"),
    )

    id: Mapped[IntPK]
    #: Stored lower-cased; unique whatever the case it was typed in.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    #: When the e-mail was shown to be the person's: entered by staff who manage them, given
    #: verified by a single sign-on provider, or confirmed with a code sent to it. Only then
    #: is it an identity (xAPI mbox, the data export, linking a single sign-on account).
    #: None for an address the person typed and has not confirmed yet.
    email_verified_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=_email_verified_default
    )
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    full_name: Mapped[Str200]
    #: argon2id hash; None for people provisioned by an import or a MOOC platform.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    target_group: Mapped[TargetGroup | None] = mapped_column(
        db.Enum(TargetGroup, native_enum=False, length=30), index=True
    )
    locale: Mapped[str | None] = mapped_column(String(5))
    #: Optional; printed on certificates when known, so two people of one name differ.
    birth_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[CreatedAt]
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the person agreed to the privacy notice, and which version (Decree 13/2023).
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str | None] = mapped_column(String(20))
    #: Set when the person's identifying data was removed (a deletion, or never activated).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Name, email and phone lower-cased without diacritics, for ``?q=`` searches.
    search_text: Mapped[str] = mapped_column(String(600), default=_search_text_default)
    #: The name's place in a Vietnamese list of people (given name, then the whole name), as
    #: text the database orders: lists of people page in that order.
    sort_name: Mapped[str] = mapped_column(
        String(SORT_STRING_LENGTH), default=_sort_name_default, index=True
    )

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @validates("email")
    def _normalise_email(self, key: str, value: str | None) -> str | None:
        return normalise_email(value)

    @validates("phone")
    def _normalise_phone(self, key: str, value: str | None) -> str | None:
        return normalise_phone(value)

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return self.active

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role | str) -> bool:
        mine = self.roles
        return any(Role(r) in mine for r in roles)

    @property
    def email_verified(self) -> bool:
        return bool(self.email) and self.email_verified_at is not None

    @property
    def is_admin(self) -> bool:
        return Role.admin in self.roles

    @property
    def is_official(self) -> bool:
        return Role.official in self.roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email or self.phone}>"


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _refresh_search_text(mapper: Mapper[Any], connection: Any, target: User) -> None:
    target.search_text = search_text(target.full_name, target.email, target.phone)
    target.sort_name = vi_name_sort_string(target.full_name)


class UserRole(Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20))

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(Model):
    """A bearer token; only its SHA-256 is stored, so a database leak leaks no tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"


class SessionEnd(enum.StrEnum):
    """Why a browser session ended."""

    logout = "logout"
    password = "password"  # noqa: S105 - why a session ended, not a secret
    deactivated = "deactivated"


class UserSession(Model):
    """A browser login, open on the server until it ends.

    The signed cookie carries a random session id; only its SHA-256 is stored. Every request
    must find its row still open, so logging out, a password change or a deactivation ends the
    session for whoever holds a copy of the cookie, not just for the browser that logged out.
    """

    __tablename__ = "user_sessions"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[CreatedAt]
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[SessionEnd | None] = mapped_column(
        db.Enum(SessionEnd, native_enum=False, length=20)
    )

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"


class CodePurpose(enum.StrEnum):
    """What a one-time code lets its holder do: set a first password, or a new one, or show
    that the account's e-mail address is theirs."""

    activation = "activation"
    reset = "reset"
    email = "email"


class CodeChannel(enum.StrEnum):
    """How the code reached the person: a link by e-mail, a code by SMS, a printed slip."""

    email = "email"
    sms = "sms"
    sheet = "sheet"


class AccessCode(Model):
    """A one-time code or link to set a password.

    Only an HMAC of the code (keyed by the app's secret) is stored, so neither a database copy
    nor this table's rows let anyone in. A code is used by one conditional UPDATE (``used_at``
    still empty, not revoked, not expired), so two people racing with the same code get one
    password set; issuing a new code revokes the person's open ones.
    """

    __tablename__ = "access_codes"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[CodePurpose] = mapped_column(db.Enum(CodePurpose, native_enum=False, length=20))
    channel: Mapped[CodeChannel] = mapped_column(db.Enum(CodeChannel, native_enum=False, length=10))
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Wrong guesses of a short code typed with a login; too many burn the code.
    failed_tries: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The e-mail or SMS that carried it (none for a printed sheet).
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<AccessCode {self.id} {self.purpose} user={self.user_id}>"


class SsoIdentity(Model):
    """An account at an identity provider (OpenID Connect), linked to one LMS user.

    ``subject`` is the provider's ``sub`` claim: stable for the person at that provider, unlike
    an e-mail address. A user may have identities at several providers and no password at all.
    """

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[IntPK]
    provider: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[CreatedAt]
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<SsoIdentity {self.provider}:{self.subject} user={self.user_id}>"
