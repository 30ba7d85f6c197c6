"""Trainers' and officials' pages: classes, rosters, attendance, CSV enrollment, assignment."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import ValidationError
from sqlalchemy import func, select

from lms import periods
from lms.auth import handout
from lms.auth.models import CodeChannel, Role, User
from lms.auth.permissions import current, reach_filter, require_role, scope_filter
from lms.catalog.labels import template_helpers
from lms.catalog.models import Course
from lms.classes import cohorts, csvimport, exports
from lms.classes.models import ClassMode, Enrollment, EnrollmentStatus
from lms.classes.schemas import ClassCreateSchema, SessionCreateSchema
from lms.collation import sorted_vi
from lms.constants import IMPORT_COLUMN_LABELS, TARGET_GROUP_LABELS, TargetGroup, label
from lms.errors import DomainError, flatten_messages
from lms.exports import csv_bytes, download, xlsx_bytes
from lms.extensions import db
from lms.http import load, whole_number
from lms.org.models import Unit
from lms.org.services import get_unit, in_tree_order
from lms.replicas import reads_from_replica

bp = Blueprint("classes_views", __name__)
bp.context_processor(template_helpers)

MANAGERS = (Role.admin, Role.official, Role.trainer)
UNIT_CHOICES = 500
PER_PAGE = 50


def _manager() -> User:
    user = current()
    require_role(user, *MANAGERS)
    return user


def _units_for(user: User, *, reach: bool = False) -> list[Unit]:
    """Units ``user`` may pick in forms: an official's area, or (``reach``, for a new class)
    where they may act, a trainer's own unit subtree included."""
    stmt = select(Unit).where(Unit.valid_to.is_(None)).order_by(Unit.path).limit(UNIT_CHOICES)
    area = reach_filter(user, Unit.path) if reach else scope_filter(user, Unit.path)
    return in_tree_order(db.session.scalars(stmt.where(area)))


def _courses() -> list[Course]:
    # The picker reads in the Vietnamese alphabet ("Đồ họa" before "Tin học"), not code points.
    return sorted_vi(
        db.session.scalars(select(Course).where(Course.published.is_(True))), key=lambda c: c.title
    )


# --- trainers -----------------------------------------------------------------------------------


@bp.get("/trainer/classes")
@login_required
def trainer_classes() -> ResponseReturnValue:
    user = _manager()
    classes = list(db.session.scalars(cohorts.manageable_classes(user).limit(200)))
    counts: dict[int, int] = {}
    if classes:
        rows = db.session.execute(
            select(Enrollment.class_id, func.count())
            .where(
                Enrollment.class_id.in_([k.id for k in classes]),
                Enrollment.status != EnrollmentStatus.withdrawn,
            )
            .group_by(Enrollment.class_id)
        )
        counts = {int(class_id): int(n) for class_id, n in rows if class_id is not None}
    return render_template("classes/list.html", classes=classes, counts=counts)


def _form_sessions(form: Any) -> list[dict[str, Any]]:
    rows = []
    for day, start, end, topic in zip(
        form.getlist("session_date"),
        form.getlist("session_start"),
        form.getlist("session_end"),
        form.getlist("session_topic"),
        strict=False,
    ):
        if not day.strip():
            continue
        row: dict[str, Any] = {"date": day, "topic": topic.strip()}
        if start.strip():
            row["starts_at"] = start
        if end.strip():
            row["ends_at"] = end
        rows.append(row)
    return rows


def _class_form_data(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": form.get("code", "").strip(),
        "course": form.get("course", ""),
        "unit": form.get("unit", "").strip(),
        "title": form.get("title", "").strip() or None,
        "mode": form.get("mode", "online"),
        "sessions": _form_sessions(form),
    }
    for key in ("starts_on", "ends_on", "enrol_opens_on", "enrol_closes_on", "place"):
        if form.get(key, "").strip():
            data[key] = form[key].strip()
    if form.get("capacity", "").strip():
        data["capacity"] = form["capacity"].strip()
    return {k: v for k, v in data.items() if v is not None}


