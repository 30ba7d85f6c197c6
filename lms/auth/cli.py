"""``flask --app wsgi users ...``: create accounts and set passwords from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lms.auth import services
from lms.auth.models import Role
from lms.constants import TargetGroup
from lms.errors import DomainError
from lms.extensions import db
from lms.org.services import get_unit


@click.group("users", help="Manage user accounts.")
def users_cli() -> None:
    pass


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


@users_cli.command("create")
@click.option("--email", default=None, help="Email address (the login).")
@click.option("--phone", default=None, help="Phone number (also a login).")
@click.option("--password", default=None, help="Password; omit for an account without one.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="Role; repeat for several (default: learner).",
)
@click.option("--unit", "unit_code", default=None, help="Unit code, e.g. HP-HONGBANG.")
@click.option(
    "--target-group",
    default=None,
    type=click.Choice([g.value for g in TargetGroup]),
    help="Target group code.",
)
@click.option("--full-name", default=None, help="Full name (default: the email or phone).")
@with_appcontext
def create(
    email: str | None,
    phone: str | None,
    password: str | None,
    roles: tuple[str, ...],
    unit_code: str | None,
    target_group: str | None,
    full_name: str | None,
) -> None:
    """Create a user, e.g. the first administrator."""
    try:
        user = services.create_user(
            email=email,
            phone=phone,
            full_name=full_name or email or phone or "",
            unit=get_unit(unit_code) if unit_code else None,
            target_group=target_group,
            roles=list(roles) or [Role.learner],
            password=password,
            by=None,
        )
    except DomainError as exc:
        db.session.rollback()
        _fail(exc)
        return
    db.session.commit()
    roles_text = ",".join(sorted(r.value for r in user.roles))
    click.echo(f"Created user {user.id} {user.email or user.phone} ({roles_text})")


@users_cli.command("set-password")
@click.option("--email", default=None, help="Email of the account.")
@click.option("--login", default=None, help="Email or phone number of the account.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The new password (prompted when omitted).",
)
@with_appcontext
def set_password(email: str | None, login: str | None, password: str) -> None:
    """Set (or reset) a user's password."""
    login = email or login
    user = services.find_user_by_login(login or "")
    if user is None:
        raise click.ClickException(f"No user with login {login!r}.")
    try:
        services.set_password(user, password)
    except DomainError as exc:
        db.session.rollback()
        _fail(exc)
        return
    db.session.commit()
    click.echo(f"Password set for user {user.id} {user.email or user.phone}")
