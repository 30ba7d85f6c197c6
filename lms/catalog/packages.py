"""Course packages: the error type and the registry of package parts.

A package is a folder (``courses/<slug>/``, format in ``courses/README.md``). The catalog
validates ``course.yaml`` and ``lessons/``; other domains add files to the format (listed in
``lms.PACKAGE_PARTS``, registered by ``create_app`` with :func:`register_part`). Validation runs
every check of every part and reports all errors together, each with its file and line; nothing
is written until the whole package is clean.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from lms.errors import Invalid

if TYPE_CHECKING:
    from lms.catalog.models import Course

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackageError:
    """One problem in a package: which file (relative to the package folder), which line."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}


class PackageInvalid(Invalid):
    """A package failed validation (a course package, a folder of them, or a cmi5 package).

    ``problems`` lists every error; ``errors`` maps ``file:line`` to their messages, so the
    API's envelope tells the author where each one is. ``message`` replaces the course
    package's summary line (the cmi5 import says "cmi5 package").
    """

    def __init__(self, problems: list[PackageError], *, message: str | None = None) -> None:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            key = f"{problem.file}:{problem.line}" if problem.line else problem.file
            errors.setdefault(key, []).append(problem.message)
        super().__init__(
            message
            or _("The course package has %(n)s error(s); nothing was imported.", n=len(problems)),
            errors=errors,
        )
        self.problems = problems


Validator = Callable[[Path], list[PackageError]]
Applier = Callable[["Course", Path], None]


@dataclass(frozen=True)
class Part:
    filename: str
    validate: Validator
    apply: Applier


#: filename (relative to the package folder) -> the part that owns it.
PARTS: dict[str, Part] = {}


def register_part(filename: str, *, validate: Validator, apply: Applier) -> None:
    """Add a file to the package format.

    ``validate(package_dir)`` runs during validation when ``package_dir / filename`` exists and
    returns its errors (file names relative to the package folder); ``apply(course,
    package_dir)`` runs after the course rows are written, in the same transaction. Registering
    the same filename again replaces the earlier part (modules may be reloaded).
    """
    PARTS[filename] = Part(filename=filename, validate=validate, apply=apply)
    logger.debug("Registered course package part %s", filename)


def parts_present(package_dir: Path) -> list[Part]:
    return [part for name, part in sorted(PARTS.items()) if (package_dir / name).exists()]
