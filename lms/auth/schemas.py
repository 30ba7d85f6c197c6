"""Input and output shapes of the auth API."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from lms.auth.models import Role, User
from lms.auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from lms.auth.text import (
    NotABirthDate,
    check_birth_date,
    is_valid_email,
    is_valid_phone,
    normalise_phone,
)
from lms.constants import TargetGroup

_ROLES = [r.value for r in Role]
_GROUPS = [g.value for g in TargetGroup]
_LOCALES = validate.OneOf(["vi", "en"], error=_l("Must be one of: {choices}."))


def _email(value: str) -> None:
    if not is_valid_email(value.strip().lower()):
        raise ValidationError(_("Not a valid email address."))


def _phone(value: str) -> None:
    if not is_valid_phone(normalise_phone(value) or ""):
        raise ValidationError(_("Not a valid phone number."))


def _birth_date(value: date) -> None:
    try:
        check_birth_date(value)
    except NotABirthDate:
        raise ValidationError(_("Not a possible date of birth.")) from None


def _birth_date_field(**kwargs: Any) -> fields.Date:
    return fields.Date(
        allow_none=True,
        validate=_birth_date,
        metadata={"description": "Date of birth (YYYY-MM-DD), printed on certificates"},
        **kwargs,
    )


def _role_field() -> fields.String:
    return fields.String(validate=validate.OneOf(_ROLES, error=_l("Must be one of: {choices}.")))


def _group_field(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(_GROUPS, error=_l("Must be one of: {choices}.")),
        **kwargs,
    )


class ApiTokenRequestSchema(Schema):
    """``{"email", "password"}``; ``login`` (an email or a phone number) works too."""

    class Meta:
        unknown = RAISE

    email = fields.String(load_default=None, metadata={"description": "Email address"})
    login = fields.String(load_default=None, metadata={"description": "Email or phone number"})
    password = fields.String(required=True, validate=validate.Length(max=MAX_PASSWORD_LENGTH))
    name = fields.String(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "A label for the token, e.g. the program using it"},
    )

    @validates_schema
    def _one_login(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not (data.get("email") or data.get("login")):
            raise ValidationError(_("Give your email or phone number."), "email")


class ApiTokenSchema(Schema):
    token = fields.String(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True, allow_none=True)
    email_verified_at = fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "When the e-mail was shown to be the person's (entered by staff, "
            "given verified by single sign-on, or confirmed by a link sent to it); null while "
            "unconfirmed. Only a verified e-mail names the person's learning records."
        },
    )
    phone = fields.String(dump_only=True, allow_none=True)
    full_name = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    unit_code = fields.Function(
        lambda u: u.unit.code if u.unit else None, dump_only=True, allow_none=True
    )
    unit_name = fields.Function(
        lambda u: u.unit.name if u.unit else None, dump_only=True, allow_none=True
    )
    target_group = fields.Function(
        lambda u: u.target_group.value if u.target_group else None,
        dump_only=True,
        allow_none=True,
    )
    roles = fields.Function(lambda u: sorted(r.value for r in u.roles), dump_only=True)
    birth_date = fields.Date(dump_only=True, allow_none=True)
    locale = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)


class UserCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.String(load_default=None, allow_none=True, validate=_email)
    phone = fields.String(load_default=None, allow_none=True, validate=_phone)
    full_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error=_l("Must be 1–200 characters.")),
    )
    password = fields.String(
        load_default=None,
        validate=validate.Length(
            min=MIN_PASSWORD_LENGTH,
            max=MAX_PASSWORD_LENGTH,
            error=_l("Must be {min}–{max} characters."),
        ),
    )
    unit_code = fields.String(load_default=None, allow_none=True)
    target_group = _group_field(load_default=None, allow_none=True)
    birth_date = _birth_date_field(load_default=None)
    roles = fields.List(_role_field(), load_default=lambda: ["learner"])
    locale = fields.String(
        load_default=None,
        allow_none=True,
        validate=_LOCALES,
    )
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _contact(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not (data.get("email") or data.get("phone")):
            raise ValidationError(_("Give an email address or a phone number."), "email")


class UserUpdateSchema(Schema):
    """Every field optional; ``null`` clears ``unit_code``, ``target_group``, a contact."""

    class Meta:
        unknown = RAISE

    email = fields.String(allow_none=True, validate=_email)
    phone = fields.String(allow_none=True, validate=_phone)
    full_name = fields.String(
        validate=validate.Length(min=1, max=200, error=_l("Must be 1–200 characters."))
    )
    unit_code = fields.String(allow_none=True)
    target_group = _group_field(allow_none=True)
    birth_date = _birth_date_field()
    roles = fields.List(
        _role_field(), validate=validate.Length(min=1, error=_l("Give at least one role."))
    )
    locale = fields.String(
        allow_none=True,
        validate=_LOCALES,
    )
    active = fields.Boolean()


class UserQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    unit = fields.String(metadata={"description": "Unit code: people in that unit's subtree"})
    target_group = _group_field()
    role = _role_field()
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Name, email or phone; case and diacritics are ignored"},
    )
    page = fields.Integer()
    per_page = fields.Integer()


class UserImportQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "Check the file only; nothing is written"}
    )
    invite = fields.String(
        validate=validate.OneOf(["email", "sms"], error=_l("Must be one of: {choices}.")),
        metadata={"description": "Send every new person an activation link (email) or code (sms)"},
    )


class UserImportResultSchema(Schema):
    created = fields.Integer(dump_only=True)
    rows = fields.Integer(dump_only=True)
    dry_run = fields.Boolean(dump_only=True)


def dump_user(user: User) -> dict[str, Any]:
    return UserSchema().dump(user)


class InvitationCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    channel = fields.String(
        required=True,
        validate=validate.OneOf(["email", "sms", "sheet"], error=_l("Must be one of: {choices}.")),
        metadata={
            "description": "email: a link; sms: a code; sheet: the code comes back in the "
            "answer, to print or hand over (it is shown only this once)"
        },
    )


class InvitationSchema(Schema):
    user_id = fields.Integer(dump_only=True)
    channel = fields.String(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)
    code = fields.String(dump_only=True, allow_none=True)
    message_status = fields.String(dump_only=True, allow_none=True)
