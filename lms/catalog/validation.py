"""Validate a course package folder: ``course.yaml``, ``lessons/``, ``assets/`` and the parts.

Every check runs, whatever failed before it, so an author fixes a package in one pass; each
error names its file (relative to the package folder) and line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lms.catalog import markdown, yamlines
from lms.catalog.models import CourseLevel
from lms.catalog.packages import PackageError, parts_present
from lms.constants import IndicatorCode, SkillArea, TargetGroup

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_FILE = re.compile(r"^(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
IRI = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
ASSET_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MAX_ASSET_BYTES = 5 * 1024 * 1024
MAX_LESSON_BYTES = 512 * 1024

COURSE_FIELDS = {
    "slug", "title", "summary", "target_groups", "skill_areas", "level", "hours", "indicators",
    "open", "certificate", "completion", "activity_iri", "external_activity_iris",
}  # fmt: skip
REQUIRED_FIELDS = (
    "slug", "title", "summary", "target_groups", "skill_areas", "level", "hours", "open",
    "certificate", "completion", "activity_iri",
)  # fmt: skip
LESSON_FIELDS = {"title", "title_en", "minutes"}
COMPLETION_KEYS = {"lessons", "quiz", "attendance"}


@dataclass
class LessonData:
    slug: str
    position: int
    file: str
    title: str
    title_en: str | None
    minutes: int
    body_md: str
    #: Line of the first body line in the file, for link errors.
    body_line: int = 1


@dataclass
class PackageData:
    """A package that passed validation, ready to be written."""

    slug: str
    title: str
    title_en: str | None
    summary: str
    summary_en: str | None
    target_groups: list[str]
    skill_areas: list[str]
    level: str
    hours: float
    indicators: list[str]
    open: bool
    gives_certificate: bool
    completion_rule: dict[str, Any]
    activity_iri: str
    external_activity_iris: list[str]
    lessons: list[LessonData] = field(default_factory=list)
    #: ``assets/`` path (without the prefix) -> (content type, bytes)
    assets: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    content_hash: str = ""


class _Errors:
    def __init__(self) -> None:
        self.items: list[PackageError] = []

    def add(self, file: str, line: int | None, message: str) -> None:
        self.items.append(PackageError(file, line, message))


def content_hash(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package_files(package_dir)):
        rel = path.relative_to(package_dir).as_posix()
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def package_files(package_dir: Path) -> list[Path]:
    return [
        p
        for p in package_dir.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(package_dir).parts)
    ]


def validate_package(
    package_dir: Path, *, expected_slug: str | None = None
) -> tuple[PackageData | None, list[PackageError]]:
    """Check a package whole; return its data when clean, and every error found."""
    errors = _Errors()
    completion: dict[str, Any] = {}
    meta = _course_yaml(package_dir, errors, expected_slug, completion)
    lessons = _lessons(package_dir, errors)
    assets = _assets(package_dir, errors)
    for lesson in lessons:
        _lesson_links(lesson, assets, errors)
    _completion_against_lessons(completion, _lesson_file_count(package_dir), package_dir, errors)
    for part in parts_present(package_dir):
        try:
            errors.items.extend(part.validate(package_dir))
        except Exception as exc:  # a broken part must not hide the other errors
            errors.add(part.filename, None, f"could not be validated: {exc}")
    if errors.items or meta is None:
        return None, sorted(errors.items, key=lambda e: (e.file, e.line or 0))
    meta.lessons = lessons
    meta.assets = assets
    meta.content_hash = content_hash(package_dir)
    return meta, []


def _read_text(path: Path, rel: str, errors: _Errors) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        errors.add(rel, line, "the file is not UTF-8 text")
        return None


def _language_map(
    doc: yamlines.LinedYaml, key: str, errors: _Errors, *, required: bool = True
) -> tuple[str, str | None] | None:
    value = doc.data.get(key)
    line = doc.line(key)
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    if isinstance(value, dict):
        unknown = set(value) - {"vi", "en"}
        for name in sorted(unknown):
            errors.add("course.yaml", doc.line(key, name), f"{key}: unknown language {name!r}")
        vi, en = value.get("vi"), value.get("en")
        if not isinstance(vi, str) or not vi.strip():
            errors.add("course.yaml", doc.line(key, "vi"), f"{key}.vi: missing Vietnamese text")
            return None
        if en is not None and not isinstance(en, str):
            errors.add("course.yaml", doc.line(key, "en"), f"{key}.en: must be text")
            en = None
        return vi.strip(), (en.strip() or None) if isinstance(en, str) else None
    if value is None and not required:
        return None
    errors.add("course.yaml", line, f"{key}: must be text or {{vi: ..., en: ...}}")
    return None


def _code_list(
    doc: yamlines.LinedYaml, key: str, allowed: set[str], what: str, errors: _Errors
) -> list[str]:
    value = doc.data.get(key, [])
    if not isinstance(value, list):
        errors.add("course.yaml", doc.line(key), f"{key}: must be a list")
        return []
    out: list[str] = []
    for index, code in enumerate(value):
        if not isinstance(code, str) or code not in allowed:
            errors.add("course.yaml", doc.line(key, index), f"{key}: unknown {what} {code!r}")
        elif code not in out:
            out.append(code)
    return out


def _course_yaml(
    package_dir: Path, errors: _Errors, expected_slug: str | None, completion_out: dict[str, Any]
) -> PackageData | None:
    path = package_dir / "course.yaml"
    if not path.is_file():
        errors.add("course.yaml", None, "missing file")
        return None
    text = _read_text(path, "course.yaml", errors)
    if text is None:
        return None
    try:
        doc = yamlines.load(text)
    except yamlines.YamlLoadError as exc:
        errors.add("course.yaml", exc.line, exc.message)
        return None
    for line, key in doc.duplicates:
        errors.add("course.yaml", line, f"duplicate key {key!r}")
    if not isinstance(doc.data, dict):
        errors.add("course.yaml", 1, "must be a mapping of fields")
        return None
    data: dict[str, Any] = doc.data
    ok = True
    for key in REQUIRED_FIELDS:
        if key not in data or data[key] is None:
            errors.add("course.yaml", doc.line(), f"missing required field {key!r}")
            ok = False
    for key in sorted(set(data) - COURSE_FIELDS):
        errors.add("course.yaml", doc.line(key), f"unknown field {key!r}")
        ok = False

    slug = data.get("slug")
    if slug is not None and (not isinstance(slug, str) or not SLUG.match(slug)):
        errors.add("course.yaml", doc.line("slug"), "slug: only a-z, 0-9 and '-' are allowed")
        ok = False
    elif isinstance(slug, str) and expected_slug is not None and slug != expected_slug:
        errors.add(
            "course.yaml",
            doc.line("slug"),
            f"slug {slug!r} must equal the folder name {expected_slug!r}",
        )
        ok = False
    title = _language_map(doc, "title", errors) if "title" in data else None
    summary = _language_map(doc, "summary", errors) if "summary" in data else None
    target_groups = _code_list(doc, "target_groups", set(TargetGroup), "target group", errors)
    skill_areas = _code_list(doc, "skill_areas", set(SkillArea), "skill area", errors)
    indicators = _code_list(doc, "indicators", set(IndicatorCode), "indicator", errors)
    if "target_groups" in data and not target_groups and isinstance(data["target_groups"], list):
        errors.add("course.yaml", doc.line("target_groups"), "target_groups: name at least one")
    level = data.get("level")
    if level is not None and level not in set(CourseLevel):
        errors.add(
            "course.yaml", doc.line("level"), f"level: {level!r} is not basic|intermediate|advanced"
        )
        ok = False
    hours = data.get("hours")
    if hours is not None and (
        isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 1000
    ):
        errors.add("course.yaml", doc.line("hours"), "hours: must be a positive number")
        ok = False
    for key in ("open", "certificate"):
        if key in data and not isinstance(data[key], bool):
            errors.add("course.yaml", doc.line(key), f"{key}: must be true or false")
            ok = False
    iri = data.get("activity_iri")
    if iri is not None and (not isinstance(iri, str) or not IRI.match(iri)):
        errors.add("course.yaml", doc.line("activity_iri"), "activity_iri: must be an http(s) IRI")
        ok = False
    externals = data.get("external_activity_iris") or []
    if not isinstance(externals, list):
        errors.add("course.yaml", doc.line("external_activity_iris"), "must be a list of IRIs")
        externals = []
    for index, ext in enumerate(externals):
        if not isinstance(ext, str) or not IRI.match(ext):
            errors.add(
                "course.yaml",
                doc.line("external_activity_iris", index),
                f"external_activity_iris: {ext!r} is not an http(s) IRI",
            )
            ok = False
    completion = _completion(doc, errors)
    if completion is not None:
        completion_out.update(completion)
        completion = {k: v for k, v in completion.items() if k != "_lines"}
    if not ok or title is None or summary is None or completion is None:
        return None
    return PackageData(
        slug=str(slug),
        title=title[0],
        title_en=title[1],
        summary=summary[0],
        summary_en=summary[1],
        target_groups=target_groups,
        skill_areas=skill_areas,
        level=str(level),
        hours=float(hours),  # type: ignore[arg-type]
        indicators=indicators,
        open=bool(data["open"]),
        gives_certificate=bool(data["certificate"]),
        completion_rule=completion,
        activity_iri=str(iri),
        external_activity_iris=[str(e) for e in externals],
    )


def _completion(doc: yamlines.LinedYaml, errors: _Errors) -> dict[str, Any] | None:
    value = doc.data.get("completion")
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        errors.add("course.yaml", doc.line("completion"), "completion: name at least one rule")
        return None
    ok = True
    for key in sorted(set(value) - COMPLETION_KEYS):
        errors.add("course.yaml", doc.line("completion", key), f"completion: unknown rule {key!r}")
        ok = False
    lessons = value.get("lessons")
    if (
        lessons is not None
        and lessons != "all"
        and (isinstance(lessons, bool) or not isinstance(lessons, int) or lessons < 1)
    ):
        errors.add(
            "course.yaml",
            doc.line("completion", "lessons"),
            "completion.lessons: must be 'all' or a number of lessons",
        )
        ok = False
    for key in ("quiz", "attendance"):
        number = value.get(key)
        if number is not None and (
            isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 100
        ):
            errors.add(
                "course.yaml",
                doc.line("completion", key),
                f"completion.{key}: must be a percentage from 1 to 100",
            )
            ok = False
    if not ok:
        return None
    return {
        "lessons": lessons,
        "quiz": value.get("quiz"),
        "attendance": value.get("attendance"),
        "_lines": {k: doc.line("completion", k) for k in COMPLETION_KEYS},
    }


def _lesson_file_count(package_dir: Path) -> int:
    folder = package_dir / "lessons"
    return (
        len([p for p in folder.glob("*.md") if LESSON_FILE.match(p.name)]) if folder.is_dir() else 0
    )


def _completion_against_lessons(
    rule: dict[str, Any], lesson_count: int, package_dir: Path, errors: _Errors
) -> None:
    """Rules that depend on the rest of the package (checked even if course.yaml has errors)."""
    if not rule:
        return
    lines = rule.get("_lines", {})
    if isinstance(rule.get("lessons"), int) and rule["lessons"] > lesson_count:
        errors.add(
            "course.yaml",
            lines.get("lessons"),
            f"completion.lessons: {rule['lessons']} lessons required but the package has "
            f"{lesson_count}",
        )
    if rule.get("quiz") is not None and not (package_dir / "questions.yaml").is_file():
        errors.add(
            "course.yaml", lines.get("quiz"), "completion.quiz: the package has no questions.yaml"
        )


def _lessons(package_dir: Path, errors: _Errors) -> list[LessonData]:
    folder = package_dir / "lessons"
    if not folder.is_dir():
        errors.add("lessons/", None, "missing folder: a course needs at least one lesson")
        return []
    lessons: list[LessonData] = []
    seen: dict[str, str] = {}
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    for path in files:
        rel = f"lessons/{path.name}"
        match = LESSON_FILE.match(path.name)
        if not path.is_file() or match is None:
            errors.add(rel, None, "not a lesson file: expected lessons/NN-<slug>.md")
            continue
        slug = match.group(2)
        if slug in seen:
            errors.add(rel, None, f"lesson slug {slug!r} is also used by {seen[slug]}")
            continue
        seen[slug] = rel
        if path.stat().st_size > MAX_LESSON_BYTES:
            errors.add(rel, None, f"lesson larger than {MAX_LESSON_BYTES // 1024} KB")
            continue
        lesson = _lesson(path, rel, slug, len(lessons) + 1, errors)
        if lesson is not None:
            lessons.append(lesson)
    if not files:
        errors.add("lessons/", None, "no lessons: add lessons/01-<slug>.md")
    return lessons


def _lesson(path: Path, rel: str, slug: str, position: int, errors: _Errors) -> LessonData | None:
    text = _read_text(path, rel, errors)
    if text is None:
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        errors.add(rel, 1, "missing front matter: the file must start with a '---' line")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        errors.add(rel, 1, "front matter not closed: add a '---' line after it")
        return None
    try:
        doc = yamlines.load("\n".join(lines[1:end]), line_offset=1)
    except yamlines.YamlLoadError as exc:
        errors.add(rel, exc.line, exc.message)
        return None
    for line, key in doc.duplicates:
        errors.add(rel, line, f"duplicate key {key!r}")
    meta = doc.data if isinstance(doc.data, dict) else None
    if meta is None:
        errors.add(rel, 2, "front matter must be a mapping (title, title_en, minutes)")
        return None
    ok = True
    for key in sorted(set(meta) - LESSON_FIELDS):
        errors.add(rel, doc.line(key), f"unknown front-matter field {key!r}")
        ok = False
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        errors.add(rel, doc.line("title") if "title" in meta else 1, "title: missing lesson title")
        ok = False
    title_en = meta.get("title_en")
    if title_en is not None and not isinstance(title_en, str):
        errors.add(rel, doc.line("title_en"), "title_en: must be text")
        ok = False
    minutes = meta.get("minutes")
    if minutes is None:
        errors.add(rel, 1, "missing required field 'minutes'")
        ok = False
    elif isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 600:
        errors.add(rel, doc.line("minutes"), "minutes: must be a whole number from 1 to 600")
        ok = False
    body_lines = lines[end + 1 :]
    while body_lines and not body_lines[0].strip():
        body_lines.pop(0)
    body = "\n".join(body_lines).rstrip()
    if not body.strip():
        errors.add(rel, end + 1, "the lesson has no content after its front matter")
        ok = False
    if not ok:
        return None
    leading = len(lines) - (end + 1) - len(body_lines)
    return LessonData(
        slug=slug,
        position=position,
        file=rel,
        title=str(title).strip(),
        title_en=title_en.strip() if isinstance(title_en, str) and title_en.strip() else None,
        minutes=int(minutes),  # type: ignore[arg-type]
        body_md=body + "\n",
        body_line=end + 2 + leading,
    )


def _lesson_links(
    lesson: LessonData, assets: dict[str, tuple[str, bytes]], errors: _Errors
) -> None:
    for problem, asset in markdown.check_links(lesson.body_md, line_offset=lesson.body_line - 1):
        if asset is None:
            errors.add(lesson.file, problem.line, problem.message)
        elif asset[len("assets/") :].split("#")[0].split("?")[0] not in assets:
            errors.add(lesson.file, problem.line, f"{asset} not found in the package")


def _assets(package_dir: Path, errors: _Errors) -> dict[str, tuple[str, bytes]]:
    folder = package_dir / "assets"
    out: dict[str, tuple[str, bytes]] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(folder).parts):
            continue
        rel = path.relative_to(folder).as_posix()
        suffix = path.suffix.lower()
        if suffix not in ASSET_TYPES:
            errors.add(f"assets/{rel}", None, "only PNG, JPEG, GIF and WebP images are allowed")
            continue
        if path.stat().st_size > MAX_ASSET_BYTES:
            errors.add(f"assets/{rel}", None, f"larger than {MAX_ASSET_BYTES // 1024 // 1024} MB")
            continue
        out[rel] = (ASSET_TYPES[suffix], path.read_bytes())
    return out
