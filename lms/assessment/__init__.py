"""Assessment: question banks, quizzes and exams, attempts, grading and item analysis.

Importing the package adds ``questions.yaml`` to the course-package format.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lms.catalog.packages import PackageError, register_part

if TYPE_CHECKING:
    from lms.catalog.models import Course


def _validate(package_dir: Path) -> list[PackageError]:
    from lms.assessment import package

    return package.validate(package_dir)


def _apply(course: Course, package_dir: Path) -> None:
    from lms.assessment import package

    package.apply(course, package_dir)


register_part("questions.yaml", validate=_validate, apply=_apply)
