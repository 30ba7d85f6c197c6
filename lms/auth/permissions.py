"""Who may do what: roles, and the unit subtree an official manages.

An ``official`` of unit U sees and manages U and everything below it; a ``trainer`` manages
the classes assigned to them; a ``learner`` sees their own records; an ``admin`` sees all.
Services take the acting user as an argument and call these checks; API views use
:func:`auth_required` to turn "not logged in" into 401 before anything else runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, false, true

from lms.auth.models import Role, User
from lms.errors import Forbidden, NotFound, Unauthorized
from lms.org.models import Unit

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


def unit_in_scope(user: User, unit: Unit) -> bool:
    """Whether ``user`` manages ``unit``: admins everything, officials their subtree."""
    if user.is_admin:
        return True
    if Role.official in user.roles and user.unit is not None:
        return unit.path.startswith(user.unit.path)
    return False


def can_manage_unit(user: User, unit: Unit) -> bool:
    return unit_in_scope(user, unit)


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


def user_in_scope(actor: User, user: User) -> bool:
    """Whether ``actor`` manages ``user``: admins everyone, officials people of their subtree."""
    if actor.is_admin:
        return True
    if Role.official in actor.roles and actor.unit is not None and user.unit is not None:
        return user.unit.path.startswith(actor.unit.path)
    return False


def can_view_user(actor: User, user: User) -> bool:
    return actor.id == user.id or user_in_scope(actor, user)


def ensure_can_view_user(actor: User, user: User) -> None:
    """404, not 403: an official must not learn who exists outside their area."""
    if not can_view_user(actor, user):
        raise NotFound(_("User not found."))


def ensure_can_manage_user(actor: User, user: User) -> None:
    """404 when ``user`` is invisible to ``actor``, 403 when visible but not theirs to change."""
    ensure_can_view_user(actor, user)
    if not user_in_scope(actor, user):
        raise Forbidden(_("You do not have permission to do this."))


def users_scope_filter(actor: User) -> ColumnElement[bool]:
    """A WHERE clause on ``users`` limiting rows to the people ``actor`` manages."""
    if actor.is_admin:
        return true()
    if Role.official in actor.roles and actor.unit is not None:
        from lms.org.services import subtree_ids

        return User.unit_id.in_(subtree_ids(actor.unit))
    return User.id == actor.id


def grantable_roles(actor: User | None) -> set[Role]:
    """Roles ``actor`` may give: admins any, officials any but admin; ``None`` is the system."""
    if actor is None or actor.is_admin:
        return set(Role)
    if Role.official in actor.roles:
        return set(Role) - {Role.admin}
    return set()


def can_manage_class(user: User, klass: Any) -> bool:
    """Whether ``user`` runs ``klass`` (a ``lms.classes`` Class): its trainers, its unit's
    officials, admins. Duck-typed so that auth does not import the classes domain."""
    if user.is_admin:
        return True
    if Role.trainer in user.roles and any(t.id == user.id for t in klass.trainers):
        return True
    unit = getattr(klass, "unit", None)
    return unit is not None and Role.official in user.roles and unit_in_scope(user, unit)


def ensure_can_manage_class(user: User, klass: Any) -> None:
    if not can_manage_class(user, klass):
        raise Forbidden(_("You do not run this class."))
