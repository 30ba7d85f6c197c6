"""``flask seed demo``: the demo data ``make run`` loads; safe to run again.

Each domain that has demo data provides ``lms/<domain>/demo.py`` with ``seed() -> list[str]``
(lines to print). They run in dependency order, each idempotent, in one transaction.
"""

from __future__ import annotations

import importlib
import logging

import click
from flask.cli import with_appcontext

from lms.extensions import db

ORDER = (
    "org",
    "auth",
    "catalog",
    "classes",
    "assessment",
    "xapi",
    "certificates",
    "learning",
    "stats",
)


@click.group("seed", help="Load demo data.")
def seed_cli() -> None:
    pass


@seed_cli.command("demo")
@click.option("--verbose", is_flag=True, help="Log every record as it is written.")
@with_appcontext
def seed_demo(verbose: bool) -> None:
    """Load (or refresh) the demo organisation tree, accounts, courses and records."""
    # The services log each person, enrolment and certificate they write (useful on a server);
    # for a newcomer's first `make run` that was ~1,800 lines above the summary.
    logger = logging.getLogger("lms")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.WARNING)
    try:
        _seed_all()
    finally:
        logger.setLevel(level)


def _seed_all() -> None:
    lines: list[str] = []
    logins: list[str] = []
    for name in ORDER:
        try:
            module = importlib.import_module(f"lms.{name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"lms.{name}.demo":
                continue
            raise
        output = module.seed() or []
        # The demo logins are what a newcomer needs: print them last, next to the URL.
        (logins if name == "auth" else lines).extend(output)
        db.session.commit()
    for line in [*lines, "", *logins]:
        click.echo(line)
