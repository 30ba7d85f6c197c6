"""``flask --app wsgi certificates ...``: bulk issue, key rotation, checks and rendering."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.auth.models import Role, User, UserRole
from lms.auth.services import find_user_by_login
from lms.certificates import keys, pdfs, queries, services, templates, verification
from lms.classes.cohorts import get_class
from lms.errors import DomainError
from lms.extensions import db


@click.group("certificates", help="Issue, sign, check and render certificates.")
def certificates_cli() -> None:
    pass


def _acting_user(login: str | None) -> User:
    """The user given with ``--by``, or the first administrator."""
    if login:
        user = find_user_by_login(login)
        if user is None:
            raise click.ClickException(f"No user {login}.")
        return user
    user = db.session.scalar(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.admin, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )
    if user is None:
        raise click.ClickException("No administrator exists; pass --by LOGIN.")
    return user


@certificates_cli.command("issue-class")
@click.argument("code")
@click.option("--by", "login", help="Email or phone of the person issuing (default: an admin).")
@with_appcontext
def issue_class(code: str, login: str | None) -> None:
    """Issue certificates to everyone in class CODE who met the completion rule."""
    try:
        result = services.issue_for_class(get_class(code), by=_acting_user(login))
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    for row in result["issued"]:
        click.echo(f"issued   {row['serial']}  {row['full_name']}")
    for row in result["skipped"]:
        click.echo(f"skipped  {row['reason']:<15} {row['full_name']}")
    click.echo(f"{len(result['issued'])} issued, {len(result['skipped'])} skipped")


@certificates_cli.command("issue-awaiting")
@with_appcontext
def issue_awaiting() -> None:
    """Issue the certificates that waited for a signer (run after naming one)."""
    issued, waiting = services.issue_awaiting()
    db.session.commit()
    click.echo(f"{issued} issued, {waiting} still waiting for a signer")


@certificates_cli.command("rotate-key")
@with_appcontext
def rotate_key() -> None:
    """Start signing with a new Ed25519 key; earlier keys stay published and keep verifying."""
    row = keys.rotate_key()
    db.session.commit()
    click.echo(f"New signing key {row.kid}; {len(keys.all_keys())} keys published.")


@certificates_cli.command("verify")
@click.argument("serial")
@with_appcontext
def verify(serial: str) -> None:
    """Check certificate SERIAL (signature and status); exit 1 unless it is valid."""
    verdict = verification.verify_serial(serial)
    click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
    if verdict.status != "valid":
        raise SystemExit(1)


@certificates_cli.command("render")
@click.argument("serial")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def render(serial: str, output: Path) -> None:
    """Write the PDF of certificate SERIAL to OUTPUT."""
    try:
        cert = queries.get_certificate(serial)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    pdf = pdfs.certificate_pdf(cert)
    db.session.commit()
    output.write_bytes(pdf)
    click.echo(f"{output} ({len(pdf)} bytes)")


@certificates_cli.command("template")
@click.option("--unit", "unit_code", help="Unit code: applies to certificates it issues (subtree).")
@click.option("--course", "course_slug", help="Course slug: applies to that course only.")
@click.option("--name", help="A name for people managing templates.")
@click.option("--title", help='Main title, e.g. "GIẤY CHỨNG NHẬN".')
@click.option("--title-en", help="Subtitle in English (empty string: none).")
@click.option("--primary", help="Primary colour, #rrggbb.")
@click.option("--accent", help="Accent colour, #rrggbb.")
@click.option("--signer-name", help="Who signs, e.g. Trần Văn Đức.")
@click.option("--signer-title", help="The signer's title, e.g. Phó Giám đốc.")
@click.option("--signer-authority", help='Signing for the head, e.g. "KT. GIÁM ĐỐC".')
@click.option("--governing-body", help='Letterhead, first line, e.g. "UBND THÀNH PHỐ HẢI PHÒNG".')
@click.option("--issuing-body", help='Letterhead, second line, e.g. "SỞ KHOA HỌC VÀ CÔNG NGHỆ".')
@click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def template(
    unit_code: str | None,
    course_slug: str | None,
    name: str | None,
    title: str | None,
    title_en: str | None,
    primary: str | None,
    accent: str | None,
    signer_name: str | None,
    signer_title: str | None,
    signer_authority: str | None,
    governing_body: str | None,
    issuing_body: str | None,
    logo: Path | None,
) -> None:
    """Create or change the certificate template of a unit, a course, or the default."""
    values = {
        "name": name,
        "title": title,
        "title_en": title_en,
        "primary_color": primary,
        "accent_color": accent,
        "signer_name": signer_name,
        "signer_title": signer_title,
        "signer_authority": signer_authority,
        "governing_body": governing_body,
        "issuing_body": issuing_body,
        "logo": logo.read_bytes() if logo is not None else None,
    }
    try:
        row = templates.save_template(
            unit_code=unit_code,
            course_slug=course_slug,
            values={k: v for k, v in values.items() if v is not None},
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(
            "; ".join([exc.message, *(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())])
        ) from exc
    db.session.commit()
    click.echo(f"Template {row.id} ({row.name}) saved.")
