"""Import cmi5 course packages (cmi5 spec section 14) as catalog courses with their AUs.

Three forms are accepted: a standalone ``cmi5.xml`` (every AU URL fully qualified), a zip
with ``cmi5.xml`` at its root and the content beside it, and a catalog course package
folder holding a ``cmi5.xml`` part (``courses/cmi5-thu-nghiem/``). Content files are kept in
the database (``cmi5_files``) and served by the app; zip entries with absolute paths,
``..`` or links are refused. Re-importing updates the course in place: AUs are matched by
their publisher id and keep their generated activity ids, so earlier statements still count.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import mimetypes
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from lms import events
from lms.catalog.importer import COURSES_LOCK, facets, import_package, search_text
from lms.catalog.models import Course, CourseLevel
from lms.catalog.packages import PackageError, PackageInvalid
from lms.catalog.validation import SLUG
from lms.constants import TargetGroup
from lms.errors import Conflict, Invalid
from lms.extensions import db
from lms.learning.cmi5.structure import BlockData, CourseStructure, parse
from lms.learning.constants import COURSE_IRI_BASE
from lms.learning.mappings import rebuild_course
from lms.learning.models import Cmi5Au, Cmi5Course, Cmi5File
from lms.locks import lock_name
from lms.text import fold

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

MAX_FILES = 2000
#: The ``cmi5_files.path`` column (``String(500)``): PostgreSQL refuses a longer path.
MAX_PATH = 500
#: The ``courses.slug`` column; the slug also makes the course's address and activity IRI.
MAX_SLUG = 100
#: As a course package's ``course.yaml`` allows (``lms.catalog.validation``).
MAX_HOURS = 1000
#: Files of a course package folder that belong to other parts, not to the AU content.
NOT_CONTENT = ("course.yaml", "questions.yaml", "cmi5.xml")
NOT_CONTENT_DIRS = ("lessons", "assets")
#: Marks a course as completed by its cmi5 ``satisfied`` (see the README section).
CMI5_RULE = {"lessons": "all", "external": "cmi5"}


def _invalid(problems: list[PackageError]) -> PackageInvalid:
    return PackageInvalid(
        problems,
        message=_("The cmi5 package has %(n)s error(s); nothing was imported.", n=len(problems)),
    )


@dataclass
class Cmi5Package:
    structure: CourseStructure
    #: path -> (content type, bytes)
    files: dict[str, tuple[str, bytes]]
    content_hash: str


def max_bytes() -> int:
    return int(current_app.config.get("COURSE_PACKAGE_MAX_MB", 50)) * 1024 * 1024


def content_type(path: str) -> str:
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/javascript", "application/json"):
        return f"{guessed}; charset=utf-8"
    return guessed


def _digest(xml: bytes, files: dict[str, tuple[str, bytes]]) -> str:
    digest = hashlib.sha256(xml)
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path][1]).digest())
    return digest.hexdigest()


def check_urls(
    structure: CourseStructure, files: dict[str, Any], *, standalone: bool, file: str
) -> list[PackageError]:
    """AU URLs: fully qualified, or (inside a package) a file of the package (cmi5 14.1)."""
    problems = []
    for au in structure.aus:
        parts = urlsplit(au.url)
        if parts.scheme:
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(PackageError(file, au.line, f"AU url {au.url!r}: use http(s)"))
            continue
        if standalone:
            problems.append(
                PackageError(
                    file, au.line, f"AU url {au.url!r} must be fully qualified without a zip"
                )
            )
            continue
        path = PurePosixPath(parts.path)
        if parts.path.startswith("/") or ".." in path.parts or parts.path not in files:
            problems.append(PackageError(file, au.line, f"AU url {au.url!r}: no such file"))
    return problems


# --- reading the three forms ------------------------------------------------------------------


def _read_folder(folder: Path) -> dict[str, tuple[str, bytes]]:
    files: dict[str, tuple[str, bytes]] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        parts = rel.parts
        if any(p.startswith(".") for p in parts) or path.is_symlink() or not path.is_file():
            continue
        if len(parts) == 1 and parts[0] in NOT_CONTENT:
            continue
        if parts[0] in NOT_CONTENT_DIRS:
            continue
        if len(rel.as_posix()) > MAX_PATH:
            raise _invalid([PackageError("(package)", None, f"path over {MAX_PATH}: {rel}")])
        data = path.read_bytes()
        total += len(data)
        if total > max_bytes() or len(files) >= MAX_FILES:
            raise _invalid([PackageError("(package)", None, "the content is too large")])
        files[rel.as_posix()] = (content_type(rel.name), data)
    return files


def _read_zip(data: bytes) -> tuple[bytes, dict[str, tuple[str, bytes]]]:
    """``cmi5.xml`` and the content files of a zip, read in memory with every check."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise _invalid([PackageError("(zip)", None, "not a valid .zip file")]) from exc
    files: dict[str, tuple[str, bytes]] = {}
    xml: bytes | None = None
    total = 0
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_FILES:
            raise _invalid([PackageError("(zip)", None, f"more than {MAX_FILES} files")])
        for info in infos:
            name = info.filename
            parts = PurePosixPath(name).parts
            if (
                name.startswith(("/", "\\"))
                or "\\" in name
                or ".." in parts
                or (parts and parts[0].endswith(":"))
            ):
                raise _invalid([PackageError("(zip)", None, f"unsafe path: {name}")])
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _invalid([PackageError("(zip)", None, f"links not allowed: {name}")])
            if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue
            if len("/".join(parts)) > MAX_PATH:
                raise _invalid([PackageError("(zip)", None, f"path over {MAX_PATH}: {name}")])
            try:
                with archive.open(info) as src:
                    blob = src.read(max_bytes() - total + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
                raise _invalid([PackageError("(zip)", None, f"cannot read {name}")]) from exc
            total += len(blob)
            if total > max_bytes():
                raise _invalid([PackageError("(zip)", None, "the package is too large")])
            rel = "/".join(parts)
            if rel == "cmi5.xml":
                xml = blob
            else:
                files[rel] = (content_type(parts[-1]), blob)
    if xml is None:
        raise _invalid([PackageError("cmi5.xml", None, "missing at the root of the zip")])
    return xml, files


def read_package(data: bytes, filename: str) -> Cmi5Package:
    """A standalone XML or a zip, validated whole (PackageInvalid lists every problem)."""
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".zip"):
        xml, files = _read_zip(data)
        standalone = False
    else:
        xml, files, standalone = data, {}, True
    structure, problems = parse(xml)
    if structure is not None:
        problems += check_urls(structure, files, standalone=standalone, file="cmi5.xml")
    if problems or structure is None:
        raise _invalid(problems)
    return Cmi5Package(structure, files, _digest(xml, files))


