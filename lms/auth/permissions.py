"""Who may do what: roles, the unit subtree each person acts in, and who outranks whom.

Every rule about *who* may act on *what* lives here, so that services, API endpoints and pages
ask the same question and get the same answer. The domains call these functions; none of them
keeps a copy of a rule (functions that look at a domain's objects are duck-typed, so auth does
not import the domains above it).

- An ``admin`` sees and changes everything.
- An ``official`` of unit U sees and manages U and everything below it (their *scope*). They
  change people of their scope who hold no role equal to or above theirs: never an admin, and
  another official only when that official's unit lies strictly below U.
- A ``trainer`` acts within their own unit's subtree (their *reach*: creating classes there,
  enrolling its people), and runs the classes they are assigned to; a class adds its own unit's
  subtree to the reach of those who run it (an official of that unit assigned them).
- A ``learner`` sees their own records.

Objects outside one's area answer 404 where their existence is itself information (people,
classes, attempts, another province's question banks), 403 where the object is visible but not
theirs to change (a national question bank, a person of one's area holding a higher role).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, cast

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, false, or_, true

from lms.auth.models import Role, User
from lms.errors import Forbidden, NotFound, Unauthorized
from lms.org.models import Unit
from lms.org.services import province_of, subtree_ids

F = TypeVar("F", bound=Callable[..., Any])


def current() -> User:
    """The authenticated user of this request, or 401."""
    if not current_user.is_authenticated:
        raise Unauthorized(_("Authentication required."))
    return cast(User, current_user._get_current_object())


def auth_required(*roles: Role | str) -> Callable[[F], F]:
    """Require a logged-in user (401) holding one of ``roles`` if any are given (403)."""

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current()
            if roles and not user.has_role(*roles):
                raise Forbidden(_("You do not have permission to do this."))
            return func(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def require_role(user: User, *roles: Role | str) -> None:
    if not user.has_role(*roles):
        raise Forbidden(_("You do not have permission to do this."))


def _within(unit: Unit | None, area: Unit | None) -> bool:
    """Whether ``unit`` is ``area`` or lies below it (the current tree)."""
    return unit is not None and area is not None and unit.path.startswith(area.path)


def _path_ids(unit: Unit) -> list[int]:
    """Ids of ``unit`` and its ancestors, read from its materialised path."""
    return [int(part) for part in unit.path.strip("/").split("/") if part]


# --- an official's scope ------------------------------------------------------------------------


def unit_in_scope(user: User, unit: Unit) -> bool:
    """Whether ``user`` manages ``unit``: admins everything, officials their subtree."""
    if user.is_admin:
        return True
    return Role.official in user.roles and _within(unit, user.unit)


def scope_filter(user: User, path_column: Any) -> ColumnElement[bool]:
    """A WHERE clause limiting ``path_column`` (a unit path) to what ``user`` manages."""
    if user.is_admin:
        return true()
    if Role.official in user.roles and user.unit is not None:
        return cast(ColumnElement[bool], path_column.startswith(user.unit.path, autoescape=True))
    return false()


def ensure_unit_in_scope(user: User, unit: Unit) -> None:
    if not unit_in_scope(user, unit):
        raise Forbidden(_("This unit is outside your area."))


# --- reach: where a trainer (or an official) acts -----------------------------------------------


def unit_in_reach(user: User, unit: Unit | None, *, klass: Any = None) -> bool:
    """Whether ``user`` may act at ``unit``: create a class there, enrol or place its people.

    An official's scope, a trainer's own unit subtree, and, for someone who runs ``klass``,
    the subtree of the class's unit (an official of that unit assigned them to it).
    """
    if unit is None:
        return False
    if unit_in_scope(user, unit):
        return True
    if Role.trainer in user.roles and _within(unit, user.unit):
        return True
    return klass is not None and can_manage_class(user, klass) and _within(unit, klass.unit)


def person_in_reach(actor: User, person: User, *, klass: Any = None) -> bool:
    """Whether ``actor`` may act on ``person``: enrol them (into ``klass``), name them as a
    trainer. Members already in a class are judged by :func:`class_reach`.

    People without a unit are in nobody's reach but an admin's: nothing places them.
    """
    if actor.is_admin or actor.id == person.id:
        return True
    return unit_in_reach(actor, person.unit, klass=klass)


def may_assign_trainer(actor: User, person: User, unit: Unit, *, klass: Any = None) -> bool:
    """Whether ``actor`` may name ``person`` as a trainer of a class organised by ``unit``
    (which must be in ``actor``'s reach): someone within their reach, or a trainer of the
    unit's province (a ward's official assigns the trainer of a city department).
    Anyone else is answered like an unknown id."""
    if person_in_reach(actor, person, klass=klass):
        return True
    if not person.has_role(Role.trainer, Role.admin):
        return False

    return _within(person.unit, province_of(unit))


def class_reach(actor: User, klass: Any) -> Callable[[User], bool]:
    """Which members of ``klass`` ``actor`` reaches: may see their phone and email on the
    roster, read their attempts, and issue them a certificate by hand.

    Those who run a class reach its members of the class's province (people an official of
    the province enrolled into it included) besides their own reach; a member from another
    province, who joined the class by themselves, shows by name and progress only. So nobody
    can turn a class into serials or figures of another province. The province is looked up
    once: call the returned test for every row of a roster.
    """
    if actor.is_admin:
        return lambda person: True
    province = None
    if can_manage_class(actor, klass):
        province = province_of(klass.unit)

    def reaches(person: User) -> bool:
        if person_in_reach(actor, person, klass=klass):
            return True
        return province is not None and _within(person.unit, province)

    return reaches


def class_reach_filter(
    actor: User, classes: Iterable[Any], class_id_column: Any, path_column: Any
) -> ColumnElement[bool]:
    """The SQL twin of :func:`class_reach` over the ``classes`` ``actor`` runs: rows whose
    class is one of them and whose person's unit (``path_column``) lies in that class's
    province."""

    by_province: dict[str, list[int]] = {}
    provinces: dict[int, str] = {}
    for klass in classes:
        if not can_manage_class(actor, klass):
            continue
        if klass.unit_id not in provinces:
            provinces[klass.unit_id] = province_of(klass.unit).path
        by_province.setdefault(provinces[klass.unit_id], []).append(klass.id)
    clauses = [
        class_id_column.in_(ids) & path_column.startswith(path, autoescape=True)
        for path, ids in sorted(by_province.items())
    ]
    return or_(*clauses) if clauses else false()


def reach_filter(user: User, path_column: Any) -> ColumnElement[bool]:
    """The SQL twin of :func:`unit_in_reach` without a class: ``path_column`` (a unit path)
    limited to the official's scope and the trainer's own subtree."""
    if user.is_admin:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if user.unit is not None and user.has_role(Role.official, Role.trainer):
        clauses.append(path_column.startswith(user.unit.path, autoescape=True))
    return or_(*clauses) if clauses else false()


# --- people: who sees and who changes whom ------------------------------------------------------


def user_in_scope(actor: User, user: User) -> bool:
    """Whether ``user`` is in ``actor``'s area: admins everyone, officials people of their
    subtree. Being in the area makes a person visible, not changeable (see
    :func:`can_manage_user`)."""
    if actor.is_admin:
        return True
    return Role.official in actor.roles and _within(user.unit, actor.unit)


def can_view_user(actor: User, user: User) -> bool:
    return actor.id == user.id or user_in_scope(actor, user)


def ensure_can_view_user(actor: User, user: User) -> None:
    """404, not 403: an official must not learn who exists outside their area."""
    if not can_view_user(actor, user):
        raise NotFound(_("User not found."))


def can_manage_user(actor: User, user: User) -> bool:
    """Whether ``actor`` may change ``user`` (beyond the fields everyone changes on themselves).

    Only admins change admins. An official changes people of their subtree who hold no role
    equal to or above theirs: no admin, and no official of their own unit (a peer), nor
    themselves; officials of units strictly below are theirs to manage.
    """
    if actor.is_admin:
        return True
    if actor.id == user.id or not user_in_scope(actor, user) or user.is_admin:
        return False
    return not (Role.official in user.roles and user.unit_id == actor.unit_id)


def ensure_can_manage_user(actor: User, user: User) -> None:
    """404 when ``user`` is invisible to ``actor``, 403 when visible but not theirs to change."""
    ensure_can_view_user(actor, user)
    if not can_manage_user(actor, user):
        raise Forbidden(_("You may not change someone holding a role equal to or above yours."))


def users_scope_filter(actor: User) -> ColumnElement[bool]:
    """A WHERE clause on ``users`` limiting rows to the people ``actor`` manages."""
    if actor.is_admin:
        return true()
    if Role.official in actor.roles and actor.unit is not None:
        return User.unit_id.in_(subtree_ids(actor.unit))
    return User.id == actor.id


def placement_problem(actor: User | None, unit: Unit | None, roles: Iterable[Role]) -> str | None:
    """Why ``actor`` may not place someone holding ``roles`` at ``unit`` (create, import, move
    or grant roles), or None when they may. ``None`` as the actor is the system (CLI, sign-up).

    An official places people only inside their area and never makes anyone their equal or
    superior there: no admins, and officials only in units strictly below their own.
    """
    if actor is None or actor.is_admin:
        return None
    if Role.official not in actor.roles:
        return _("You do not have permission to do this.")
    chosen = set(roles)
    if Role.admin in chosen:
        return _("Only an administrator can give the administrator role.")
    if unit is None or not unit_in_scope(actor, unit):
        return _("This unit is outside your area.")
    if Role.official in chosen and unit.id == actor.unit_id:
        return _("Only the level above can make someone an official of your own unit.")
    return None


def ensure_may_place(actor: User | None, unit: Unit | None, roles: Iterable[Role]) -> None:
    problem = placement_problem(actor, unit, roles)
    if problem is not None:
        raise Forbidden(problem)


# --- classes ------------------------------------------------------------------------------------


def teaches_class(user: User, klass: Any) -> bool:
    """Whether ``user`` is a trainer of ``klass`` now: on its trainer list *and* holding the
    trainer role. The list keeps people whose role was taken away (the class's history);
    the list alone gives them nothing."""
    return Role.trainer in user.roles and any(t.id == user.id for t in klass.trainers)


def can_manage_class(user: User, klass: Any) -> bool:
    """Whether ``user`` runs ``klass`` (a ``lms.classes`` Class): its trainers, its unit's
    officials, admins. Duck-typed so that auth does not import the classes domain."""
    if user.is_admin:
        return True
    if teaches_class(user, klass):
        return True
    unit = getattr(klass, "unit", None)
    return unit is not None and Role.official in user.roles and unit_in_scope(user, unit)


def ensure_can_manage_class(user: User, klass: Any) -> None:
    """404 for people who do not run the class: class codes of other areas do not leak."""
    if not can_manage_class(user, klass):
        raise NotFound(_("Class %(code)s not found.", code=klass.code))


# --- question banks and quizzes -----------------------------------------------------------------


def can_read_content(user: User, province: Unit | None) -> bool:
    """Whether ``user`` may read a question bank (with its key) or a quiz's staff settings.

    National content (``province`` None) is read by every trainer; a province's by the
    trainers of that province; admins read everything.
    """
    if user.is_admin:
        return True
    if Role.trainer not in user.roles:
        return False
    return province is None or _within(user.unit, province)


def can_edit_content(user: User, province: Unit | None) -> bool:
    """National content is edited by admins only; a province's by its trainers (and admins)."""
    if user.is_admin:
        return True
    return province is not None and Role.trainer in user.roles and _within(user.unit, province)


def ensure_can_read_content(user: User, province: Unit | None, *, missing: str) -> None:
    """404 with ``missing`` (the object's "not found" message): another province's question
    bank is as unknown as one that does not exist."""
    if not can_read_content(user, province):
        raise NotFound(missing)


def ensure_can_edit_content(user: User, province: Unit | None) -> None:
    if can_edit_content(user, province):
        return
    if province is None:
        raise Forbidden(_("Only administrators change national question banks and quizzes."))
    raise Forbidden(_("This question bank or quiz belongs to another province."))


def home_province(user: User) -> Unit | None:
    """The province a question bank or quiz ``user`` creates belongs to by default: a
    trainer's own province; national (None) for an admin."""
    if user.is_admin or user.unit is None:
        return None

    return province_of(user.unit)


def content_filter(user: User, province_column: Any) -> ColumnElement[bool]:
    """The SQL twin of :func:`can_read_content` on a ``province_id`` column."""
    if user.is_admin:
        return true()
    if Role.trainer not in user.roles:
        return false()
    provinces = _path_ids(user.unit) if user.unit is not None else []
    return or_(province_column.is_(None), province_column.in_(provinces))


def can_follow_learner(viewer: User, learner: User, *, klass: Any = None) -> bool:
    """Whether ``viewer`` may read ``learner``'s attempts (answers and key): the learner, admins,
    and trainers who reach the learner (their own subtree, or as a member of the class the
    attempt counts for: :func:`class_reach`)."""
    if viewer.id == learner.id or viewer.is_admin:
        return True
    if Role.trainer not in viewer.roles:
        return False
    if klass is not None:
        return class_reach(viewer, klass)(learner)
    return person_in_reach(viewer, learner)
