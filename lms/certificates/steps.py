"""The certificate's part in a learner's next step (see :mod:`lms.classes.next_steps`).

Passing a course used to say nothing about the certificate it earned: once there is one, it
is the main action on the course page, on "My learning" and on the quiz result.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms.certificates.models import Certificate, CertificateStatus
from lms.classes.models import Enrollment
from lms.classes.next_steps import RANK_CERTIFICATE, Step
from lms.extensions import db


def certificate_steps(enrollment: Enrollment) -> list[Step]:
    cert = db.session.scalar(
        select(Certificate)
        .where(
            Certificate.user_id == enrollment.user_id,
            Certificate.course_id == enrollment.course_id,
            Certificate.status == CertificateStatus.valid,
        )
        .order_by(Certificate.issued_at.desc())
        .limit(1)
    )
    if cert is None:
        return []
    url = url_for("certificates_views.mine", _anchor=f"cert-{cert.serial}")
    label = _("See your certificate %(serial)s", serial=cert.serial)
    return [Step(RANK_CERTIFICATE, "certificate", label, url)]
