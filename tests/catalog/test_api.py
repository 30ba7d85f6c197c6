"""Catalog API: search without diacritics, filters, outline, and package upload."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth.models import Role
from lms.catalog.models import Course
from tests.catalog.helpers import BROKEN, GOOD, import_good
from tests.factories import enrol, make_course, make_user


def zip_folder(folder: Path, *, prefix: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                archive.write(path, f"{prefix}/{name}" if prefix else name)
    return buffer.getvalue()


def upload(client: FlaskClient, headers: dict[str, str], data: bytes, name: str = "p.zip"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/courses/import",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "query", ["ky nang so", "KỸ NĂNG SỐ", "kỹ năng", "nang so co", "smartphone"]
)
def test_search_finds_course_without_diacritics(client: FlaskClient, query: str) -> None:
    import_good()
    response = client.get("/api/v1/courses", query_string={"q": query})
    assert response.status_code == 200
    assert [c["slug"] for c in response.json["items"]] == ["ky-nang-so-co-ban"]


def test_search_with_no_match_returns_an_empty_page(client: FlaskClient) -> None:
    import_good()
    body = client.get("/api/v1/courses?q=nau+an").json
    assert body == {"items": [], "page": 1, "per_page": 50, "total": 0}


def test_search_treats_like_wildcards_as_text(client: FlaskClient) -> None:
    import_good()
    assert client.get("/api/v1/courses?q=%25").json["total"] == 0
    assert client.get("/api/v1/courses?q=_").json["total"] == 0


def test_filters_by_target_group_skill_area_and_level(client: FlaskClient) -> None:
    import_good()

    def slugs(**query: str) -> list[str]:
        response = client.get("/api/v1/courses", query_string=query)
        return [c["slug"] for c in response.json["items"]]

    assert slugs(target_group="leader") == ["lanh-dao-chuyen-doi-so"]
    assert slugs(skill_area="safety") == ["ky-nang-so-co-ban"]
    assert slugs(level="intermediate") == ["lanh-dao-chuyen-doi-so"]
    assert slugs(open="true") == ["ky-nang-so-co-ban"]
    assert slugs(target_group="citizen", level="intermediate") == []


def test_pagination(client: FlaskClient) -> None:
    for i in range(5):
        make_course(title=f"Khoá {i}")
    body = client.get("/api/v1/courses?per_page=2&page=3").json
    assert (body["total"], body["page"], len(body["items"])) == (5, 3, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [("level=expert", "level"), ("target_group=aliens", "target_group"), ("colour=red", "colour")],
)
def test_bad_filters_are_422(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/courses?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_course_detail_has_the_outline_and_the_callers_enrollment(
    client: FlaskClient, auth_headers
) -> None:  # type: ignore[no-untyped-def]
    courses = import_good()
    body = client.get("/api/v1/courses/ky-nang-so-co-ban").json
    assert [lesson["slug"] for lesson in body["lessons"]] == [
        "dien-thoai-thong-minh",
        "tim-kiem-thong-tin",
        "an-toan-tren-mang",
    ]
    assert body["enrollment"] is None
    assert body["lesson_count"] == 3
    learner = make_user()
    enrollment = enrol(learner, courses["ky-nang-so-co-ban"])
    body = client.get("/api/v1/courses/ky-nang-so-co-ban", headers=auth_headers(learner)).json
    assert body["enrollment"] == {
        "id": enrollment.id,
        "status": "enrolled",
        "progress": 0,
        "class_code": None,
    }


def test_unknown_course_is_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/courses/khong-co")
    assert response.status_code == 404
    assert response.json["message"] == "Course khong-co not found."


def test_admin_uploads_a_zipped_package(client: FlaskClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(roles=(Role.admin,))
    data = zip_folder(GOOD / "ky-nang-so-co-ban", prefix="ky-nang-so-co-ban")
    response = upload(client, auth_headers(admin), data)
    assert response.status_code == 201
    assert response.json["status"] == "created"
    assert response.json["lessons"] == 3
    again = upload(client, auth_headers(admin), data)
    assert (again.status_code, again.json["status"], again.json["version"]) == (200, "unchanged", 1)


def test_zip_with_package_at_its_root_is_accepted(client: FlaskClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(roles=(Role.admin,))
    response = upload(client, auth_headers(admin), zip_folder(GOOD / "lanh-dao-chuyen-doi-so"))
    assert response.status_code == 201
    assert response.json["slug"] == "lanh-dao-chuyen-doi-so"


def test_broken_zipped_package_reports_every_error_with_file_and_line(
    client: FlaskClient, auth_headers
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(roles=(Role.admin,))
    response = upload(
        client, auth_headers(admin), zip_folder(BROKEN / "bai-hoc-loi", prefix="bai-hoc-loi")
    )
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors["course.yaml:2"] == ["title.vi: missing Vietnamese text"]
    assert errors["lessons/04-lien-ket-xau.md:8"] == [
        "link 'javascript:alert(1)' must be http(s): or relative"
    ]
    assert "lessons/01-khong-front-matter.md:1" in errors
    assert response.json["message"].endswith("nothing was imported.")


def _zip_with(name: str, data: bytes = b"x", *, symlink: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (_zip_with("../../evil.txt"), "unsafe path in archive: ../../evil.txt"),
        (_zip_with("/etc/evil.txt"), "unsafe path in archive: /etc/evil.txt"),
        (
            _zip_with("a/link", b"/etc/passwd", symlink=True),
            "symbolic links are not allowed: a/link",
        ),
        (b"not a zip at all", "not a valid .zip file"),
        (
            _zip_with("readme.txt"),
            "course.yaml not found at the top of the archive or in its one folder",
        ),
    ],
)
def test_unsafe_or_invalid_zips_are_refused(
    client: FlaskClient, auth_headers, archive: bytes, message: str
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(roles=(Role.admin,))
    response = upload(client, auth_headers(admin), archive)
    assert response.status_code == 422
    assert response.json["errors"] == {"(zip)": [message]}


def _zip_of(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return buffer.getvalue()


LONG = "a" * 300


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (
            _zip_of("p/assets", "p/assets/a.png"),
            "p/assets is both a file and a folder in the archive",
        ),
        (
            _zip_of("p/assets/a.png", "p/assets"),
            "p/assets is both a file and a folder in the archive",
        ),
        (_zip_of("p/a/b/c.txt", "p/a"), "p/a is both a file and a folder in the archive"),
        (_zip_of(f"p/{LONG}.md"), f"a name longer than 255 bytes: p/{LONG[:78]}…"),
        (_zip_of(f"{LONG}/course.yaml"), f"a name longer than 255 bytes: {LONG[:80]}…"),
    ],
    ids=["file-then-folder", "folder-then-file", "deep-clash", "long-file", "long-folder"],
)
def test_zips_the_file_system_cannot_hold_are_422_not_500(
    client: FlaskClient, auth_headers, archive: bytes, message: str
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(roles=(Role.admin,))
    response = upload(client, auth_headers(admin), archive)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {"(zip)": [message]}


def test_zip_that_unpacks_beyond_the_limit_is_refused(
    app: Flask, client: FlaskClient, auth_headers, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "COURSE_PACKAGE_MAX_MB", 1)
    admin = make_user(roles=(Role.admin,))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("p/course.yaml", b"a" * (2 * 1024 * 1024))
    response = upload(client, auth_headers(admin), buffer.getvalue())
    assert response.status_code == 422
    assert response.json["errors"] == {"(zip)": ["the package unpacks to more than 1 MB"]}


def test_upload_needs_the_file_field(client: FlaskClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(roles=(Role.admin,))
    response = client.post("/api/v1/courses/import", headers=auth_headers(admin), data={})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), (Role.official, 403), (Role.trainer, 403)]
)
def test_only_admins_upload_packages(
    client: FlaskClient, auth_headers, role: Role | None, status: int
) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers(make_user(roles=(role,))) if role else {}
    response = upload(client, headers, zip_folder(GOOD / "lanh-dao-chuyen-doi-so"))
    assert response.status_code == status
    assert not _course_exists("lanh-dao-chuyen-doi-so")


def _course_exists(slug: str) -> bool:
    from lms.extensions import db

    return db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None
