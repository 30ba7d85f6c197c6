"""Certificates: issued by rule or by hand, printed in Vietnamese, signed, verifiable by anyone.

Importing the package connects its receivers (the app imports ``lms.certificates.models`` at
start-up, so they are active whenever the app runs): a completed enrollment of a course that
gives certificates gets one; an enrollment moved back out of ``completed`` (its completion
was voided) has its certificate revoked.
"""

from __future__ import annotations

from typing import Any

from lms.learning.events import enrollment_completed, enrollment_reopened


def _on_enrollment_completed(enrollment: Any, **_kwargs: Any) -> None:
    from lms.certificates.services import issue_certificate

    if enrollment.course.gives_certificate:
        # Dated on the completion: a late-reported (MOOC, imported) completion counts in its year.
        issue_certificate(enrollment, at=enrollment.completed_at)


def _on_enrollment_reopened(enrollment: Any, **_kwargs: Any) -> None:
    from lms.certificates.services import revoke_for_reopened

    revoke_for_reopened(enrollment)


enrollment_completed.connect(_on_enrollment_completed)
enrollment_reopened.connect(_on_enrollment_reopened)
