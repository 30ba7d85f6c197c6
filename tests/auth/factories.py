"""Extra factories for the auth and web tests: the demo unit tree of CONTRACTS.md."""

from __future__ import annotations

from datetime import date

from lms.org.models import Unit, UnitKind
from tests.factories import make_unit

CLOSED = date(2025, 6, 30)


def make_demo_tree() -> dict[str, Unit]:
    """The units other domains refer to by code (a small part of the org demo's tree)."""
    hp = make_unit("HP", kind=UnitKind.province, name="Thành phố Hải Phòng", serial_prefix="HP")
    qt = make_unit("QT", kind=UnitKind.province, name="Tỉnh Quảng Trị", serial_prefix="QT")
    units = {"HP": hp, "QT": qt}
    for code, kind, name, parent in (
        ("HP-SKHCN", UnitKind.agency, "Sở Khoa học và Công nghệ Hải Phòng", hp),
        ("HP-HONGBANG", UnitKind.commune, "Phường Hồng Bàng", hp),
        ("HP-LECHAN", UnitKind.commune, "Phường Lê Chân", hp),
        ("HP-NGOQUYEN", UnitKind.commune, "Phường Ngô Quyền", hp),
        ("HP-THUYNGUYEN", UnitKind.commune, "Phường Thủy Nguyên", hp),
        ("QT-SKHCN", UnitKind.agency, "Sở Khoa học và Công nghệ Quảng Trị", qt),
        ("QT-DONGHOI", UnitKind.commune, "Phường Đồng Hới", qt),
    ):
        units[code] = make_unit(code, kind=kind, name=name, parent=parent)
    qb = make_unit(
        "QB", kind=UnitKind.province, name="Tỉnh Quảng Bình", parent=qt, valid_to=CLOSED,
        successor=qt,
    )  # fmt: skip
    units["QB"] = qb
    units["QB-DONGHOI"] = make_unit(
        "QB-DONGHOI", kind=UnitKind.district, name="Thành phố Đồng Hới", parent=qb,
        valid_to=CLOSED, successor=units["QT-DONGHOI"],
    )  # fmt: skip
    units["QB-DONGHOI-HAITHANH"] = make_unit(
        "QB-DONGHOI-HAITHANH", kind=UnitKind.commune, name="Phường Hải Thành",
        parent=units["QB-DONGHOI"], valid_to=CLOSED, successor=units["QT-DONGHOI"],
    )  # fmt: skip
    return units
