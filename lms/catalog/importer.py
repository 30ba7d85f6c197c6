"""Write validated course packages into the catalog; unpack uploaded zips safely.

Re-importing a package updates its course in place, matched by slug: lessons are matched by
their slug, lessons that left the package stay as inactive rows (progress recorded against them
stays valid), and the version goes up only when a file of the package changed.
"""

from __future__ import annotations

import hashlib
import logging
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from lms import events
from lms.catalog import markdown
from lms.catalog.models import Course, CourseAsset, CourseLevel, Lesson
from lms.catalog.packages import PackageError, PackageInvalid, parts_present
from lms.catalog.validation import PackageData, validate_package
from lms.errors import Invalid
from lms.extensions import db
from lms.locks import lock_name
from lms.text import fold

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

#: Held by everything that creates courses from packages (course packages, cmi5 packages).
COURSES_LOCK = "catalog.courses"

MAX_ZIP_FILES = 2000
#: The longest file or folder name most file systems take (ext4, APFS, NTFS: 255).
MAX_NAME_BYTES = 255


@dataclass
class ImportResult:
    slug: str
    course_id: int
    version: int
    #: created | updated | unchanged
    status: str
    lessons: int
    lessons_deactivated: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "course_id": self.course_id,
            "version": self.version,
            "status": self.status,
            "lessons": self.lessons,
            "lessons_deactivated": self.lessons_deactivated,
        }


def asset_base(slug: str) -> str:
    """Where a course's assets are served (``lms.classes.learner_views.asset``)."""
    return f"/courses/{slug}/assets"


def is_package(path: Path) -> bool:
    return (path / "course.yaml").is_file()


