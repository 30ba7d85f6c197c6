"""The learning bridge: LMS events -> xAPI statements; incoming statements -> progress.

Importing the package connects the bridge to the events it reacts to and adds ``cmi5.xml``
to the course package format (the app imports ``lms.learning.models`` at start-up, so this
runs whenever the app does). Everything heavy is imported when first needed: other domains
import ``lms.learning.events`` while they are themselves being imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lms.catalog.packages import PackageError, register_part
from lms.catalog.signals import course_imported
from lms.learning.events import statements_stored

if TYPE_CHECKING:
    from lms.catalog.models import Course


def _on_statements_stored(sender: Any = None, **kwargs: Any) -> None:
    from lms.learning.triggers import on_statements_stored

    on_statements_stored(sender, **kwargs)


def _on_course_imported(course: Any, **kwargs: Any) -> None:
    from lms.learning.triggers import on_course_imported

    on_course_imported(course, **kwargs)


def _validate_cmi5(package_dir: Path) -> list[PackageError]:
    from lms.learning.cmi5.package import validate_part

    return validate_part(package_dir)


def _apply_cmi5(course: Course, package_dir: Path) -> None:
    from lms.learning.cmi5.package import apply_part

    apply_part(course, package_dir)


statements_stored.connect(_on_statements_stored)
course_imported.connect(_on_course_imported)
register_part("cmi5.xml", validate=_validate_cmi5, apply=_apply_cmi5)