@bp.route("/classes/new", methods=["GET", "POST"])
@login_required
def new_class() -> ResponseReturnValue:
    user = _manager()
    errors: dict[str, list[str]] = {}
    form = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            data = load(ClassCreateSchema(), _class_form_data(request.form))
            sessions = data.pop("sessions", [])
            course = db.session.scalar(select(Course).where(Course.slug == data.pop("course")))
            if course is None:
                raise ValidationError({"course": [_("Choose a course.")]})
            klass = cohorts.create_class(
                code=data.pop("code"),
                course=course,
                unit=get_unit(data.pop("unit")),
                by=user,
                **data,
            )
            for item in sessions:
                cohorts.add_session(klass, on=item.pop("date"), by=user, **item)
            db.session.commit()
            flash(_("Class %(code)s created.", code=klass.code), "success")
            return redirect(url_for(".class_page", code=klass.code))
        except ValidationError as exc:
            db.session.rollback()
            errors = flatten_messages(exc.messages)
        except DomainError as exc:
            db.session.rollback()
            errors = exc.errors or {"_schema": [exc.message]}
            if exc.errors:
                errors["_schema"] = [exc.message]
    return render_template(
        "classes/new.html",
        form=form,
        errors=errors,
        courses=_courses(),
        units=_units_for(user, reach=True),
        modes=list(ClassMode),
        default_unit=user.unit.code if user.unit else "",
    ), (422 if errors else 200)


@bp.get("/classes/<code>")
@login_required
def class_page(code: str) -> ResponseReturnValue:
    user = _manager()
    klass = cohorts.get_class_for(user, code)
    roster = cohorts.roster(klass, viewer=user)
    # Set by the import page when it comes back here: what the file did, said once.
    imported = request.args.get("imported", type=int)
    return render_template(
        "classes/class.html",
        imported=imported,
        skipped=request.args.get("skipped", 0, type=int),
        klass=klass,
        roster=roster,
        summary=cohorts.class_summary(klass),
        sessions=klass.sessions,
        # The session whose attendance comes next: today's, else the next one, else the last.
        next_session=next(
            (s for s in klass.sessions if s.date >= periods.today()),
            klass.sessions[-1] if klass.sessions else None,
        ),
        lesson_count=len(klass.course.lessons),
        pending=sum(
            1
            for r in roster
            if r.show_contacts
            and r.user.password_hash is None
            and r.enrollment.status != EnrollmentStatus.withdrawn
        ),
        certificates_url=_optional_url("certificates_views.class_page", code=klass.code),
    )


def _optional_url(endpoint: str, **values: Any) -> str | None:
    from flask import current_app

    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


@bp.post("/classes/<code>/sessions")
@login_required
def add_session(code: str) -> ResponseReturnValue:
    user = _manager()
    klass = cohorts.get_class_for(user, code)
    raw = {
        k: request.form.get(k, "").strip()
        for k in ("date", "starts_at", "ends_at", "topic", "place")
    }
    try:
        data = load(SessionCreateSchema(), {k: v for k, v in raw.items() if v})
        cohorts.add_session(klass, on=data.pop("date"), by=user, **data)
        db.session.commit()
        flash(_("Session added."), "success")
    except ValidationError as exc:
        db.session.rollback()
        flash(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in flatten_messages(exc.messages).items()),
            "error",
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for(".class_page", code=code) + "#sessions")


@bp.post("/classes/<code>/sessions/<int:session_id>/delete")
@login_required
def delete_session(code: str, session_id: int) -> ResponseReturnValue:
    user = _manager()
    klass = cohorts.get_class_for(user, code)
    cohorts.delete_session(cohorts.get_session(klass, session_id), by=user)
    db.session.commit()
    flash(_("Session deleted."), "success")
    return redirect(url_for(".class_page", code=code) + "#sessions")


