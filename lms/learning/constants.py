"""The vocabulary the bridge reads and writes: verbs, activity types, extensions, cmi5 IRIs.

Published to platform vendors as the xAPI profile at ``/profile/lms146.jsonld``
(``lms.learning.profile``); changing an IRI here breaks every platform that sends it.
"""

from __future__ import annotations

ADL = "http://adlnet.gov/expapi/verbs/"
ADL_W3ID = "https://w3id.org/xapi/adl/verbs/"

VERB_REGISTERED = f"{ADL}registered"
VERB_LAUNCHED = f"{ADL}launched"
VERB_INITIALIZED = f"{ADL}initialized"
VERB_EXPERIENCED = f"{ADL}experienced"
VERB_ATTEMPTED = f"{ADL}attempted"
VERB_ANSWERED = f"{ADL}answered"
VERB_COMPLETED = f"{ADL}completed"
VERB_PASSED = f"{ADL}passed"
VERB_FAILED = f"{ADL}failed"
VERB_TERMINATED = f"{ADL}terminated"
VERB_VOIDED = f"{ADL}voided"
VERB_SATISFIED = f"{ADL_W3ID}satisfied"
VERB_ABANDONED = f"{ADL_W3ID}abandoned"
VERB_WAIVED = f"{ADL_W3ID}waived"

ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"
ACTIVITY_LESSON = "http://adlnet.gov/expapi/activities/lesson"
ACTIVITY_ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
ACTIVITY_QUESTION = "http://adlnet.gov/expapi/activities/cmi.interaction"

#: The unit (a ``units.code`` such as ``HP-LECHAN``) a provisioned learner belongs to.
EXT_UNIT_CODE = "https://lms146.vn/xapi/extensions/unit-code"

PROFILE_ID = "https://lms146.vn/xapi/profile"
PROFILE_VERSION = "https://lms146.vn/xapi/profile/v1.0"
#: Where the LMS's own course IRIs live (``courses/*/course.yaml`` use the same base).
COURSE_IRI_BASE = "https://lms146.vn/xapi/activities/course/"

# --- cmi5 (cmi5 spec sections 9.3-9.6) ---------------------------------------------------
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CMI5_MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
CMI5_TYPE_BLOCK = "https://w3id.org/xapi/cmi5/activitytype/block"
CMI5_TYPE_COURSE = "https://w3id.org/xapi/cmi5/activitytype/course"
CMI5_EXT_SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
CMI5_EXT_MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
CMI5_EXT_LAUNCHMODE = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
CMI5_EXT_LAUNCHURL = "https://w3id.org/xapi/cmi5/context/extensions/launchurl"
CMI5_EXT_MOVEON = "https://w3id.org/xapi/cmi5/context/extensions/moveon"
CMI5_EXT_LAUNCHPARAMS = "https://w3id.org/xapi/cmi5/context/extensions/launchparameters"
CMI5_EXT_REASON = "https://w3id.org/xapi/cmi5/result/extensions/reason"
CMI5_LAUNCH_DATA = "LMS.LaunchData"

VERB_NAMES: dict[str, tuple[str, str]] = {
    VERB_REGISTERED: ("registered", "đã đăng ký"),
    VERB_LAUNCHED: ("launched", "đã mở"),
    VERB_INITIALIZED: ("initialized", "đã bắt đầu"),
    VERB_EXPERIENCED: ("experienced", "đã xem"),
    VERB_ATTEMPTED: ("attempted", "đã làm"),
    VERB_ANSWERED: ("answered", "đã trả lời"),
    VERB_COMPLETED: ("completed", "đã hoàn thành"),
    VERB_PASSED: ("passed", "đã đạt"),
    VERB_FAILED: ("failed", "chưa đạt"),
    VERB_TERMINATED: ("terminated", "đã kết thúc"),
    VERB_SATISFIED: ("satisfied", "đã đáp ứng"),
    VERB_ABANDONED: ("abandoned", "đã bỏ dở"),
    VERB_WAIVED: ("waived", "được miễn"),
    VERB_VOIDED: ("voided", "đã huỷ"),
}


def verb(iri: str) -> dict[str, object]:
    """A verb object with English and Vietnamese display names."""
    en, vi = VERB_NAMES.get(iri, (iri.rsplit("/", 1)[-1], iri.rsplit("/", 1)[-1]))
    return {"id": iri, "display": {"en-US": en, "vi-VN": vi}}
