from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.auth.models import Role, User
from lms.catalog.models import Course
from lms.classes.models import Class, Enrollment, EnrollmentStatus
from lms.org.models import Unit, UnitKind
from tests.certificates.factories import CERTIFIED
from tests.factories import (
    make_class,
    make_course,
    make_enrollment,
    make_signer,
    make_unit,
    make_user,
)

HOLDER_NAME = "Nguyễn Thị Hồng Hoa"


@dataclass
class World:
    units: dict[str, Unit]
    admin: User
    official_hp: User
    official_qt: User
    trainer: User
    other_trainer: User
    holder: User
    stranger: User
    course: Course
    klass: Class
    enrollment: Enrollment


@pytest.fixture
def world(db: object) -> World:
    hp = make_unit("HP", kind=UnitKind.province, name="Thành phố Hải Phòng", serial_prefix="HP")
    qt = make_unit("QT", kind=UnitKind.province, name="Tỉnh Quảng Trị", serial_prefix="QT")
    skhcn = make_unit(
        "HP-SKHCN", kind=UnitKind.agency, name="Sở Khoa học và Công nghệ Hải Phòng", parent=hp
    )
    hongbang = make_unit("HP-HONGBANG", kind=UnitKind.commune, name="Phường Hồng Bàng", parent=hp)
    dongha = make_unit("QT-DONGHOI", kind=UnitKind.commune, name="Phường Đồng Hới", parent=qt)
    units = {"HP": hp, "QT": qt, "HP-SKHCN": skhcn, "HP-HONGBANG": hongbang, "QT-DONGHOI": dongha}
    make_signer(hp, name="Trần Văn Đức", title="Giám đốc Sở Khoa học và Công nghệ")
    make_signer(qt, name="Lê Quang Vinh", title="Giám đốc Sở Khoa học và Công nghệ")
    trainer = make_user(roles=(Role.trainer,), unit=skhcn, full_name="Trần Thị Mai")
    course = make_course(**CERTIFIED)
    klass = make_class(course, skhcn, trainers=[trainer])
    holder = make_user(
        "hoa@example.vn", unit=hongbang, target_group="citizen", full_name=HOLDER_NAME
    )
    return World(
        units=units,
        admin=make_user(roles=(Role.admin,), unit=hp),
        official_hp=make_user(roles=(Role.official,), unit=hp),
        official_qt=make_user(roles=(Role.official,), unit=qt),
        trainer=trainer,
        other_trainer=make_user(roles=(Role.trainer,), unit=skhcn),
        holder=holder,
        stranger=make_user(unit=dongha),
        course=course,
        klass=klass,
        enrollment=make_enrollment(holder, course, klass=klass, status=EnrollmentStatus.completed),
    )