def import_path(path: Path, *, by: User | None = None, force: bool = False) -> list[ImportResult]:
    """Import a ``.zip``, one package folder, or every package folder inside ``path``.

    A folder of packages is all or nothing too: every package is validated before any is
    written, and the errors of all of them are reported together.
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        with path.open("rb") as fh:
            return [import_zip(fh, by=by, force=force)]
    if not path.is_dir():
        raise Invalid(_("%(path)s is neither a folder nor a .zip file.", path=str(path)))
    if is_package(path):
        return [import_package(path, by=by, force=force)]
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    packages: list[tuple[Path, PackageData]] = []
    problems: list[PackageError] = []
    for folder in folders:
        if not is_package(folder):
            problems.append(PackageError(f"{folder.name}/course.yaml", None, "missing file"))
            continue
        data, errors = validate_package(folder, expected_slug=folder.name)
        problems += [PackageError(f"{folder.name}/{e.file}", e.line, e.message) for e in errors]
        if data is not None:
            packages.append((folder, data))
    problems += _clashes([(f.name, d) for f, d in packages])
    if problems:
        raise PackageInvalid(problems)
    return [write_package(folder, data, by=by, force=force) for folder, data in packages]


def import_package(
    package_dir: Path,
    *,
    by: User | None = None,
    force: bool = False,
    expected_slug: str | None = "",
) -> ImportResult:
    """Validate and write one package folder (``expected_slug`` "" = the folder's name)."""
    slug = package_dir.name if expected_slug == "" else expected_slug
    data, errors = validate_package(package_dir, expected_slug=slug)
    if data is not None:
        errors += _clashes([("", data)])
    if errors or data is None:
        raise PackageInvalid(errors)
    return write_package(package_dir, data, by=by, force=force)


def _clashes(packages: list[tuple[str, PackageData]]) -> list[PackageError]:
    """Activity IRIs must name one course only, across the import and the catalog."""
    owners: dict[str, str] = {}
    for course in db.session.execute(
        select(Course.slug, Course.activity_iri, Course.external_activity_iris)
    ):
        owners[course.activity_iri] = course.slug
        for iri in course.external_activity_iris or []:
            owners[iri] = course.slug
    importing = {data.slug for _, data in packages}
    owners = {iri: slug for iri, slug in owners.items() if slug not in importing}
    problems: list[PackageError] = []
    for prefix, data in packages:
        file = f"{prefix}/course.yaml" if prefix else "course.yaml"
        for iri in [data.activity_iri, *data.external_activity_iris]:
            other = owners.setdefault(iri, data.slug)
            if other != data.slug:
                problems.append(PackageError(file, None, f"{iri} is already used by {other}"))
    return problems


def write_package(
    package_dir: Path, data: PackageData, *, by: User | None = None, force: bool = False
) -> ImportResult:
    # A package uploaded twice at once: the first creates the course, the second finds it.
    lock_name(COURSES_LOCK)
    course = db.session.scalar(select(Course).where(Course.slug == data.slug))
    if course is not None and course.content_hash == data.content_hash and not force:
        return ImportResult(data.slug, course.id, course.version, "unchanged", len(course.lessons))
    created = course is None
    if course is None:
        course = Course(slug=data.slug, version=1)
        db.session.add(course)
    elif course.content_hash != data.content_hash:
        course.version += 1
    _set_fields(course, data)
    db.session.flush()
    before = {lesson.slug for lesson in course.all_lessons if lesson.active}
    deactivated = _write_lessons(course, data)
    _write_assets(course, data)
    db.session.flush()
    db.session.expire(course, ["lessons"])
    for part in parts_present(package_dir):
        part.apply(course, package_dir)
    db.session.flush()
    db.session.expire(course, ["lessons", "all_lessons"])
    lessons_changed = before != {lesson.slug for lesson in data.lessons}
    events.course_imported.send(course, created=created, lessons_changed=lessons_changed)
    logger.info(
        "Imported course %s (%s) version %s by %s",
        course.slug,
        "created" if created else "updated",
        course.version,
        by.id if by else "cli",
    )
    return ImportResult(
        course.slug,
        course.id,
        course.version,
        "created" if created else "updated",
        len(data.lessons),
        deactivated,
    )


def _set_fields(course: Course, data: PackageData) -> None:
    course.title = data.title
    course.title_en = data.title_en
    course.summary = data.summary
    course.summary_en = data.summary_en
    course.target_groups = list(data.target_groups)
    course.skill_areas = list(data.skill_areas)
    course.level = CourseLevel(data.level)
    course.hours = data.hours
    course.indicators = list(data.indicators)
    course.open = data.open
    course.gives_certificate = data.gives_certificate
    course.completion_rule = dict(data.completion_rule)
    course.activity_iri = data.activity_iri
    course.external_activity_iris = list(data.external_activity_iris)
    course.content_hash = data.content_hash
    course.search_text = search_text(
        data.title, data.title_en, data.summary, data.summary_en, data.slug
    )
    course.facets = facets(data.target_groups, data.skill_areas)
    course.published = True
    course.lesson_count = len(data.lessons)


def search_text(*parts: str | None) -> str:
    return fold(" ".join(p for p in parts if p))


def facets(target_groups: list[str], skill_areas: list[str]) -> str:
    tags = [f"tg:{c}" for c in target_groups] + [f"sa:{c}" for c in skill_areas]
    return "|" + "".join(f"{t}|" for t in tags)


def _write_lessons(course: Course, data: PackageData) -> list[str]:
    existing = {lesson.slug: lesson for lesson in course.all_lessons}
    base = asset_base(course.slug)
    for item in data.lessons:
        lesson = existing.pop(item.slug, None)
        if lesson is None:
            lesson = Lesson(slug=item.slug)
            course.all_lessons.append(lesson)
        lesson.position = item.position
        lesson.title = item.title
        lesson.title_en = item.title_en
        lesson.minutes = item.minutes
        lesson.body_md = item.body_md
        lesson.body_html = markdown.render(item.body_md, asset_base=base)
        lesson.active = True
    deactivated = []
    for offset, lesson in enumerate(sorted(existing.values(), key=lambda x: x.position), 1):
        if lesson.active:
            deactivated.append(lesson.slug)
        lesson.active = False
        lesson.position = len(data.lessons) + offset
    return deactivated


def _write_assets(course: Course, data: PackageData) -> None:
    db.session.execute(delete(CourseAsset).where(CourseAsset.course_id == course.id))
    for path, (content_type, blob) in sorted(data.assets.items()):
        db.session.add(
            CourseAsset(
                course_id=course.id,
                path=path,
                content_type=content_type,
                data=blob,
                sha256=hashlib.sha256(blob).hexdigest(),
            )
        )


# --- zip uploads -------------------------------------------------------------------------


def max_unpacked_bytes() -> int:
    return int(current_app.config.get("COURSE_PACKAGE_MAX_MB", 50)) * 1024 * 1024


def import_zip(fileobj: IO[bytes], *, by: User | None = None, force: bool = False) -> ImportResult:
    """Unpack an uploaded ``.zip`` of one package into a temporary folder and import it."""
    with tempfile.TemporaryDirectory(prefix="lms-course-") as tmp:
        root = unpack_zip(fileobj, Path(tmp))
        expected = None if root == Path(tmp) else root.name
        return import_package(root, by=by, force=force, expected_slug=expected)


def _zip_problem(message: str) -> PackageInvalid:
    return PackageInvalid([PackageError("(zip)", None, message)])


def unpack_zip(fileobj: IO[bytes], dest: Path) -> Path:
    """Extract safely and return the package folder inside ``dest``.

    Refuses absolute paths, ``..`` segments, symbolic links, and archives that unpack to more
    than ``LMS_COURSE_PACKAGE_MAX_MB`` (counted while reading, not trusted from the header).
    """
    limit = max_unpacked_bytes()
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _zip_problem("not a valid .zip file") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_FILES:
            raise _zip_problem(f"more than {MAX_ZIP_FILES} files")
        total = 0
        files: set[PurePosixPath] = set()
        parents: set[PurePosixPath] = set()
        for info in infos:
            name = info.filename
            parts = PurePosixPath(name).parts
            if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts):
                raise _zip_problem(f"a name longer than {MAX_NAME_BYTES} bytes: {name[:80]}…")
            if (
                name.startswith(("/", "\\"))
                or "\\" in name
                or ".." in parts
                or (parts and parts[0].endswith(":"))
            ):
                raise _zip_problem(f"unsafe path in archive: {name}")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _zip_problem(f"symbolic links are not allowed: {name}")
            if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue
            path = PurePosixPath(*parts)
            clash = path if path in parents else next((p for p in path.parents if p in files), None)
            if clash is not None:
                raise _zip_problem(f"{clash} is both a file and a folder in the archive")
            files.add(path)
            parents.update(path.parents)
            target = dest.joinpath(*parts)
            if dest.resolve() not in target.resolve().parents:
                raise _zip_problem(f"unsafe path in archive: {name}")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, target.open("wb") as out:
                    while chunk := src.read(64 * 1024):
                        total += len(chunk)
                        if total > limit:
                            raise _zip_problem(
                                f"the package unpacks to more than {limit // 1024 // 1024} MB"
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
                raise _zip_problem(f"cannot read {name}: {exc}") from exc
            except OSError as exc:  # what the checks above cannot foresee on this file system
                raise _zip_problem(f"cannot unpack {name}: {exc.strerror}") from exc
    if is_package(dest):
        return dest
    folders = [p for p in dest.iterdir() if p.is_dir()]
    if len(folders) == 1 and is_package(folders[0]):
        return folders[0]
    raise _zip_problem("course.yaml not found at the top of the archive or in its one folder")
