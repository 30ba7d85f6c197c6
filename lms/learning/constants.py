"""The bridge's own IRIs: extensions, the profile, course IRIs, cmi5 (verbs and activity types
are the LMS's vocabulary, :mod:`lms.statements`).

Published to platform vendors as the xAPI profile at ``/profile/lms146.jsonld``
(``lms.learning.profile``); changing an IRI here breaks every platform that sends it.
"""

from __future__ import annotations

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
