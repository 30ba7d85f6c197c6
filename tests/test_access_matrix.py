"""Who gets what: every /api/v1 operation and every page, for every kind of person.

One row per operation (or page) and object: the object of Hải Phòng (``HP``), of Quảng Trị
(``QT``), national (``N``), the admin placed in a Hải Phòng ward (``ADMIN``) or none (``-``).
The columns are the people of ``tests.access_world.ACTORS``:

    anon   learner   trainer   off_hp   off_hb   off_qt   trainer_qt   admin

(the learner, the trainer, the city's and the ward's officials are of Hải Phòng; the last two
of Quảng Trị). A cell is the outcome: ``ok`` (2xx), ``go`` (a page's redirect after a form was
accepted), ``login`` (a page's redirect to the login form), or a status code. ``404`` where
existence itself is information (people, classes, attempts, another province's banks), ``403``
where the object is visible but not theirs, ``422`` where a unit outside one's area is named in
a request body (it is reported like an unknown one).

An operation in ``/api/v1/openapi.json`` or a page in the app's url_map without a row fails
:func:`test_every_operation_and_page_has_a_row`. Not covered here: ``/xapi`` (the LRS) and the
cmi5 runtime (``/cmi5/...``, the launched content and its fetch URL): they have their own
matrix, over each LRS scope and cmi5 session credentials, with the LRS tests.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask

from tests.access_world import ACTORS, PASSWORD, World, world_of

Body = Callable[[dict[str, Any]], dict[str, Any]]

# method, path (placeholders name world objects), object, outcomes in ACTORS order
API: list[tuple[str, str, str, str]] = [
    # --- accounts and people
    ("POST", "/api/v1/auth/tokens", "-", "ok ok ok ok ok ok ok ok"),
    ("DELETE", "/api/v1/auth/tokens/current", "-", "401 ok ok ok ok ok ok ok"),
    ("GET", "/api/v1/me", "-", "401 ok ok ok ok ok ok ok"),
    ("GET", "/api/v1/users", "-", "401 403 403 ok ok ok 403 ok"),
    ("POST", "/api/v1/users", "HP", "401 403 403 ok ok 403 403 ok"),
    ("POST", "/api/v1/users", "QT", "401 403 403 403 403 ok 403 ok"),
    ("GET", "/api/v1/users/{user}", "HP", "401 404 404 ok ok 404 404 ok"),
    ("GET", "/api/v1/users/{user}", "QT", "401 404 404 404 404 ok 404 ok"),
    ("GET", "/api/v1/users/{user}", "ADMIN", "401 404 404 ok ok 404 404 ok"),
    ("PATCH", "/api/v1/users/{user}", "HP", "401 404 404 ok ok 404 404 ok"),
    ("PATCH", "/api/v1/users/{user}", "QT", "401 404 404 404 404 ok 404 ok"),
    ("PATCH", "/api/v1/users/{user}", "ADMIN", "401 404 404 403 403 404 404 ok"),
    ("POST", "/api/v1/users/import", "HP", "401 403 403 ok ok 422 403 ok"),
    ("POST", "/api/v1/users/import", "QT", "401 403 403 422 422 ok 403 ok"),
    # (the person has a password already: 409 is the answer of one allowed to invite)
    ("POST", "/api/v1/users/{user}/invitation", "HP", "401 403 403 409 409 404 403 409"),
    ("POST", "/api/v1/users/{user}/invitation", "QT", "401 403 403 404 404 409 403 409"),
    # --- the catalog (public) and its administration
    ("GET", "/api/v1/courses", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/api/v1/courses/{course}", "-", "ok ok ok ok ok ok ok ok"),
    ("POST", "/api/v1/courses/import", "-", "401 403 403 403 403 403 403 ok"),
    ("PUT", "/api/v1/courses/{course}/activity-iris", "-", "401 403 403 403 403 403 403 ok"),
    # --- classes
    ("GET", "/api/v1/classes", "-", "401 403 ok ok ok ok ok ok"),
    ("POST", "/api/v1/classes", "HP", "401 403 ok ok ok 403 403 ok"),
    ("POST", "/api/v1/classes", "QT", "401 403 403 403 403 ok ok ok"),
    ("GET", "/api/v1/classes/{class}", "HP", "401 403 ok ok ok 404 404 ok"),
    ("GET", "/api/v1/classes/{class}", "QT", "401 403 404 404 404 ok ok ok"),
    ("PATCH", "/api/v1/classes/{class}", "HP", "401 403 ok ok ok 404 404 ok"),
    ("PATCH", "/api/v1/classes/{class}", "QT", "401 403 404 404 404 ok ok ok"),
    ("GET", "/api/v1/classes/{class}/roster", "HP", "401 403 ok ok ok 404 404 ok"),
    ("GET", "/api/v1/classes/{class}/roster", "QT", "401 403 404 404 404 ok ok ok"),
    ("POST", "/api/v1/classes/{class}/sessions", "HP", "401 403 ok ok ok 404 404 ok"),
    ("POST", "/api/v1/classes/{class}/sessions", "QT", "401 403 404 404 404 ok ok ok"),
    ("PATCH", "/api/v1/classes/{class}/sessions/{session}", "HP", "401 403 ok ok ok 404 404 ok"),
    ("PATCH", "/api/v1/classes/{class}/sessions/{session}", "QT", "401 403 404 404 404 ok ok ok"),
    ("DELETE", "/api/v1/classes/{class}/sessions/{session}", "HP", "401 403 ok ok ok 404 404 ok"),
    ("DELETE", "/api/v1/classes/{class}/sessions/{session}", "QT", "401 403 404 404 404 ok ok ok"),
    ("GET", "/api/v1/classes/{class}/sessions/{session}/attendance", "HP",
     "401 403 ok ok ok 404 404 ok"),
    ("GET", "/api/v1/classes/{class}/sessions/{session}/attendance", "QT",
     "401 403 404 404 404 ok ok ok"),
    ("PUT", "/api/v1/classes/{class}/sessions/{session}/attendance", "HP",
     "401 403 ok ok ok 404 404 ok"),
    ("PUT", "/api/v1/classes/{class}/sessions/{session}/attendance", "QT",
     "401 403 404 404 404 ok ok ok"),
    ("POST", "/api/v1/classes/{class}/enrollments", "HP", "401 403 ok ok ok 404 404 ok"),
    ("POST", "/api/v1/classes/{class}/enrollments", "QT", "401 403 404 404 404 ok ok ok"),
    ("POST", "/api/v1/classes/{class}/enrollments/import", "HP", "401 403 ok ok ok 404 404 ok"),
    ("POST", "/api/v1/classes/{class}/enrollments/import", "QT", "401 403 404 404 404 ok ok ok"),
    # --- enrollments and progress
    ("POST", "/api/v1/courses/{course}/enroll", "-", "401 409 ok ok ok ok ok ok"),
    ("POST", "/api/v1/courses/{course}/assign", "HP", "401 403 403 ok ok 403 403 ok"),
    ("POST", "/api/v1/courses/{course}/assign", "QT", "401 403 403 403 403 ok 403 ok"),
    ("GET", "/api/v1/me/enrollments", "-", "401 ok ok ok ok ok ok ok"),
    ("GET", "/api/v1/enrollments/{enrollment}", "HP", "401 ok ok ok ok 404 404 ok"),
    ("GET", "/api/v1/enrollments/{enrollment}", "QT", "401 404 404 404 404 ok ok ok"),
    ("POST", "/api/v1/enrollments/{enrollment}/withdraw", "HP", "401 ok ok ok ok 404 404 ok"),
    ("POST", "/api/v1/enrollments/{enrollment}/withdraw", "QT", "401 404 404 404 404 ok ok ok"),
    ("POST", "/api/v1/enrollments/{enrollment}/lessons/{lesson}/open", "HP",
     "401 ok 403 403 403 404 404 403"),
    ("POST", "/api/v1/enrollments/{enrollment}/lessons/{lesson}/open", "QT",
     "401 404 404 404 404 403 403 403"),
    ("POST", "/api/v1/enrollments/{enrollment}/lessons/{lesson}/complete", "HP",
     "401 ok 403 403 403 404 404 403"),
    ("POST", "/api/v1/enrollments/{enrollment}/lessons/{lesson}/complete", "QT",
     "401 404 404 404 404 403 403 403"),
    # --- certificates
    ("GET", "/api/v1/certificates", "-", "401 ok ok ok ok ok ok ok"),
    ("POST", "/api/v1/certificates/verify", "-", "422 422 422 422 422 422 422 422"),
    ("GET", "/api/v1/certificates/{cert}", "HP", "401 404 ok ok ok 404 404 ok"),
    ("GET", "/api/v1/certificates/{cert}", "QT", "401 404 404 404 404 ok ok ok"),
    ("GET", "/api/v1/certificates/{cert}.pdf", "HP", "401 404 ok ok ok 404 404 ok"),
    ("GET", "/api/v1/certificates/{cert}.pdf", "QT", "401 404 404 404 404 ok ok ok"),
    ("GET", "/api/v1/certificates/{cert}/credential", "HP", "401 404 ok ok ok 404 404 ok"),
    ("GET", "/api/v1/certificates/{cert}/credential", "QT", "401 404 404 404 404 ok ok ok"),
    ("GET", "/api/v1/certificates/{cert}/verify", "HP", "ok ok ok ok ok ok ok ok"),
    ("POST", "/api/v1/certificates/{cert}/revoke", "HP", "401 403 403 ok ok 404 403 ok"),
    ("POST", "/api/v1/certificates/{cert}/revoke", "QT", "401 403 403 404 404 ok 403 ok"),
    ("GET", "/api/v1/enrollments/{enrollment}/certificate", "HP", "401 ok ok ok ok 404 404 ok"),
    ("GET", "/api/v1/enrollments/{enrollment}/certificate", "QT",
     "401 404 404 404 404 ok ok ok"),
    ("POST", "/api/v1/enrollments/{enrollment}/certificate", "HP",
     "401 403 ok ok ok 404 404 ok"),
    ("POST", "/api/v1/enrollments/{enrollment}/certificate", "QT",
     "401 403 404 404 404 ok ok ok"),
    ("GET", "/api/v1/classes/{class}/certificates", "HP", "401 403 ok ok ok 404 404 ok"),
    ("GET", "/api/v1/classes/{class}/certificates", "QT", "401 403 404 404 404 ok ok ok"),
    ("POST", "/api/v1/classes/{class}/certificates", "HP", "401 403 ok ok ok 404 404 ok"),
    ("POST", "/api/v1/classes/{class}/certificates", "QT", "401 403 404 404 404 ok ok ok"),
    ("POST", "/api/v1/classes/{class}/certificates/jobs", "HP", "401 403 ok ok ok 404 404 ok"),
    ("POST", "/api/v1/classes/{class}/certificates/jobs", "QT", "401 403 404 404 404 ok ok ok"),
    # --- question banks and quizzes
    ("GET", "/api/v1/question-banks", "-", "401 403 ok 403 403 403 ok ok"),
    ("POST", "/api/v1/question-banks", "HP", "401 403 ok 403 403 403 403 ok"),
    ("POST", "/api/v1/question-banks", "QT", "401 403 403 403 403 403 ok ok"),
    ("POST", "/api/v1/question-banks", "N", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/question-banks/{bank}", "HP", "401 403 ok 403 403 403 404 ok"),
    ("GET", "/api/v1/question-banks/{bank}", "QT", "401 403 404 403 403 403 ok ok"),
    ("GET", "/api/v1/question-banks/{bank}", "N", "401 403 ok 403 403 403 ok ok"),
    ("PATCH", "/api/v1/question-banks/{bank}", "HP", "401 403 ok 403 403 403 404 ok"),
    ("PATCH", "/api/v1/question-banks/{bank}", "QT", "401 403 404 403 403 403 ok ok"),
    ("PATCH", "/api/v1/question-banks/{bank}", "N", "401 403 403 403 403 403 403 ok"),
    ("DELETE", "/api/v1/question-banks/{bank}", "HP", "401 403 ok 403 403 403 404 ok"),
    ("DELETE", "/api/v1/question-banks/{bank}", "QT", "401 403 404 403 403 403 ok ok"),
    ("DELETE", "/api/v1/question-banks/{bank}", "N", "401 403 403 403 403 403 403 409"),
    ("GET", "/api/v1/question-banks/{bank}/questions", "HP", "401 403 ok 403 403 403 404 ok"),
    ("GET", "/api/v1/question-banks/{bank}/questions", "QT", "401 403 404 403 403 403 ok ok"),
    ("GET", "/api/v1/question-banks/{bank}/questions", "N", "401 403 ok 403 403 403 ok ok"),
    ("POST", "/api/v1/question-banks/{bank}/questions", "HP", "401 403 ok 403 403 403 404 ok"),
    ("POST", "/api/v1/question-banks/{bank}/questions", "QT", "401 403 404 403 403 403 ok ok"),
    ("POST", "/api/v1/question-banks/{bank}/questions", "N",
     "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/question-banks/{bank}/questions/{key}", "HP",
     "401 403 ok 403 403 403 404 ok"),
    ("GET", "/api/v1/question-banks/{bank}/questions/{key}", "QT",
     "401 403 404 403 403 403 ok ok"),
    ("GET", "/api/v1/question-banks/{bank}/questions/{key}", "N",
     "401 403 ok 403 403 403 ok ok"),
    ("PUT", "/api/v1/question-banks/{bank}/questions/{key}", "HP",
     "401 403 ok 403 403 403 404 ok"),
    ("PUT", "/api/v1/question-banks/{bank}/questions/{key}", "QT",
     "401 403 404 403 403 403 ok ok"),
    ("PUT", "/api/v1/question-banks/{bank}/questions/{key}", "N",
     "401 403 403 403 403 403 403 ok"),
    ("DELETE", "/api/v1/question-banks/{bank}/questions/{key}", "HP",
     "401 403 ok 403 403 403 404 ok"),
    ("DELETE", "/api/v1/question-banks/{bank}/questions/{key}", "QT",
     "401 403 404 403 403 403 ok ok"),
    ("DELETE", "/api/v1/question-banks/{bank}/questions/{key}", "N",
     "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/quizzes", "-", "401 403 ok 403 403 403 ok ok"),
    ("POST", "/api/v1/quizzes", "HP", "401 403 ok 403 403 403 403 ok"),
    ("POST", "/api/v1/quizzes", "QT", "401 403 403 403 403 403 ok ok"),
    ("POST", "/api/v1/quizzes", "N", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/quizzes/{quiz}", "HP", "401 ok ok ok ok ok ok ok"),
    ("GET", "/api/v1/quizzes/{quiz}", "QT", "401 ok ok ok ok ok ok ok"),
    ("PATCH", "/api/v1/quizzes/{quiz}", "HP", "401 403 ok 403 403 403 403 ok"),
    ("PATCH", "/api/v1/quizzes/{quiz}", "QT", "401 403 403 403 403 403 ok ok"),
    ("PATCH", "/api/v1/quizzes/{quiz}", "N", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/courses/{course}/quiz", "-", "401 ok ok ok ok ok ok ok"),
    ("GET", "/api/v1/quizzes/{quiz}/analysis", "HP", "401 403 ok 403 403 403 403 ok"),
    ("GET", "/api/v1/quizzes/{quiz}/analysis", "QT", "401 403 403 403 403 403 ok ok"),
    ("GET", "/api/v1/quizzes/{quiz}/analysis", "N", "401 403 ok 403 403 403 ok ok"),
    ("GET", "/api/v1/quizzes/{quiz}/attempts", "N", "401 ok ok ok ok ok ok ok"),
    ("POST", "/api/v1/quizzes/{quiz}/attempts", "N", "401 ok 403 403 403 403 403 403"),
    ("GET", "/api/v1/attempts/{attempt}", "HP", "401 ok ok 404 404 404 404 ok"),
    ("GET", "/api/v1/attempts/{attempt}", "QT", "401 404 404 404 404 404 ok ok"),
    ("PUT", "/api/v1/attempts/{attempt}/responses", "HP", "401 ok 404 404 404 404 404 404"),
    ("PUT", "/api/v1/attempts/{attempt}/responses", "QT", "401 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/attempts/{attempt}/submit", "HP", "401 ok 404 404 404 404 404 404"),
    ("POST", "/api/v1/attempts/{attempt}/submit", "QT", "401 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/attempts/{graded}/regrade", "HP", "401 403 403 403 403 403 403 ok"),
    # --- background jobs
    ("GET", "/api/v1/jobs/{job}", "HP", "401 404 404 ok 404 404 404 ok"),
    ("GET", "/api/v1/jobs/{job}", "QT", "401 404 404 404 404 ok 404 ok"),
    # --- the unit tree and headcounts
    ("GET", "/api/v1/units", "-", "401 403 403 ok ok ok 403 ok"),
    ("POST", "/api/v1/units", "HP", "401 403 403 ok ok 422 403 ok"),
    ("POST", "/api/v1/units", "QT", "401 403 403 422 422 ok 403 ok"),
    ("POST", "/api/v1/units/import", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/units/{unit}", "HP", "401 403 403 ok ok 404 403 ok"),
    ("GET", "/api/v1/units/{unit}", "QT", "401 403 403 404 404 ok 403 ok"),
    ("PATCH", "/api/v1/units/{unit}", "HP", "401 403 403 ok 403 404 403 ok"),
    ("PATCH", "/api/v1/units/{unit}", "QT", "401 403 403 404 404 ok 403 ok"),
    ("POST", "/api/v1/units/{unit}/merge", "HP", "401 403 403 ok 403 404 403 ok"),
    ("POST", "/api/v1/units/{unit}/merge", "QT", "401 403 403 404 404 ok 403 ok"),
    ("GET", "/api/v1/headcounts", "HP", "401 403 403 ok ok 404 403 ok"),
    ("GET", "/api/v1/headcounts", "QT", "401 403 403 404 404 ok 403 ok"),
    ("POST", "/api/v1/headcounts", "HP", "401 403 403 ok ok 422 403 ok"),
    ("POST", "/api/v1/headcounts", "QT", "401 403 403 422 422 ok 403 ok"),
    # --- figures
    ("GET", "/api/v1/stats/indicators", "HP", "401 403 403 ok ok 403 403 ok"),
    ("GET", "/api/v1/stats/indicators", "QT", "401 403 403 403 403 ok 403 ok"),
    ("GET", "/api/v1/stats/completions", "HP", "401 403 403 ok ok 403 403 ok"),
    ("GET", "/api/v1/stats/completions", "QT", "401 403 403 403 403 ok 403 ok"),
    ("GET", "/api/v1/stats/annual-report", "HP", "401 403 403 ok ok 403 403 ok"),
    ("GET", "/api/v1/stats/annual-report", "QT", "401 403 403 403 403 ok 403 ok"),
    ("POST", "/api/v1/stats/closures", "HP", "401 403 403 ok ok 403 403 ok"),
    ("POST", "/api/v1/stats/closures", "QT", "401 403 403 403 403 ok 403 ok"),
    ("GET", "/api/v1/stats/closures/{unit}/{year}", "HP", "401 403 403 ok ok 403 403 ok"),
    ("GET", "/api/v1/stats/closures/{unit}/{year}", "QT", "401 403 403 403 403 ok 403 ok"),
    ("DELETE", "/api/v1/stats/closures/{unit}/{year}", "HP", "401 403 403 403 403 403 403 ok"),
    ("DELETE", "/api/v1/stats/closures/{unit}/{year}", "QT", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/stats/submissions", "HP", "401 403 403 ok ok 403 403 ok"),
    ("GET", "/api/v1/stats/submissions", "QT", "401 403 403 403 403 ok 403 ok"),
    ("GET", "/api/v1/stats/report-settings", "HP", "401 403 403 ok ok 403 403 ok"),
    ("GET", "/api/v1/stats/report-settings", "QT", "401 403 403 403 403 ok 403 ok"),
    ("PUT", "/api/v1/stats/report-settings", "HP", "401 403 403 ok ok 403 403 ok"),
    ("PUT", "/api/v1/stats/report-settings", "QT", "401 403 403 403 403 ok 403 ok"),
    ("POST", "/api/v1/stats/rebuild", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/indicators", "HP", "401 403 403 ok ok ok 403 ok"),
    ("GET", "/api/v1/indicators", "QT", "401 403 403 ok ok ok 403 ok"),
    ("POST", "/api/v1/indicators", "HP", "401 403 403 ok 403 403 403 ok"),
    ("POST", "/api/v1/indicators", "QT", "401 403 403 403 403 ok 403 ok"),
    ("GET", "/api/v1/indicators/{indicator}", "HP", "401 403 403 ok ok ok 403 ok"),
    ("GET", "/api/v1/indicators/{indicator}", "QT", "401 403 403 ok ok ok 403 ok"),
    ("PATCH", "/api/v1/indicators/{indicator}", "HP", "401 403 403 ok 403 403 403 ok"),
    ("PATCH", "/api/v1/indicators/{indicator}", "QT", "401 403 403 403 403 ok 403 ok"),
    ("DELETE", "/api/v1/indicators/{indicator}", "HP", "401 403 403 ok 403 403 403 ok"),
    ("DELETE", "/api/v1/indicators/{indicator}", "QT", "401 403 403 403 403 ok 403 ok"),
    # --- the audit log: admins all of it, officials their subtree's
    ("GET", "/api/v1/audit", "-", "401 403 403 ok ok ok 403 ok"),
    # --- the learning bridge, LRS clients and cmi5 (admins)
    ("GET", "/api/v1/bridge/status", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/bridge/run", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/bridge/unmatched", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/bridge/unmatched/{unmatched}/resolve", "-",
     "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/bridge/unmatched/{unmatched}/dismiss", "-",
     "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/bridge/unmatched/retry", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/bridge/identities", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/bridge/identities", "-", "401 403 403 403 403 403 403 ok"),
    ("DELETE", "/api/v1/bridge/identities/{identity}", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/bridge/imports", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/bridge/imports", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/bridge/imports/{import}", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/bridge/imports/{import}/accept", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/bridge/imports/{import}/reject", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/lrs-clients", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/lrs-clients", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/lrs-clients/{client}", "-", "401 403 403 403 403 403 403 ok"),
    ("PATCH", "/api/v1/lrs-clients/{client}", "-", "401 403 403 403 403 403 403 ok"),
    ("DELETE", "/api/v1/lrs-clients/{client}", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/source-platforms", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/source-platforms", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/source-platforms/{platform}", "-", "401 403 403 403 403 403 403 ok"),
    ("PATCH", "/api/v1/source-platforms/{platform}", "-", "401 403 403 403 403 403 403 ok"),
    ("DELETE", "/api/v1/source-platforms/{platform}", "-", "401 403 403 403 403 403 403 ok"),
    ("POST", "/api/v1/cmi5/import", "-", "401 403 403 403 403 403 403 ok"),
    ("GET", "/api/v1/cmi5/courses/{cmi5}/aus", "-", "401 ok ok ok ok ok ok ok"),
    ("POST", "/api/v1/cmi5/aus/{au}/waive", "-", "401 403 403 403 403 403 403 ok"),
]  # fmt: skip


def _csv(text: str) -> dict[str, Any]:
    return {
        "data": {"file": (io.BytesIO(text.encode("utf-8")), "file.csv")},
        "content_type": "multipart/form-data",
    }


#: The request each row sends: json, data, query_string... from the row's object values.
BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/api/v1/auth/tokens"): lambda o: {
        "json": {"email": "learner@hp.vn", "password": PASSWORD}
    },
    ("POST", "/api/v1/users"): lambda o: {
        "json": {"email": "moi@example.vn", "full_name": "Người Mới", "unit_code": o["unit"]}
    },
    ("PATCH", "/api/v1/users/{user}"): lambda o: {"json": {"active": False}},
    ("POST", "/api/v1/users/{user}/invitation"): lambda o: {"json": {"channel": "sheet"}},
    ("POST", "/api/v1/users/import"): lambda o: _csv(
        f"email,full_name,unit_code\nmoi@example.vn,Người Mới,{o['unit']}\n"
    ),
    ("POST", "/api/v1/courses/import"): lambda o: {
        "data": {"file": (io.BytesIO(o["course_zip"]), "khoa.zip")},
        "content_type": "multipart/form-data",
    },
    ("PUT", "/api/v1/courses/{course}/activity-iris"): lambda o: {
        "json": {"iris": ["https://mooc.mt.vn/khoa/1"]}
    },
    ("POST", "/api/v1/classes"): lambda o: {
        "json": {"code": "MT-MOI", "course": o["course"], "unit": o["unit"], "title": "Lớp mới"}
    },
    ("PATCH", "/api/v1/classes/{class}"): lambda o: {"json": {"title": "Lớp đổi tên"}},
    ("POST", "/api/v1/classes/{class}/sessions"): lambda o: {"json": {"date": "2026-12-20"}},
    ("PATCH", "/api/v1/classes/{class}/sessions/{session}"): lambda o: {
        "json": {"topic": "Buổi đổi tên"}
    },
    ("PUT", "/api/v1/classes/{class}/sessions/{session}/attendance"): lambda o: {
        "json": [{"user_id": o["enrolled"], "present": True}]
    },
    ("POST", "/api/v1/classes/{class}/enrollments"): lambda o: {
        "json": {"user_id": o["new_person"]}
    },
    ("POST", "/api/v1/classes/{class}/enrollments/import"): lambda o: _csv(
        f"email,full_name\n{o['new_email']},\n"
    ),
    ("POST", "/api/v1/courses/{course}/assign"): lambda o: {
        "json": {"unit": o["unit"], "target_group": "citizen"}
    },
    ("POST", "/api/v1/certificates/verify"): lambda o: {"json": {"credential": "not.a.jwt"}},
    ("POST", "/api/v1/certificates/{cert}/revoke"): lambda o: {"json": {"reason": "Cấp nhầm."}},
    ("POST", "/api/v1/enrollments/{enrollment}/certificate"): lambda o: {
        "json": {"override_reason": "Đi công tác một buổi."}
    },
    ("POST", "/api/v1/classes/{class}/certificates"): lambda o: {"json": {}},
    ("POST", "/api/v1/classes/{class}/certificates/jobs"): lambda o: {"json": {}},
    ("POST", "/api/v1/question-banks"): lambda o: {
        "json": {"code": "mt-moi", "title": "Ngân hàng mới", "province": o.get("province")}
    },
    ("PATCH", "/api/v1/question-banks/{bank}"): lambda o: {"json": {"title": "Đổi tên"}},
    ("POST", "/api/v1/question-banks/{bank}/questions"): lambda o: {
        "json": {
            "id": "q2",
            "type": "true_false",
            "skill_area": "safety",
            "text": "?",
            "answer": False,
        }
    },
    ("PUT", "/api/v1/question-banks/{bank}/questions/{key}"): lambda o: {
        "json": {"type": "true_false", "skill_area": "safety", "text": "Đổi?", "answer": False}
    },
    ("POST", "/api/v1/quizzes"): lambda o: {
        "json": {
            "slug": "mt-moi",
            "title": "Bài mới",
            "province": o.get("province"),
            "banks": [o["bank_code"]] if "bank_code" in o else [],
        }
    },
    ("PATCH", "/api/v1/quizzes/{quiz}"): lambda o: {"json": {"title": "Đổi tên"}},
    ("PUT", "/api/v1/attempts/{attempt}/responses"): lambda o: {"json": {"responses": {}}},
    ("POST", "/api/v1/units"): lambda o: {
        "json": {"code": "MT-MOI", "name": "Phường Mới", "kind": "commune", "parent": o["unit"]}
    },
    ("POST", "/api/v1/units/import"): lambda o: {
        "data": "code,name,kind,parent_code\nMT-MOI,Phường Mới,commune,HP\n",
        "content_type": "text/csv",
    },
    ("PATCH", "/api/v1/units/{unit}"): lambda o: {"json": {"name": "Tên mới"}},
    ("POST", "/api/v1/units/{unit}/merge"): lambda o: {
        "json": {"into": o["other_unit"], "on": date.today().isoformat()}
    },
    ("GET", "/api/v1/headcounts"): lambda o: {"query_string": {"unit": o["unit"]}},
    ("POST", "/api/v1/headcounts"): lambda o: {
        "json": [{"unit": o["unit"], "target_group": "citizen", "year": 2026, "count": 10}]
    },
    ("GET", "/api/v1/stats/indicators"): lambda o: {"query_string": {"unit": o["unit"]}},
    ("GET", "/api/v1/stats/completions"): lambda o: {"query_string": {"unit": o["unit"]}},
    ("GET", "/api/v1/stats/annual-report"): lambda o: {
        "query_string": {"unit": o["unit"], "format": "json"}
    },
    ("POST", "/api/v1/stats/closures"): lambda o: {"json": {"unit": o["unit"], "year": 2024}},
    ("DELETE", "/api/v1/stats/closures/{unit}/{year}"): lambda o: {
        "json": {"reason": "Sửa số liệu đã gửi"}
    },
    ("GET", "/api/v1/stats/submissions"): lambda o: {"query_string": {"unit": o["unit"]}},
    ("GET", "/api/v1/stats/report-settings"): lambda o: {"query_string": {"unit": o["unit"]}},
    ("PUT", "/api/v1/stats/report-settings"): lambda o: {
        "json": {"unit": o["unit"], "signer_name": "Nguyễn Văn Bình"}
    },
    ("GET", "/api/v1/indicators"): lambda o: {"query_string": {"unit": o["province"]}},
    ("POST", "/api/v1/indicators"): lambda o: {
        "json": {
            "plan_unit": o["province"],
            "code": "mt_moi",
            "title": "Mới",
            "kind": "count_people",
        }
    },
    ("PATCH", "/api/v1/indicators/{indicator}"): lambda o: {"json": {"title": "Đổi tên"}},
    ("POST", "/api/v1/bridge/run"): lambda o: {"json": {}},
    ("POST", "/api/v1/bridge/unmatched/{unmatched}/resolve"): lambda o: {
        "json": {"user_id": o["person_hb"]}
    },
    ("POST", "/api/v1/bridge/unmatched/{unmatched}/dismiss"): lambda o: {
        "json": {"reason": "Không phải học viên."}
    },
    ("GET", "/api/v1/bridge/identities"): lambda o: {"query_string": {"user_id": o["person_hb"]}},
    ("POST", "/api/v1/bridge/identities"): lambda o: {
        "json": {"user_id": o["person_hb"], "kind": "account", "value": "https://mooc.mt.vn|h2"}
    },
    ("POST", "/api/v1/bridge/imports"): lambda o: _csv(
        "identity,full_name,course,completed_on,score,unit_code\n"
        f"hoa@hp.vn,Bà Hoa,{o['course']},2026-11-02,,\n"
    ),
    ("POST", "/api/v1/lrs-clients"): lambda o: {"json": {"name": "MOOC mới"}},
    ("PATCH", "/api/v1/lrs-clients/{client}"): lambda o: {"json": {"name": "Đổi tên"}},
    ("POST", "/api/v1/source-platforms"): lambda o: {
        "json": {"client_id": o["spare_client"], "name": "MOOC mới", "home_page": "https://m.vn/"}
    },
    ("PATCH", "/api/v1/source-platforms/{platform}"): lambda o: {"json": {"name": "Đổi tên"}},
    ("POST", "/api/v1/cmi5/import"): lambda o: {
        "data": {"file": (io.BytesIO(o["cmi5_zip"]), "cmi5.zip")},
        "content_type": "multipart/form-data",
    },
    ("POST", "/api/v1/cmi5/aus/{au}/waive"): lambda o: {
        "json": {"user_id": o["person_hb"], "reason": "Administrative"}
    },
}

OUTCOME_OF_STATUS = {401: "401", 403: "403", 404: "404", 409: "409", 422: "422"}


def outcome(status: int, location: str | None, *, page: bool) -> str:
    """A response as the table writes it."""
    if 200 <= status < 300:
        return "ok"
    if page and status in {301, 302, 303}:
        return "login" if location and "/login" in location else "go"
    return OUTCOME_OF_STATUS.get(status, str(status))


def fill(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_of(app, tmp_path_factory.mktemp("access")) as built:
        yield built


def _run(world: World, method: str, path: str, obj: str, expected: str, *, page: bool) -> None:
    values = world.objects[obj]
    url = fill(path, values)
    wanted = expected.split()
    assert len(wanted) == len(ACTORS), f"{method} {path}: {len(wanted)} cells"
    kwargs_of = (PAGE_BODIES if page else BODIES).get((method, path), lambda o: {})
    got = []
    for actor in ACTORS:
        response = world.request(actor, method, url, page=page, **kwargs_of(values))
        got.append(outcome(response.status_code, response.headers.get("Location"), page=page))
    wrong = [f"{a}: want {w}, got {g}" for a, w, g in zip(ACTORS, wanted, got, strict=True)
             if w != g]  # fmt: skip
    assert not wrong, f"{method} {url} ({obj}): " + "; ".join(wrong) + f"\n  got: {' '.join(got)}"


@pytest.mark.parametrize(
    ("method", "path", "obj", "expected"),
    API,
    ids=[f"{m} {p} {o}" for m, p, o, _ in API],
)
def test_api(world: World, method: str, path: str, obj: str, expected: str) -> None:
    _run(world, method, path, obj, expected, page=False)


# Pages: the same columns. A form that is accepted (or refused with a message) redirects: ``go``.
PAGES: list[tuple[str, str, str, str]] = [
    ("GET", "/", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/.well-known/lms-keys.json", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/api/docs", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/api/v1/openapi.json", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/favicon.ico", "-", "go go go go go go go go"),
    ("GET", "/healthz", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/readyz", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/profile/lms146.jsonld", "-", "ok ok ok ok ok ok ok ok"),
    ("POST", "/lang/{lang}", "-", "go go go go go go go go"),
    # accounts
    ("GET", "/login", "-", "ok go go go go go go go"),
    ("POST", "/login", "-", "go go go go go go go go"),
    ("POST", "/logout", "-", "go go go go go go go go"),
    ("GET", "/register", "-", "ok go go go go go go go"),
    ("POST", "/register", "-", "go go go go go go go go"),
    ("GET", "/users", "-", "login 403 403 ok ok ok 403 ok"),
    ("GET", "/audit", "-", "login 403 403 ok ok ok 403 ok"),
    ("POST", "/users/import", "HP", "login 403 403 go go 422 403 go"),
    ("POST", "/users/import", "QT", "login 403 403 422 422 go 403 go"),
    # getting in: public pages (a wrong code or an empty login is refused alike for all)
    ("GET", "/activate", "-", "ok ok ok ok ok ok ok ok"),
    ("POST", "/activate", "-", "422 422 422 422 422 422 422 422"),
    ("GET", "/forgot", "-", "ok ok ok ok ok ok ok ok"),
    ("POST", "/forgot", "-", "422 422 422 422 422 422 422 422"),
    ("GET", "/reset", "-", "ok ok ok ok ok ok ok ok"),
    ("POST", "/reset", "-", "422 422 422 422 422 422 422 422"),
    ("GET", "/users/access", "-", "login 403 403 ok ok ok 403 ok"),
    # confirming one's e-mail: the link's page is public (a wrong code is refused alike for
    # all); asking for a new link is for the signed-in person (theirs are confirmed: a note)
    ("GET", "/confirm-email", "-", "ok ok ok ok ok ok ok ok"),
    ("POST", "/confirm-email", "-", "422 422 422 422 422 422 422 422"),
    ("POST", "/me/email/confirmation", "-", "login go go go go go go go"),
    ("GET", "/privacy", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/consent", "-", "login ok ok ok ok ok ok ok"),
    ("POST", "/consent", "-", "login go go go go go go go"),
    # a person's own data, and the admins' decisions on deletion requests
    ("GET", "/me/data", "-", "login ok ok ok ok ok ok ok"),
    ("GET", "/me/data.zip", "-", "login ok ok ok ok ok ok ok"),
    ("POST", "/me/deletion", "-", "login go go go go go go go"),
    ("GET", "/admin/deletions", "-", "login 403 403 403 403 403 403 ok"),
    # (no request of that number: the admin reaches the 404, everyone else stops at 403)
    ("POST", "/admin/deletions/{deletion}", "-", "login 403 403 403 403 403 403 404"),
    # single sign-on: no provider is configured in the world, so none exists for anyone
    ("GET", "/sso/{provider}/login", "-", "404 404 404 404 404 404 404 404"),
    ("GET", "/sso/{provider}/callback", "-", "404 404 404 404 404 404 404 404"),
    ("GET", "/sso", "-", "login 403 403 403 403 403 403 ok"),
    # people outside one's area are skipped as if not chosen: no hint that they exist
    ("POST", "/users/access", "HP", "login 403 403 go go go 403 go"),
    ("POST", "/users/access", "QT", "login 403 403 go go go 403 go"),
    # the catalog and learning
    ("GET", "/courses", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/courses/{course}", "-", "ok ok ok ok ok ok ok ok"),
    ("GET", "/courses/{course}/assets/{asset}", "-", "ok ok ok ok ok ok ok ok"),
    ("POST", "/courses/{course}/enroll", "-", "login go go go go go go go"),
    ("GET", "/courses/{course}/lessons/{lesson}", "-", "login ok ok ok ok ok ok ok"),
    ("POST", "/courses/{course}/lessons/{lesson}/complete", "-", "login go go go go go go go"),
    ("GET", "/my-learning", "-", "login ok ok ok ok ok ok ok"),
    ("GET", "/learning/cmi5/{cmi5}", "-", "login ok ok ok ok ok ok ok"),
    ("POST", "/learning/cmi5/aus/{au}/launch", "-", "login go go go go go go go"),
    # classes
    ("GET", "/trainer/classes", "-", "login 403 ok ok ok ok ok ok"),
    ("GET", "/classes/new", "-", "login 403 ok ok ok ok ok ok"),
    ("POST", "/classes/new", "HP", "login 403 go go go 422 422 go"),
    ("POST", "/classes/new", "QT", "login 403 422 422 422 go go go"),
    ("GET", "/classes/{class}", "HP", "login 403 ok ok ok 404 404 ok"),
    ("GET", "/classes/{class}", "QT", "login 403 404 404 404 ok ok ok"),
    ("GET", "/classes/{class}/import", "HP", "login 403 ok ok ok 404 404 ok"),
    ("GET", "/classes/{class}/import", "QT", "login 403 404 404 404 ok ok ok"),
    ("GET", "/classes/{class}/roster.{fmt}", "HP", "login 403 ok ok ok 404 404 ok"),
    ("GET", "/classes/{class}/roster.{fmt}", "QT", "login 403 404 404 404 ok ok ok"),
    ("POST", "/classes/{class}/sessions", "HP", "login 403 go go go 404 404 go"),
    ("POST", "/classes/{class}/sessions", "QT", "login 403 404 404 404 go go go"),
    ("GET", "/classes/{class}/sessions/{session}/attendance", "HP",
     "login 403 ok ok ok 404 404 ok"),
    ("GET", "/classes/{class}/sessions/{session}/attendance", "QT",
     "login 403 404 404 404 ok ok ok"),
    ("POST", "/classes/{class}/sessions/{session}/attendance", "HP",
     "login 403 go go go 404 404 go"),
    ("POST", "/classes/{class}/sessions/{session}/attendance", "QT",
     "login 403 404 404 404 go go go"),
    ("POST", "/classes/{class}/sessions/{session}/delete", "HP", "login 403 go go go 404 404 go"),
    ("POST", "/classes/{class}/sessions/{session}/delete", "QT", "login 403 404 404 404 go go go"),
    ("POST", "/classes/{class}/invitations", "HP", "login 403 go go go 404 404 go"),
    ("POST", "/classes/{class}/invitations", "QT", "login 403 404 404 404 go go go"),
    ("GET", "/enrol", "-", "login 403 403 ok ok ok 403 ok"),
    ("GET", "/enrol/progress", "-", "login 403 403 ok ok ok 403 ok"),
    # certificates
    ("GET", "/certificates", "-", "login ok ok ok ok ok ok ok"),
    ("GET", "/certificates/{cert}/qr.svg", "HP", "ok ok ok ok ok ok ok ok"),
    ("GET", "/certificates/classes/{class}", "HP", "login 404 ok ok ok 404 404 ok"),
    ("GET", "/certificates/classes/{class}", "QT", "login 404 404 404 404 ok ok ok"),
    ("POST", "/certificates/classes/{class}", "HP", "login 404 go go go 404 404 go"),
    ("POST", "/certificates/classes/{class}", "QT", "login 404 404 404 404 go go go"),
    ("GET", "/verify", "-", "ok ok ok ok ok ok ok ok"),
    ("POST", "/verify", "-", "422 422 422 422 422 422 422 422"),
    ("GET", "/verify/{cert}", "HP", "ok ok ok ok ok ok ok ok"),
    ("GET", "/issuers/{unit}", "HP", "ok ok ok ok ok ok ok ok"),
    ("GET", "/issuers/{unit}/jwks.json", "HP", "ok ok ok ok ok ok ok ok"),
    ("GET", "/credentials/status/{status_list}", "HP", "ok ok ok ok ok ok ok ok"),
    ("GET", "/certificates/templates", "-", "login 403 403 ok ok ok 403 ok"),
    ("POST", "/certificates/templates", "HP", "login 403 403 go 403 403 403 go"),
    ("POST", "/certificates/templates", "QT", "login 403 403 403 403 go 403 go"),
    ("GET", "/certificates/templates/preview.png", "HP", "login 403 403 ok 403 403 403 ok"),
    # assessment
    ("GET", "/question-banks", "-", "login 403 ok 403 403 403 ok ok"),
    ("POST", "/question-banks", "-", "login 403 go 403 403 403 go go"),
    ("GET", "/question-banks/{bank}", "HP", "login 403 ok 403 403 403 404 ok"),
    ("GET", "/question-banks/{bank}", "QT", "login 403 404 403 403 403 ok ok"),
    ("GET", "/question-banks/{bank}", "N", "login 403 ok 403 403 403 ok ok"),
    ("POST", "/question-banks/{bank}", "HP", "login 403 go 403 403 403 404 go"),
    ("POST", "/question-banks/{bank}", "QT", "login 403 404 403 403 403 go go"),
    ("POST", "/question-banks/{bank}", "N", "login 403 403 403 403 403 403 go"),
    ("GET", "/quizzes/{quiz}", "HP", "login ok ok ok ok ok ok ok"),
    ("POST", "/quizzes/{quiz}", "HP", "login 403 go 403 403 403 403 go"),
    ("POST", "/quizzes/{quiz}", "QT", "login 403 403 403 403 403 go go"),
    ("POST", "/quizzes/{quiz}", "N", "login 403 403 403 403 403 403 go"),
    ("GET", "/quizzes/{quiz}/analysis", "HP", "login 403 ok 403 403 403 403 ok"),
    ("GET", "/quizzes/{quiz}/analysis", "QT", "login 403 403 403 403 403 ok ok"),
    ("GET", "/quizzes/{quiz}/analysis", "N", "login 403 ok 403 403 403 ok ok"),
    ("POST", "/quizzes/{quiz}/start", "N", "login go go go go go go go"),
    ("GET", "/courses/{course}/quiz", "-", "login go go go go go go go"),
    ("GET", "/attempts/{attempt}", "HP", "login ok ok 404 404 404 404 ok"),
    ("GET", "/attempts/{attempt}", "QT", "login 404 404 404 404 404 ok ok"),
    # the organisation and figures
    ("GET", "/units", "-", "login 403 403 go go go 403 ok"),  # officials: to their own unit
    ("GET", "/units/{unit}", "HP", "login 403 403 ok ok 404 403 ok"),
    ("GET", "/units/{unit}", "QT", "login 403 403 404 404 ok 403 ok"),
    ("GET", "/dashboard", "HP", "login 403 403 ok ok 403 403 ok"),
    ("GET", "/dashboard", "QT", "login 403 403 403 403 ok 403 ok"),
    ("GET", "/reports", "HP", "login 403 403 ok ok 403 403 ok"),
    ("GET", "/reports", "QT", "login 403 403 403 403 ok 403 ok"),
    ("POST", "/reports/submit", "HP", "login 403 403 go go 403 403 go"),
    ("POST", "/reports/submit", "QT", "login 403 403 403 403 go 403 go"),
    # The ward's report goes back from the city (the unit it was sent to), never from the ward.
    ("POST", "/reports/reopen", "HP", "login 403 403 go 403 403 403 go"),
    ("POST", "/reports/reopen", "QT", "login 403 403 403 403 go 403 go"),
    ("GET", "/reports/settings", "HP", "login 403 403 ok ok 403 403 ok"),
    ("GET", "/reports/settings", "QT", "login 403 403 403 403 ok 403 ok"),
    ("POST", "/reports/settings", "HP", "login 403 403 go go 403 403 go"),
    ("POST", "/reports/settings", "QT", "login 403 403 403 403 go 403 go"),
    # the learning bridge (admins)
    ("GET", "/learning/bridge", "-", "login 403 403 403 403 403 403 ok"),
    ("GET", "/learning/imports", "-", "login 403 403 403 403 403 403 ok"),
    ("POST", "/learning/imports", "-", "login 403 403 403 403 403 403 go"),
    ("GET", "/learning/imports/{import}", "-", "login 403 403 403 403 403 403 ok"),
    ("POST", "/learning/imports/{import}/{decision}", "-", "login 403 403 403 403 403 403 go"),
    ("GET", "/learning/clients", "-", "login 403 403 403 403 403 403 ok"),
    ("POST", "/learning/clients", "-", "login 403 403 403 403 403 403 ok"),  # the secret, once
    ("POST", "/learning/clients/{client}", "-", "login 403 403 403 403 403 403 go"),
    ("POST", "/learning/clients/{spare_client}/revoke", "-", "login 403 403 403 403 403 403 go"),
    ("POST", "/learning/platforms", "-", "login 403 403 403 403 403 403 go"),
    ("POST", "/learning/platforms/{platform}", "-", "login 403 403 403 403 403 403 go"),
]  # fmt: skip

PAGE_BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/certificates/templates"): lambda o: {
        "data": {"unit": o["province"], "signer_name": "Ma Trận", "signer_title": "Giám đốc"}
    },
    ("GET", "/certificates/templates/preview.png"): lambda o: {
        "query_string": {"unit": o["province"], "signer_name": "Ma Trận"}
    },
    ("POST", "/login"): lambda o: {"data": {"login": "learner@hp.vn", "password": PASSWORD}},
    ("POST", "/register"): lambda o: {
        "data": {
            "login": "0912000111",
            "full_name": "Người Mới",
            "password": PASSWORD,
            "password2": PASSWORD,
            "consent": "1",
        }
    },
    ("POST", "/activate"): lambda o: {
        "data": {"code": "AAAAA-AAAAA", "password": PASSWORD, "password2": PASSWORD}
    },
    ("POST", "/forgot"): lambda o: {"data": {"login": ""}},
    # (from an address of its own: /activate and /reset spend the per-address tries of codes)
    ("POST", "/confirm-email"): lambda o: {
        "data": {"code": "x" * 43},
        "environ_base": {"REMOTE_ADDR": "192.0.2.146"},
    },
    ("POST", "/consent"): lambda o: {"data": {"consent": "1"}},
    ("POST", "/admin/deletions/{deletion}"): lambda o: {"data": {"decision": "refuse"}},
    ("POST", "/reset"): lambda o: {
        "data": {
            "login": "learner@hp.vn",
            "code": "000000",
            "password": PASSWORD,
            "password2": PASSWORD,
        }
    },
    ("POST", "/users/access"): lambda o: {"data": {"channel": "sheet", "user": [o["user"]]}},
    ("POST", "/classes/{class}/invitations"): lambda o: {"data": {"channel": "sheet"}},
    ("POST", "/users/import"): lambda o: _csv(
        f"email,full_name,unit_code\nmoi@example.vn,Người Mới,{o['unit']}\n"
    ),
    ("POST", "/classes/new"): lambda o: {
        "data": {"code": "MT-MOI", "course": o["course"], "unit": o["unit"], "title": "Lớp mới"}
    },
    ("POST", "/classes/{class}/sessions"): lambda o: {"data": {"date": "2026-12-20"}},
    ("POST", "/classes/{class}/sessions/{session}/attendance"): lambda o: {
        "data": {"present": [str(o["enrolled"])]}
    },
    ("POST", "/question-banks"): lambda o: {"data": {"code": "mt-moi", "title": "Ngân hàng mới"}},
    ("POST", "/question-banks/{bank}"): lambda o: {
        "data": {
            "action": "save",
            "yaml": "id: q3\ntype: true_false\nskill_area: safety\n"
            "text: Đúng không?\nanswer: true\n",
        }
    },
    ("POST", "/quizzes/{quiz}"): lambda o: {"data": {"opens_at": "", "closes_at": ""}},
    ("GET", "/dashboard"): lambda o: {"query_string": {"unit": o["unit"]}},
    ("GET", "/reports"): lambda o: {"query_string": {"unit": o["unit"]}},
    ("POST", "/reports/submit"): lambda o: {
        "data": {"unit": o["unit"], "year": "2024", "confirm": "yes"}
    },
    ("POST", "/reports/reopen"): lambda o: {
        "data": {"unit": o["unit"], "year": str(o["year"]), "reason": "Sửa số liệu đã gửi"}
    },
    ("GET", "/reports/settings"): lambda o: {"query_string": {"unit": o["unit"]}},
    ("POST", "/reports/settings"): lambda o: {
        "data": {"unit": o["unit"], "signer_name": "Nguyễn Văn Bình", "recipients": "Lưu: VT."}
    },
    ("POST", "/learning/clients"): lambda o: {"data": {"name": "MOOC trang", "scopes": ["all"]}},
    ("POST", "/learning/clients/{client}"): lambda o: {
        "data": {"name": "MOOC ma trận", "scopes": ["statements/write"]}
    },
    ("POST", "/learning/platforms"): lambda o: {
        "data": {"client_id": o["spare_client"], "name": "MOOC", "home_page": "https://m.vn/"}
    },
    ("POST", "/learning/platforms/{platform}"): lambda o: {
        "data": {"name": "MOOC ma trận", "home_page": "https://mooc.mt.vn", "active": "1"}
    },
    ("POST", "/learning/imports"): lambda o: _csv(
        "identity,full_name,course,completed_on,score,unit_code\n"
        f"hoa@hp.vn,Bà Hoa,{o['course']},2026-11-02,,\n"
    ),
}


@pytest.mark.parametrize(
    ("method", "path", "obj", "expected"),
    PAGES,
    ids=[f"{m} {p} {o}" for m, p, o, _ in PAGES],
)
def test_page(world: World, method: str, path: str, obj: str, expected: str) -> None:
    _run(world, method, path, obj, expected, page=True)


# --- every operation and page has a row ---------------------------------------------------------

#: The LRS and the cmi5 runtime (launched content and its one-time fetch URL) have their own
#: matrix with the LRS tests (each scope and cmi5 session credentials); static files are public.
ELSEWHERE = ("/xapi", "/cmi5/", "/static/")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _shape(path: str) -> str:
    """A path with every parameter as ``{}``: ``/classes/<code>``, ``/classes/{code}`` and the
    table's ``/classes/{class}`` are the same route."""
    path = re.sub(r"<[^>]+>", "{}", path)
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_operation_and_page_has_a_row(app: Flask) -> None:
    """A new operation or page without a row fails here: decide who may use it, and write it
    down above."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = {
        (method.upper(), _shape(path))
        for path, item in spec["paths"].items()
        for method in item
        if method.upper() in METHODS
    }
    pages = {
        (method, _shape(rule.rule))
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) & METHODS
        if not rule.rule.startswith(ELSEWHERE)
    } - operations
    api_rows = {(m, _shape(p)) for m, p, _o, _e in API}
    page_rows = {(m, _shape(p)) for m, p, _o, _e in PAGES}
    assert sorted(operations - api_rows) == [], "operations without a row"
    assert sorted(api_rows - operations) == [], "rows of operations that do not exist"
    assert sorted(pages - page_rows) == [], "pages without a row"
    assert sorted(page_rows - pages) == [], "rows of pages that do not exist"


# --- lists show nothing of the other province ---------------------------------------------------

#: Lists and list pages, and which object of the other province must not appear in them.
LISTS = [
    ("/api/v1/classes", "class"),
    ("/api/v1/users?per_page=100", "user_email"),
    ("/api/v1/certificates?per_page=100", "cert"),
    ("/api/v1/question-banks?per_page=100", "bank_code"),
    ("/api/v1/quizzes?per_page=100", "quiz_slug"),
    ("/api/v1/units?per_page=100", "unit"),
    ("/api/v1/headcounts?per_page=100", "unit"),
    ("/trainer/classes", "class"),
    ("/users", "user_email"),
    ("/question-banks", "bank_code"),
    ("/enrol/progress", "user_name"),
]
SIDES = {"HP": ("learner", "trainer", "off_hp", "off_hb"), "QT": ("off_qt", "trainer_qt")}


@pytest.mark.parametrize(("path", "marker"), LISTS, ids=[p for p, _ in LISTS])
def test_lists_show_nothing_of_the_other_province(world: World, path: str, marker: str) -> None:
    for side, other in (("HP", "QT"), ("QT", "HP")):
        hidden = str(world.objects[other][marker])
        for actor in SIDES[side]:
            page = not path.startswith("/api/")
            response = world.request(actor, "GET", path, page=page)
            if response.status_code == 200:
                assert hidden not in response.get_data(as_text=True), (actor, path, hidden)
    # The markers are there to be hidden: an admin sees both provinces' objects.
    admin = world.request("admin", "GET", path, page=not path.startswith("/api/"))
    assert admin.status_code == 200
    for key in ("HP", "QT"):
        assert str(world.objects[key][marker]) in admin.get_data(as_text=True), (path, key)


def test_attempt_lists_show_only_learners_one_reaches(world: World) -> None:
    """Every learner's attempt at the national quiz is listed for admins; a trainer sees the
    learners of their province only, an official none but their own."""
    path = f"/api/v1/quizzes/{world.objects['N']['quiz']}/attempts?per_page=100"
    people = {key: world.objects[key]["enrolled"] for key in ("HP", "QT")}

    def learners(actor: str) -> set[int]:
        response = world.request(actor, "GET", path, page=False)
        assert response.status_code == 200
        return {item["user_id"] for item in response.get_json()["items"]}

    assert {people["HP"], people["QT"]} <= learners("admin")
    assert people["HP"] in learners("trainer")
    assert people["QT"] not in learners("trainer")
    assert people["QT"] in learners("trainer_qt")
    assert people["HP"] not in learners("trainer_qt")
    assert learners("off_hp") == set()


# --- roles taken away ---------------------------------------------------------------------------


def test_a_former_trainer_reads_nothing_of_the_classes_they_taught(world: World) -> None:
    """A trainer made a plain learner stays on the trainer list of their classes (the class's
    history), but the list gives nothing without the role: not the class, its roster, nor the
    certificates of its members (their PDF prints the date of birth)."""
    hp = world.objects["HP"]
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    trainer = {"Authorization": f"Bearer {world.tokens['trainer']}"}
    with world.cell():
        api = world.client("admin", page=False)
        me = api.get("/api/v1/me", headers=trainer).get_json()
        demoted = api.patch(f"/api/v1/users/{me['id']}", json={"roles": ["learner"]}, headers=admin)
        assert demoted.status_code == 200, demoted.get_json()
        for url in (
            f"/api/v1/classes/{hp['class']}",
            f"/api/v1/classes/{hp['class']}/roster",
            f"/api/v1/certificates/{hp['cert']}",
            f"/api/v1/certificates/{hp['cert']}.pdf",
            f"/api/v1/certificates/{hp['cert']}/credential",
        ):
            response = api.get(url, headers=trainer)
            assert response.status_code in {403, 404}, (url, response.status_code)
        listed = api.get("/api/v1/certificates?per_page=100", headers=trainer).get_json()
        assert hp["cert"] not in {item["serial"] for item in listed["items"]}
        page = world.client("trainer", page=True)
        assert page.get(f"/certificates/classes/{hp['class']}").status_code in {403, 404}
