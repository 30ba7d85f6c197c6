"""Domain events: the facts one domain announces and the domains above it react to.

Every signal is defined here, and this module imports no domain, so the domain where a fact
happens sends it without knowing who listens (``classes`` does not import ``certificates``).
Receivers are called synchronously, inside the sender's transaction (blinker), so a failing
receiver rolls the whole unit of work back; ``statements_stored`` is the exception, sent after
the LRS's commit.

Who listens to what is not decided here nor by importing a module: ``lms.RECEIVERS`` lists
every receiver, and ``create_app`` connects them, the way it registers blueprints.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: None; kwargs: count (int). Sent by the LRS after a commit that stored statements,
#: so the bridge can process them (in-process when jobs are eager, else as a Celery task).
statements_stored = _signals.signal("statements-stored")
#: sender: Course, just written by a package import; kwargs: created, lessons_changed (bool).
course_imported = _signals.signal("course-imported")
#: sender: Enrollment, just moved to status ``completed``.
enrollment_completed = _signals.signal("enrollment-completed")
#: sender: None; kwargs: enrollments (list of Enrollment), just completed together (the
#: bridge's batch); the bulk twin of ``enrollment_completed``, for receivers that can do their
#: work for many at once.
enrollments_completed = _signals.signal("enrollments-completed")
#: sender: Enrollment, moved back out of ``completed`` (e.g. its xAPI completion was voided).
enrollment_reopened = _signals.signal("enrollment-reopened")
#: sender: Certificate, issued.
certificate_issued = _signals.signal("certificate-issued")
#: sender: None; kwargs: certificates (list of Certificate), issued together (the bulk twin
#: of ``certificate_issued``).
certificates_issued = _signals.signal("certificates-issued")
#: sender: Certificate, revoked.
certificate_revoked = _signals.signal("certificate-revoked")
#: sender: the User who imported them (or None); kwargs: users (list of User), class_code
#: (str or None). Sent by the people import (``/users``) after writing them, in its transaction.
people_imported = _signals.signal("people-imported")
#: sender: Unit, moved in the tree (a move or a merger); kwargs: on (date).
unit_moved = _signals.signal("unit-moved")
#: sender: User whose browser sessions and API tokens were all just ended (a new password, a
#: deactivation, a deletion); kwargs: reason (``lms.auth.models.SessionEnd``). Sent by
#: ``lms.auth.services.end_sessions``, in its transaction.
sessions_ended = _signals.signal("sessions-ended")
#: sender: User whose e-mail changed or was verified (or lost its verification); kwargs: none.
#: Sent by ``lms.auth.services`` and ``lms.auth.access`` in their transaction, so the learning
#: identities derived from the address (its ``mbox_sha1sum``) follow it.
email_identity_changed = _signals.signal("email-identity-changed")
