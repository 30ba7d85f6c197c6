"""Domain events: how one domain reacts to another without importing it.

``classes`` sends ``enrollment_completed``; ``certificates`` listens and issues. Receivers are
called synchronously inside the sender's transaction (blinker signals), so a failure rolls
the whole unit of work back. Every signal is sent with the model as ``sender``.
"""

from __future__ import annotations

from blinker import Namespace

from lms.xapi.signals import statements_stored as _lrs_statements_stored

_signals = Namespace()

#: sender: Enrollment, just moved to status ``completed``.
enrollment_completed = _signals.signal("enrollment-completed")
#: sender: Enrollment, moved back out of ``completed`` (e.g. its xAPI completion was voided).
enrollment_reopened = _signals.signal("enrollment-reopened")
#: sender: Enrollment, progress changed (lesson done, attendance, attempt graded).
enrollment_progressed = _signals.signal("enrollment-progressed")
#: sender: Attempt, graded (kwargs: passed: bool).
attempt_graded = _signals.signal("attempt-graded")
#: sender: Certificate, issued.
certificate_issued = _signals.signal("certificate-issued")
#: sender: Certificate, revoked.
certificate_revoked = _signals.signal("certificate-revoked")
#: sender: Unit, moved in the tree (a move or a merger); kwargs: on (date).
unit_moved = _signals.signal("unit-moved")
#: sender: None; kwargs: count (int). Sent by the LRS after a commit that stored statements,
#: so the bridge can process them (in-process when jobs are eager, else as a Celery task).
statements_stored = _lrs_statements_stored
