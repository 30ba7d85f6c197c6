"""IRIs, contexts and fixed values of the certificates domain."""

from __future__ import annotations

from datetime import timedelta, timezone

#: Vietnam has no daylight saving; a fixed offset needs no time-zone database.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

#: xAPI verbs. "earned" is the Tin Can registry's verb for earning a badge or certificate;
#: there is no registered verb for a revocation, so the LMS publishes its own.
VERB_EARNED = "http://id.tincanapi.com/verb/earned"
VERB_REVOKED = "https://lms146.vn/xapi/verbs/revoked-certificate"
VERB_DISPLAY = {
    VERB_EARNED: {"vi-VN": "đã được cấp chứng nhận", "en-US": "earned"},
    VERB_REVOKED: {"vi-VN": "bị thu hồi chứng nhận", "en-US": "had certificate revoked"},
}
#: Activity type of a certificate (its id is its public verification URL).
ACTIVITY_TYPE_CERTIFICATE = "https://lms146.vn/xapi/activities/certificate"
ACTIVITY_TYPE_COURSE = "http://adlnet.gov/expapi/activities/course"
EXT_SERIAL = "https://lms146.vn/xapi/extensions/certificate-serial"
EXT_UNIT = "https://lms146.vn/xapi/extensions/unit"
EXT_REASON = "https://lms146.vn/xapi/extensions/reason"

#: Open Badges 3.0 over the Verifiable Credentials Data Model 2.0.
OB_CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)

#: Version of the signed content layout (``v`` in the signed JSON). 1: home-made canonical
#: JSON with the holder's name and user id; 2: RFC 8785 with a salted hash of the name.
#: Each certificate keeps the version it was signed with and verifies by that rule.
CONTENT_VERSION = 2
#: Decimal places of the signed score (0..1); the API shows the same rounded value.
SCORE_PLACES = 4

DEFAULT_SERIAL_PREFIX = "VN"