def read_folder(folder: Path) -> Cmi5Package:
    xml = (folder / "cmi5.xml").read_bytes()
    structure, problems = parse(xml)
    files = _read_folder(folder)
    if structure is not None:
        problems += check_urls(structure, files, standalone=False, file="cmi5.xml")
    if problems or structure is None:
        raise _invalid(problems)
    return Cmi5Package(structure, files, _digest(xml, files))


# --- the catalog package part ------------------------------------------------------------------


def validate_part(package_dir: Path) -> list[PackageError]:
    try:
        read_folder(package_dir)
    except PackageInvalid as exc:
        return exc.problems
    return []


def apply_part(course: Course, package_dir: Path) -> None:
    """Write the AUs of a course package's ``cmi5.xml`` (in the import's transaction)."""
    package = read_folder(package_dir)
    course.completion_rule = {**(course.completion_rule or {}), "external": "cmi5"}
    write(course, package)


# --- writing ------------------------------------------------------------------------------------


def _short(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def block_activity_id(course: Course, publisher_id: str) -> str:
    return f"{course.activity_iri}/block/{_short(publisher_id)}"


def _blocks_json(course: Course, blocks: list[BlockData]) -> list[dict[str, Any]]:
    return [
        {
            "publisher_id": b.publisher_id,
            "activity_id": block_activity_id(course, b.publisher_id),
            "title": b.title,
            "title_en": b.title_en,
            "aus": list(b.aus),
            "blocks": _blocks_json(course, b.blocks),
        }
        for b in blocks
    ]


def write(course: Course, package: Cmi5Package) -> Cmi5Course:
    structure = package.structure
    if structure.publisher_id == course.activity_iri:
        raise _invalid(
            [
                PackageError(
                    "cmi5.xml",
                    None,
                    "the course id must differ from the LMS course's activity_iri (cmi5 9.4)",
                )
            ]
        )
    holder = db.session.scalar(select(Cmi5Course).where(Cmi5Course.course_id == course.id))
    if holder is None:
        holder = Cmi5Course(course_id=course.id, publisher_id=structure.publisher_id)
        db.session.add(holder)
    holder.publisher_id = structure.publisher_id
    holder.structure = _blocks_json(course, structure.blocks)
    existing = {
        au.publisher_id: au
        for au in db.session.scalars(select(Cmi5Au).where(Cmi5Au.course_id == course.id))
    }
    for position, data in enumerate(structure.aus, 1):
        au = existing.pop(data.publisher_id, None)
        if au is None:
            au = Cmi5Au(
                course_id=course.id,
                publisher_id=data.publisher_id,
                activity_id=f"{course.activity_iri}/au/{_short(data.publisher_id)}",
            )
            db.session.add(au)
        au.position = position
        au.title, au.title_en = data.title[:300], (data.title_en or None)
        au.description = data.description
        au.url = data.url
        au.move_on = data.move_on
        au.mastery_score = data.mastery_score
        au.launch_method = data.launch_method
        au.launch_parameters = data.launch_parameters
        au.entitlement_key = data.entitlement_key
        au.activity_type = data.activity_type
        au.blocks = [block_activity_id(course, b) for b in data.blocks]
        au.active = True
    for au in existing.values():
        au.active = False
    db.session.execute(delete(Cmi5File).where(Cmi5File.course_id == course.id))
    for path, (kind, blob) in sorted(package.files.items()):
        db.session.add(
            Cmi5File(
                course_id=course.id,
                path=path,
                content_type=kind,
                data=blob,
                sha256=hashlib.sha256(blob).hexdigest(),
            )
        )
    db.session.flush()

    rebuild_course(course)
    logger.info("Wrote cmi5 structure of course %s: %s AU(s)", course.id, len(structure.aus))
    return holder


# --- standalone import ------------------------------------------------------------------------


def slug_for(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in fold(title)).split()
    return "-".join(words)[:80].strip("-") or "cmi5"


def import_cmi5(
    data: bytes,
    filename: str,
    *,
    slug: str | None = None,
    target_groups: list[str] | None = None,
    open_: bool = True,
    certificate: bool = True,
    hours: float = 1.0,
    by: User | None,
) -> dict[str, Any]:
    """Import a standalone ``cmi5.xml`` or a zip as a catalog course; returns a summary."""
    package = read_package(data, filename)
    return _write_course(
        package,
        slug=slug,
        target_groups=target_groups,
        open_=open_,
        certificate=certificate,
        hours=hours,
        by=by,
    )


def import_folder(folder: Path, *, by: User | None = None, **options: Any) -> dict[str, Any]:
    """A folder: a course package (through the catalog importer) or a bare cmi5 folder."""
    if (folder / "course.yaml").is_file():
        result = import_package(folder, by=by)
        return {**result.to_dict(), "aus": _au_count(result.course_id)}
    return _write_course(read_folder(folder), by=by, **options)


def _au_count(course_id: int) -> int:
    return len(
        list(
            db.session.scalars(
                select(Cmi5Au.id).where(Cmi5Au.course_id == course_id, Cmi5Au.active.is_(True))
            )
        )
    )


def _check_groups(groups: list[str]) -> list[str]:
    unknown = [g for g in groups if g not in set(TargetGroup)]
    if unknown:
        raise Invalid(
            _("Unknown target group %(code)s.", code=unknown[0]),
            errors={"target_groups": [_("Unknown target group.")]},
        )
    return groups


def _check_options(slug: str | None, hours: float) -> None:
    """The rules a course package's ``course.yaml`` follows for the same two values: the slug
    is an address and an activity IRI, the hours a figure (NaN cannot be stored)."""
    errors: dict[str, list[str]] = {}
    if slug is not None and (len(slug) > MAX_SLUG or not SLUG.fullmatch(slug)):
        errors["slug"] = [
            _("Only a-z, 0-9 and '-', at most %(n)s characters.", n=MAX_SLUG),
        ]
    if not (math.isfinite(hours) and 0 < hours <= MAX_HOURS):
        errors["hours"] = [_("Must be more than 0 and at most %(n)s.", n=MAX_HOURS)]
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)


