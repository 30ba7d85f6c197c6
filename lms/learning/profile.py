"""The LMS's xAPI Profile (JSON-LD, xAPI Profiles 1.0): what platforms should send.

Served publicly at ``/profile/lms146.jsonld``. It lists the verbs the bridge understands
(and the ones the LMS writes), the activity types, the unit-code extension with which a
platform says where a new learner belongs, and statement templates for the MOOC results the
bridge turns into completions.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from lms import statements as vocabulary
from lms.certificates import constants as cert
from lms.learning import constants as c

GENERATED_AT = "2025-06-01T00:00:00Z"

_VERBS: list[tuple[str, str, str, str]] = [
    # (IRI, vi label, en label, en definition)
    (
        vocabulary.VERB_REGISTERED,
        "đã đăng ký",
        "registered",
        "The learner enrolled in the course (the LMS writes this when an enrollment starts).",
    ),
    (
        vocabulary.VERB_LAUNCHED,
        "đã mở",
        "launched",
        "The LMS launched content for the learner (cmi5 AUs).",
    ),
    (
        vocabulary.VERB_INITIALIZED,
        "đã bắt đầu",
        "initialized",
        "A cmi5 AU is ready for the learner.",
    ),
    (
        vocabulary.VERB_EXPERIENCED,
        "đã xem",
        "experienced",
        "The learner opened a lesson. Stored, not counted toward completion.",
    ),
    (
        vocabulary.VERB_ATTEMPTED,
        "đã làm",
        "attempted",
        "The learner started a quiz or exam; with result.score it records a quiz result.",
    ),
    (vocabulary.VERB_ANSWERED, "đã trả lời", "answered", "The learner answered a question."),
    (
        vocabulary.VERB_COMPLETED,
        "đã hoàn thành",
        "completed",
        "The learner completed the course on the platform. On a course's activity IRI (or one "
        "of its external IRIs) this meets the course's lessons rule.",
    ),
    (
        vocabulary.VERB_PASSED,
        "đã đạt",
        "passed",
        "The learner passed the course's assessment; result.score.scaled (0..1) is recorded as "
        "the quiz result (without a score, the course's pass mark is recorded).",
    ),
    (
        vocabulary.VERB_FAILED,
        "chưa đạt",
        "failed",
        "The learner failed the assessment; result.score is recorded (the best result counts).",
    ),
    (vocabulary.VERB_TERMINATED, "đã kết thúc", "terminated", "A cmi5 AU session ended normally."),
    (
        vocabulary.VERB_SATISFIED,
        "đã đáp ứng",
        "satisfied",
        "Written by the LMS when a cmi5 block or course has met its moveOn criteria.",
    ),
    (
        vocabulary.VERB_ABANDONED,
        "đã bỏ dở",
        "abandoned",
        "Written by the LMS when a cmi5 session ended without terminated.",
    ),
    (
        vocabulary.VERB_WAIVED,
        "được miễn",
        "waived",
        "Written by the LMS when an administrator waived a cmi5 AU for a learner.",
    ),
]

_ACTIVITY_TYPES: list[tuple[str, str, str, str]] = [
    (
        vocabulary.ACTIVITY_COURSE,
        "khoá học",
        "course",
        "A course of the LMS catalog; its id is the course's activity_iri or an external IRI.",
    ),
    (vocabulary.ACTIVITY_LESSON, "bài học", "lesson", "A lesson of a course."),
    (vocabulary.ACTIVITY_ASSESSMENT, "bài kiểm tra", "assessment", "A course quiz or exam."),
    (vocabulary.ACTIVITY_QUESTION, "câu hỏi", "question", "One question of a quiz or exam."),
    (c.CMI5_TYPE_BLOCK, "khối cmi5", "cmi5 block", "A block of a cmi5 course."),
    (c.CMI5_TYPE_COURSE, "khoá học cmi5", "cmi5 course", "A cmi5 course."),
]


def _lang(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def _certificate_concepts() -> list[dict[str, Any]]:
    """The certificates domain's verbs, activity type and extensions."""
    concepts: list[dict[str, Any]] = []
    for iri, en_def in (
        (cert.VERB_EARNED, "The learner was issued a certificate."),
        (cert.VERB_REVOKED, "The learner's certificate was revoked."),
    ):
        names = cert.VERB_DISPLAY[iri]
        concepts.append(
            {
                "id": iri,
                "type": "Verb",
                "inScheme": c.PROFILE_VERSION,
                "prefLabel": _lang(names["vi-VN"], names["en-US"]),
                "definition": _lang(en_def, en_def),
            }
        )
    concepts.append(
        {
            "id": cert.ACTIVITY_TYPE_CERTIFICATE,
            "type": "ActivityType",
            "inScheme": c.PROFILE_VERSION,
            "prefLabel": _lang("giấy chứng nhận", "certificate"),
            "definition": _lang(
                "Giấy chứng nhận; id là địa chỉ xác minh công khai.",
                "A certificate; its id is its public verification URL.",
            ),
        }
    )
    for iri, en in (
        (cert.EXT_SERIAL, "The certificate's serial number."),
        (cert.EXT_UNIT, "The unit code of the certificate holder."),
        (cert.EXT_REASON, "Why a certificate was revoked."),
    ):
        concepts.append(
            {
                "id": iri,
                "type": "ContextExtension",
                "inScheme": c.PROFILE_VERSION,
                "prefLabel": _lang(en, en),
                "definition": _lang(en, en),
                "inlineSchema": '{"type": "string"}',
            }
        )
    return concepts


