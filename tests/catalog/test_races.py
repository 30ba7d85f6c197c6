"""A course package uploaded by parallel identical requests: one course."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from lms.auth.models import Role
from lms.catalog.models import Course, Lesson
from tests.catalog.helpers import GOOD
from tests.catalog.test_api import zip_folder
from tests.factories import make_user
from tests.races import PARALLEL, LiveApi, fresh, multipart, outcome


def test_parallel_package_uploads_create_one_course(live_api: LiveApi, tmp_path: Path) -> None:
    slug = fresh("lanh-dao")
    folder = tmp_path / slug
    shutil.copytree(GOOD / "lanh-dao-chuyen-doi-so", folder)
    yaml = (folder / "course.yaml").read_text(encoding="utf-8")
    (folder / "course.yaml").write_text(
        yaml.replace("lanh-dao-chuyen-doi-so", slug), encoding="utf-8"
    )
    with live_api.data():
        admin_id = make_user(f"{fresh('admin')}@example.vn", roles=(Role.admin,)).id
    token = live_api.token(admin_id)
    body, content_type = multipart({}, {"file": ("p.zip", zip_folder(folder, prefix=slug))})
    replies = live_api.race(
        "POST", "/api/v1/courses/import", token=token, body=body, content_type=content_type
    )
    # The first creates it; the others find it as uploaded (unchanged).
    assert outcome(replies) == {201: 1, 200: PARALLEL - 1}, replies
    assert {r.json["status"] for r in replies if r.status == 200} == {"unchanged"}
    with live_api.data() as db:
        course_id = db.session.scalar(select(Course.id).where(Course.slug == slug))
        lessons = db.session.scalar(select(func.count()).where(Lesson.course_id == course_id))
        assert lessons == len(list((folder / "lessons").iterdir()))