def _write_course(
    package: Cmi5Package,
    *,
    slug: str | None = None,
    target_groups: list[str] | None = None,
    open_: bool = True,
    certificate: bool = True,
    hours: float = 1.0,
    by: User | None,
) -> dict[str, Any]:
    _check_options(slug, hours)
    lock_name(COURSES_LOCK)
    structure = package.structure
    groups = _check_groups(list(target_groups or [TargetGroup.citizen]))
    holder = db.session.scalar(
        select(Cmi5Course).where(Cmi5Course.publisher_id == structure.publisher_id)
    )
    course = db.session.get(Course, holder.course_id) if holder is not None else None
    slug = slug or (course.slug if course else slug_for(structure.title_en or structure.title))
    if course is None:
        clash = db.session.scalar(select(Course).where(Course.slug == slug))
        if clash is not None:
            raise Conflict(
                _("A course with slug %(slug)s already exists.", slug=slug),
                errors={"slug": [_("Choose another slug.")]},
            )
    created = course is None
    if course is None:
        course = Course(slug=slug, version=1, activity_iri=f"{COURSE_IRI_BASE}{slug}")
        db.session.add(course)
    elif course.content_hash != package.content_hash:
        course.version += 1
    course.title = structure.title[:300]
    course.title_en = structure.title_en
    course.summary = structure.description
    course.summary_en = structure.description_en
    course.target_groups = groups
    course.skill_areas = course.skill_areas or []
    course.level = course.level or CourseLevel.basic
    course.hours = float(hours)
    course.indicators = course.indicators or []
    course.open = bool(open_)
    course.gives_certificate = bool(certificate)
    course.completion_rule = dict(CMI5_RULE)
    course.external_activity_iris = course.external_activity_iris or []
    course.content_hash = package.content_hash
    course.search_text = search_text(course.title, course.title_en, course.summary, slug)
    course.facets = facets(groups, course.skill_areas)
    course.published = True
    db.session.flush()
    write(course, package)
    events.course_imported.send(course, created=created, lessons_changed=False)
    logger.info("Imported cmi5 course %s (%s) by %s", course.slug, course.id, by and by.id)
    return {
        "slug": course.slug,
        "course_id": course.id,
        "version": course.version,
        "status": "created" if created else "updated",
        "aus": len(structure.aus),
        "activity_iri": course.activity_iri,
    }