def _template(
    key: str, verb_iri: str, vi: str, en: str, rules: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": f"{c.PROFILE_ID}#{key}",
        "type": "StatementTemplate",
        "inScheme": c.PROFILE_VERSION,
        "prefLabel": _lang(vi, en),
        "definition": _lang(vi, en),
        "verb": verb_iri,
        "objectActivityType": vocabulary.ACTIVITY_COURSE,
        "rules": rules,
    }


def profile_document() -> dict[str, Any]:
    base = str(current_app.config.get("BASE_URL", "")).rstrip("/")
    concepts: list[dict[str, Any]] = [
        {
            "id": iri,
            "type": "Verb",
            "inScheme": c.PROFILE_VERSION,
            "prefLabel": _lang(vi, en),
            "definition": _lang(definition, definition),
        }
        for iri, vi, en, definition in _VERBS
    ]
    concepts += [
        {
            "id": iri,
            "type": "ActivityType",
            "inScheme": c.PROFILE_VERSION,
            "prefLabel": _lang(vi, en),
            "definition": _lang(definition, definition),
        }
        for iri, vi, en, definition in _ACTIVITY_TYPES
    ]
    concepts.append(
        {
            "id": c.EXT_UNIT_CODE,
            "type": "ContextExtension",
            "inScheme": c.PROFILE_VERSION,
            "prefLabel": _lang("Mã đơn vị", "Unit code"),
            "definition": _lang(
                "Mã đơn vị hành chính của người học (ví dụ HP-LECHAN), dùng khi tạo mới người "
                "học từ nền tảng MOOC.",
                "The code of the learner's administrative unit (e.g. HP-LECHAN), used when a "
                "learner unknown to the LMS is created from a MOOC platform's statement.",
            ),
            "recommendedVerbs": [
                vocabulary.VERB_COMPLETED,
                vocabulary.VERB_PASSED,
                vocabulary.VERB_FAILED,
            ],
            "inlineSchema": '{"type": "string", "pattern": "^[A-Z0-9-]{1,50}$"}',
        }
    )
    concepts += _certificate_concepts()
    actor_rule = {
        "location": "$.actor",
        "presence": "included",
        "scopeNote": {
            "en": "An Agent with mbox, mbox_sha1sum or account {homePage, name}; the homePage "
            "of a platform's accounts is the one registered for it."
        },
    }
    unit_rule = {
        "location": f"$.context.extensions['{c.EXT_UNIT_CODE}']",
        "presence": "recommended",
    }
    templates = [
        _template(
            "completed",
            vocabulary.VERB_COMPLETED,
            "Hoàn thành khoá học trên nền tảng MOOC",
            "Course completed on a MOOC platform",
            [
                actor_rule,
                {"location": "$.result.completion", "presence": "recommended", "all": [True]},
                unit_rule,
            ],
        ),
        _template(
            "passed",
            vocabulary.VERB_PASSED,
            "Đạt bài kiểm tra của khoá học",
            "Course assessment passed",
            [
                actor_rule,
                {"location": "$.result.score.scaled", "presence": "recommended"},
                {"location": "$.result.success", "presence": "recommended", "all": [True]},
                unit_rule,
            ],
        ),
        _template(
            "failed",
            vocabulary.VERB_FAILED,
            "Chưa đạt bài kiểm tra của khoá học",
            "Course assessment failed",
            [
                actor_rule,
                {"location": "$.result.score.scaled", "presence": "recommended"},
                unit_rule,
            ],
        ),
    ]
    return {
        "@context": "https://w3id.org/xapi/profiles/context",
        "id": c.PROFILE_ID,
        "type": "Profile",
        "conformsTo": "https://w3id.org/xapi/profiles#1.0",
        "prefLabel": _lang(
            "Hồ sơ xAPI của LMS 146 (Đề án 146)", "LMS 146 xAPI Profile (Project 146)"
        ),
        "definition": _lang(
            "Động từ, loại hoạt động và phần mở rộng mà LMS 146 hiểu khi các nền tảng MOOC gửi "
            "kết quả học tập qua xAPI, và những gì LMS tự ghi.",
            "The verbs, activity types and extensions LMS 146 understands when MOOC platforms "
            "report learning through xAPI, and the ones it writes itself.",
        ),
        "seeAlso": f"{base}/profile/lms146.jsonld",
        "versions": [{"id": c.PROFILE_VERSION, "generatedAtTime": GENERATED_AT}],
        "author": {"type": "Organization", "name": "LMS 146", "url": base or c.PROFILE_ID},
        "concepts": concepts,
        "templates": templates,
    }
