"""``flask --app wsgi bridge ...``: run the learning bridge, see its status, import cmi5."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click
import orjson
from flask.cli import with_appcontext

from lms.errors import DomainError
from lms.extensions import db
from lms.jobs import services as jobs
from lms.learning import partitions
from lms.learning.bridge import process_pending, prune_runs, status
from lms.learning.cmi5 import package
from lms.learning.cmi5.runtime import sweep
from lms.learning.identities import sync_email_identities
from lms.learning.mappings import mapping_count, rebuild_all
from lms.learning.models import UnmatchedReason
from lms.learning.review import retry

logger = logging.getLogger(__name__)


@click.group("bridge", help="The learning bridge: xAPI statements -> completions; cmi5.")
def bridge_cli() -> None:
    pass


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    click.echo(f"Error: {exc.message}", err=True)
    for field, messages in exc.errors.items():
        click.echo(f"  {field}: {' '.join(messages)}", err=True)
    sys.exit(1)


def _sweep() -> int:
    count = sweep()
    prune_runs()
    db.session.commit()
    return count


@bridge_cli.command("run")
@click.option("--limit", type=int, default=None, help="Stop after this many statements.")
@click.option("--follow", is_flag=True, help="Keep running: look again every --interval.")
@click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds.")
@click.option(
    "--partition",
    type=click.IntRange(min=0),
    default=None,
    help="Only this partition (0 to LMS_BRIDGE_PARTITIONS - 1); default: all in turn.",
)
@with_appcontext
def run(limit: int | None, follow: bool, interval: float, partition: int | None) -> None:
    """Process pending statements (catch up after downtime, or as a service with --follow).

    Each pass also abandons cmi5 sessions whose time is up, and sends again background jobs
    whose message was lost (queued past LMS_JOB_STALE_SECONDS).
    """
    if partition is not None and partition >= partitions.configured():
        # A follower of a partition that does not exist would wait forever for nothing.
        raise click.BadParameter(
            f"there are {partitions.configured()} partitions (LMS_BRIDGE_PARTITIONS): "
            f"0 to {partitions.configured() - 1}",
            param_hint="--partition",
        )
    while True:
        try:
            processed = process_pending(limit, partition=partition)
            abandoned = _sweep()
            jobs.requeue_stale()
        except Exception as exc:  # a follower keeps following: the batch rolled back whole
            db.session.rollback()
            if not follow:
                raise
            logger.exception("Bridge batch failed; retrying in %s s", interval)
            click.echo(f"batch failed ({type(exc).__name__}); retrying", err=True)
            time.sleep(interval)
            continue
        state = status()
        click.echo(
            f"processed {processed}; pending {state['pending']}; lag {state['lag_seconds']} s; "
            f"held {state['unmatched_open']}"
            + (f"; abandoned {abandoned} cmi5 session(s)" if abandoned else ""),
            err=True,
        )
        if not follow:
            break
        time.sleep(interval)


@bridge_cli.command("status")
@with_appcontext
def status_cmd() -> None:
    """One JSON object: seqs, pending count, lag of the oldest pending statement."""
    click.echo(orjson.dumps(status()))


@bridge_cli.command("sweep")
@with_appcontext
def sweep_cmd() -> None:
    """Abandon cmi5 sessions that ran past LMS_CMI5_SESSION_HOURS without terminating."""
    click.echo(f"abandoned {_sweep()} session(s)", err=True)


@bridge_cli.command("retry-held")
@click.option("--platform", "platform_id", type=int, default=None, help="A source platform id.")
@click.option("--reason", default=None, help="Only held for this reason (e.g. platform_scope).")
@click.option("--limit", type=int, default=1000, show_default=True)
@with_appcontext
def retry_held(platform_id: int | None, reason: str | None, limit: int) -> None:
    """Apply held statements again (after a platform was allowed more courses or units)."""
    if reason is not None and reason not in set(UnmatchedReason):
        raise click.BadParameter(", ".join(UnmatchedReason), param_hint="--reason")
    outcome = retry(by=None, platform_id=platform_id, reason=reason, limit=limit)
    db.session.commit()
    click.echo(orjson.dumps(outcome))


@bridge_cli.command("rebuild-mappings")
@with_appcontext
def rebuild_mappings() -> None:
    """Rebuild the activity IRI -> course table from every course."""
    courses = rebuild_all()
    db.session.commit()
    click.echo(f"{courses} course(s), {mapping_count()} activity IRI(s)", err=True)


@bridge_cli.command("sync-identities")
@with_appcontext
def sync_identities() -> None:
    """Store the mbox_sha1sum of every user's verified email; drop those of addresses no
    longer verified."""
    added = sync_email_identities(full=True)
    db.session.commit()
    click.echo(f"{added} identity(ies) added", err=True)


@bridge_cli.command("import-cmi5")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--slug", help="The catalog slug (default: from the course title).")
@click.option("--target-group", "target_groups", multiple=True, help="Repeatable; default citizen.")
@click.option("--closed", is_flag=True, help="Not open to self-enrolment.")
@click.option("--no-certificate", is_flag=True, help="Completing it gives no certificate.")
@click.option("--hours", type=float, default=1.0, show_default=True)
@with_appcontext
def import_cmi5(
    path: Path,
    slug: str | None,
    target_groups: tuple[str, ...],
    closed: bool,
    no_certificate: bool,
    hours: float,
) -> None:
    """Import a cmi5 course: cmi5.xml, a .zip, or a folder (a course package with cmi5.xml)."""
    groups = list(target_groups) or None
    try:
        if path.is_dir():
            result = package.import_folder(
                path,
                slug=slug,
                target_groups=groups,
                open_=not closed,
                certificate=not no_certificate,
                hours=hours,
            )
        else:
            result = package.import_cmi5(
                path.read_bytes(),
                path.name,
                slug=slug,
                target_groups=groups,
                open_=not closed,
                certificate=not no_certificate,
                hours=hours,
                by=None,
            )
    except DomainError as exc:
        _fail(exc)
        return
    db.session.commit()
    click.echo(orjson.dumps(result))