@bp.route("/classes/<code>/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(code: str, session_id: int) -> ResponseReturnValue:
    """The sheet a trainer fills on a tablet in the room: one big toggle per person."""
    user = _manager()
    klass = cohorts.get_class_for(user, code)
    session = cohorts.get_session(klass, session_id)
    people = cohorts.roster(klass, viewer=user, include_withdrawn=False)
    if request.method == "POST":
        present = set(request.form.getlist("present"))
        entries = [
            {
                "user_id": row.user.id,
                "present": str(row.user.id) in present,
                "note": request.form.get(f"note-{row.user.id}", "")[:500],
            }
            for row in people
        ]
        try:
            cohorts.set_attendance(session, entries, by=user)
            db.session.commit()
            flash(
                _(
                    "Attendance saved: %(n)s of %(total)s present.",
                    n=len(present),
                    total=len(people),
                ),
                "success",
            )
            return redirect(url_for(".attendance", code=code, session_id=session_id))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
    marks = cohorts.session_attendance(session)
    return render_template(
        "classes/attendance.html", klass=klass, session=session, people=people, marks=marks
    )


@bp.get("/classes/<code>/import")
@login_required
def import_page(code: str) -> ResponseReturnValue:
    user = _manager()
    klass = cohorts.get_class_for(user, code)
    return render_template(
        "classes/import.html",
        klass=klass,
        api_url=url_for("classes.import_enrollments", code=klass.code),
        target_groups=list(TargetGroup),
        columns=csvimport.COLUMNS,
        column_label=lambda code: label(IMPORT_COLUMN_LABELS, code),
        texts={
            "create": _("new account, enrolled"),
            "enrol": _("enrolled"),
            "join": _("joins the class"),
            "skip": _("skipped"),
            # The server's message already says that nothing was imported.
            "errors": _("Fix the highlighted cells in your file and upload it again."),
            "groups": {g.value: label(TARGET_GROUP_LABELS, g.value) for g in TargetGroup},
            "ready": _("Everything is right. Check the list, then import."),
            "done": _("Imported. Going back to the class…"),
            "failed": _("The server could not read the file."),
            "summary": _(
                "%(rows)s rows: %(create)s new accounts, %(enrol)s enrolled, %(join)s join, "
                "%(skip)s skipped."
            ),
        },
    )


@bp.post("/classes/<code>/invitations")
@login_required
def class_invitations(code: str) -> ResponseReturnValue:
    """Codes for the class's people who have not activated: a sheet to print, e-mail or SMS."""
    user = _manager()
    klass = cohorts.get_class_for(user, code)
    channel = request.form.get("channel", "")
    back = url_for(".class_page", code=klass.code) + "#access"
    if channel not in CodeChannel.__members__:
        flash(_("Choose how the people get their code."), "error")
        return redirect(back)
    people = [row.user for row in cohorts.roster(klass, viewer=user, include_withdrawn=False)
              if row.show_contacts and row.user.password_hash is None]  # fmt: skip
    return handout.send_invitations(
        people,
        channel,
        by=user,
        back=back,
        title=_("Activation codes · %(title)s", title=klass.title),
        fmt=request.form.get("format", "pdf"),
    )


@bp.get("/classes/<code>/roster.<fmt>")
@login_required
@reads_from_replica
def roster_export(code: str, fmt: str) -> ResponseReturnValue:
    user = _manager()
    klass = cohorts.get_class_for(user, code)
    if fmt not in {"csv", "xlsx"}:
        return redirect(url_for(".class_page", code=code))
    rows_in = cohorts.roster(klass, viewer=user)
    header, rows = exports.roster_table(rows_in, len(klass.sessions))
    data = csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes([(klass.code, header, rows)])
    return download(data, f"roster-{klass.code}.{fmt}", fmt)


# --- officials ----------------------------------------------------------------------------------


@bp.get("/enrol")
@login_required
def official_enrol() -> ResponseReturnValue:
    """Enrol a whole target group of your area in a course, as a job with a progress bar."""
    user = current()
    require_role(user, Role.admin, Role.official)
    return render_template(
        "classes/enrol.html",
        courses=_courses(),
        units=_units_for(user),
        target_groups=list(TargetGroup),
        default_unit=user.unit.code if user.unit else "",
        texts={
            "running": _("Enrolling… %(done)s of %(total)s"),
            "done": _(
                "Done: %(enrolled)s enrolled, %(already)s were already enrolled "
                "(%(people)s people)."
            ),
            "failed": _("The job failed: %(error)s"),
            "choose": _("Choose a course."),
        },
    )


@bp.get("/enrol/progress")
@login_required
def unit_progress() -> ResponseReturnValue:
    """Progress of the people of your area, course by course, with progress bars."""
    user = current()
    require_role(user, Role.admin, Role.official)
    course_slug = request.args.get("course") or ""
    unit_code = (request.args.get("unit") or "").strip()
    status = request.args.get("status") or ""
    page = whole_number(request.args.get("page"), 1, 1, 1_000_000)
    stmt = (
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .where(scope_filter(user, Unit.path), Enrollment.status != EnrollmentStatus.withdrawn)
    )
    course = None
    if course_slug:
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        if course is not None:
            stmt = stmt.where(Enrollment.course_id == course.id)
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    counts = _status_counts(stmt)
    if status in set(EnrollmentStatus):
        stmt = stmt.where(Enrollment.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        db.session.scalars(
            # Grouped by unit (in tree order: paths are ids), people in Vietnamese order.
            stmt.order_by(Unit.path, User.sort_name, Enrollment.id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "classes/progress.html",
        rows=rows,
        counts=counts,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        args=args,
        courses=_courses(),
        units=_units_for(user),
        course_slug=course_slug,
        unit_code=unit_code,
        status=status,
        statuses=[s for s in EnrollmentStatus if s != EnrollmentStatus.withdrawn],
    )


def _status_counts(stmt: Any) -> dict[str, int]:
    sub = stmt.with_only_columns(Enrollment.status.label("status")).order_by(None).subquery()
    rows = db.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all()
    return {str(status): int(n) for status, n in rows}
