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
from lms.errors import Forbidden, Unauthorized
from lms.org.models import Unit

F = TypeVar("F", bound=Callable[..., Any])


def current() -> User:
    """The authenticated user of this request, or 401."""
    if not current_user.is_authenticated:
        raise Unauthorized(_("Authentication required."))
    return cast(User, current_user._get_current_object())  # type: ignore[attr-defined]


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
