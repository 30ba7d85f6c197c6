"""Demo organisation tree: Hải Phòng and Quảng Trị after the 2025 reform, with history.

Hải Dương merged into Hải Phòng and Quảng Bình into Quảng Trị on 1 July 2025, and the
district level was abolished: their communes were merged into new wards and communes that
sit directly under the province. The mergers go through :func:`merge_unit`, so the history
(placements, memberships) is the real thing and 2024 figures add up by the old tree.
Idempotent: existing codes are left alone, mergers already done are skipped, headcounts
are upserted.
"""

from __future__ import annotations

import random
from datetime import date
from typing import NamedTuple

from sqlalchemy import func, select

from lms.constants import TargetGroup
from lms.extensions import db
from lms.org.models import Headcount, Unit, UnitKind
from lms.org.services import create_unit, find_unit, import_headcounts, merge_unit

REFORM = date(2025, 7, 1)
YEARS = (2024, 2025, 2026)

P, D, C, A, S, E = (
    UnitKind.province,
    UnitKind.district,
    UnitKind.commune,
    UnitKind.agency,
    UnitKind.school,
    UnitKind.enterprise,
)


class Spec(NamedTuple):
    code: str
    name: str
    name_en: str
    kind: UnitKind
    parent: str | None
    valid_from: date | None = None
    successor: str | None = None  # merged into this unit on REFORM


UNITS: tuple[Spec, ...] = (
    # Hải Phòng
    Spec("HP", "Thành phố Hải Phòng", "Hai Phong City", P, None),
    Spec(
        "HP-SKHCN",
        "Sở Khoa học và Công nghệ Hải Phòng",
        "Hai Phong Department of Science and Technology",
        A,
        "HP",
    ),
    Spec(
        "HP-VPUBND",
        "Văn phòng Ủy ban nhân dân thành phố Hải Phòng",
        "Office of the Hai Phong People's Committee",
        A,
        "HP",
    ),
    Spec(
        "HP-SGDDT",
        "Sở Giáo dục và Đào tạo Hải Phòng",
        "Hai Phong Department of Education and Training",
        A,
        "HP",
    ),
    Spec(
        "HP-THPT-TRANPHU",
        "Trường THPT chuyên Trần Phú",
        "Tran Phu High School for the Gifted",
        S,
        "HP-SGDDT",
    ),
    Spec(
        "HP-THCS-CHUVANAN",
        "Trường THCS Chu Văn An",
        "Chu Van An Lower Secondary School",
        S,
        "HP-SGDDT",
    ),
    Spec("HP-CANGHP", "Công ty Cổ phần Cảng Hải Phòng", "Port of Hai Phong JSC", E, "HP"),
    Spec("HP-HONGBANG", "Phường Hồng Bàng", "Hong Bang Ward", C, "HP"),
    Spec("HP-LECHAN", "Phường Lê Chân", "Le Chan Ward", C, "HP"),
    Spec("HP-NGOQUYEN", "Phường Ngô Quyền", "Ngo Quyen Ward", C, "HP"),
    Spec("HP-THUYNGUYEN", "Phường Thủy Nguyên", "Thuy Nguyen Ward", C, "HP"),
    Spec("HP-KIENAN", "Phường Kiến An", "Kien An Ward", C, "HP"),
    Spec("HP-DOSON", "Phường Đồ Sơn", "Do Son Ward", C, "HP"),
    Spec("HP-TIENLANG", "Xã Tiên Lãng", "Tien Lang Commune", C, "HP"),
    Spec("HP-MINHKHAI", "Phường Minh Khai", "Minh Khai Ward", C, "HP", successor="HP-HONGBANG"),
    Spec(
        "HP-HOANGVANTHU",
        "Phường Hoàng Văn Thụ",
        "Hoang Van Thu Ward",
        C,
        "HP",
        successor="HP-HONGBANG",
    ),
    # Hải Phòng's wards formed from Hải Dương's communes on 1 July 2025
    Spec("HP-HAIDUONG", "Phường Hải Dương", "Hai Duong Ward", C, "HP", REFORM),
    Spec("HP-LETHANHNGHI", "Phường Lê Thanh Nghị", "Le Thanh Nghi Ward", C, "HP", REFORM),
    Spec("HP-CHILINH", "Phường Chí Linh", "Chi Linh Ward", C, "HP", REFORM),
    Spec("HP-KINHMON", "Phường Kinh Môn", "Kinh Mon Ward", C, "HP", REFORM),
    # Hải Dương, until 30 June 2025
    Spec("HD", "Tỉnh Hải Dương", "Hai Duong Province", P, None, successor="HP"),
    Spec(
        "HD-SKHCN",
        "Sở Khoa học và Công nghệ Hải Dương",
        "Hai Duong Department of Science and Technology",
        A,
        "HD",
        successor="HP-SKHCN",
    ),
    Spec("HD-TPHD", "Thành phố Hải Dương", "Hai Duong City", D, "HD", successor="HP"),
    Spec(
        "HD-TPHD-TRANHUNGDAO",
        "Phường Trần Hưng Đạo",
        "Tran Hung Dao Ward",
        C,
        "HD-TPHD",
        successor="HP-HAIDUONG",
    ),
    Spec(
        "HD-TPHD-NGUYENTRAI",
        "Phường Nguyễn Trãi",
        "Nguyen Trai Ward",
        C,
        "HD-TPHD",
        successor="HP-HAIDUONG",
    ),
    Spec(
        "HD-TPHD-LETHANHNGHI",
        "Phường Lê Thanh Nghị",
        "Le Thanh Nghi Ward",
        C,
        "HD-TPHD",
        successor="HP-LETHANHNGHI",
    ),
    Spec("HD-CHILINH", "Thành phố Chí Linh", "Chi Linh City", D, "HD", successor="HP"),
    Spec(
        "HD-CHILINH-SAODO", "Phường Sao Đỏ", "Sao Do Ward", C, "HD-CHILINH", successor="HP-CHILINH"
    ),
    Spec(
        "HD-CHILINH-CONGHOA",
        "Phường Cộng Hòa",
        "Cong Hoa Ward",
        C,
        "HD-CHILINH",
        successor="HP-CHILINH",
    ),
    Spec("HD-KINHMON", "Thị xã Kinh Môn", "Kinh Mon Town", D, "HD", successor="HP"),
    Spec(
        "HD-KINHMON-ANLUU", "Phường An Lưu", "An Luu Ward", C, "HD-KINHMON", successor="HP-KINHMON"
    ),
    Spec(
        "HD-KINHMON-HIEPSON",
        "Phường Hiệp Sơn",
        "Hiep Son Ward",
        C,
        "HD-KINHMON",
        successor="HP-KINHMON",
    ),
    # Quảng Trị
    Spec("QT", "Tỉnh Quảng Trị", "Quang Tri Province", P, None),
    Spec(
        "QT-SKHCN",
        "Sở Khoa học và Công nghệ Quảng Trị",
        "Quang Tri Department of Science and Technology",
        A,
        "QT",
    ),
    Spec(
        "QT-VPUBND",
        "Văn phòng Ủy ban nhân dân tỉnh Quảng Trị",
        "Office of the Quang Tri People's Committee",
        A,
        "QT",
    ),
    Spec(
        "QT-SGDDT",
        "Sở Giáo dục và Đào tạo Quảng Trị",
        "Quang Tri Department of Education and Training",
        A,
        "QT",
    ),
    Spec("QT-THPT-DONGHA", "Trường THPT Đông Hà", "Dong Ha High School", S, "QT-SGDDT"),
    Spec("QT-DONGHA", "Phường Đông Hà", "Dong Ha Ward", C, "QT"),
    Spec("QT-QUANGTRI", "Phường Quảng Trị", "Quang Tri Ward", C, "QT"),
    Spec("QT-KHESANH", "Xã Khe Sanh", "Khe Sanh Commune", C, "QT"),
    Spec("QT-CUAVIET", "Xã Cửa Việt", "Cua Viet Commune", C, "QT"),
    # Quảng Trị's wards and communes formed from Quảng Bình's on 1 July 2025
    Spec("QT-DONGHOI", "Phường Đồng Hới", "Dong Hoi Ward", C, "QT", REFORM),
    Spec("QT-DONGTHUAN", "Phường Đồng Thuận", "Dong Thuan Ward", C, "QT", REFORM),
    Spec("QT-DONGSON", "Phường Đồng Sơn", "Dong Son Ward", C, "QT", REFORM),
    Spec("QT-HOANLAO", "Xã Hoàn Lão", "Hoan Lao Commune", C, "QT", REFORM),
    Spec("QT-BOTRACH", "Xã Bố Trạch", "Bo Trach Commune", C, "QT", REFORM),
    Spec("QT-PHONGNHA", "Xã Phong Nha", "Phong Nha Commune", C, "QT", REFORM),
    # Quảng Bình, until 30 June 2025
    Spec("QB", "Tỉnh Quảng Bình", "Quang Binh Province", P, None, successor="QT"),
    Spec(
        "QB-SKHCN",
        "Sở Khoa học và Công nghệ Quảng Bình",
        "Quang Binh Department of Science and Technology",
        A,
        "QB",
        successor="QT-SKHCN",
    ),
    Spec("QB-DONGHOI", "Thành phố Đồng Hới", "Dong Hoi City", D, "QB", successor="QT"),
    Spec(
        "QB-DONGHOI-HAITHANH",
        "Phường Hải Thành",
        "Hai Thanh Ward",
        C,
        "QB-DONGHOI",
        successor="QT-DONGHOI",
    ),
    Spec(
        "QB-DONGHOI-DONGPHU",
        "Phường Đồng Phú",
        "Dong Phu Ward",
        C,
        "QB-DONGHOI",
        successor="QT-DONGHOI",
    ),
    Spec(
        "QB-DONGHOI-BACLY",
        "Phường Bắc Lý",
        "Bac Ly Ward",
        C,
        "QB-DONGHOI",
        successor="QT-DONGTHUAN",
    ),
    Spec(
        "QB-DONGHOI-NAMLY", "Phường Nam Lý", "Nam Ly Ward", C, "QB-DONGHOI", successor="QT-DONGSON"
    ),
    Spec("QB-BODRACH", "Huyện Bố Trạch", "Bo Trach District", D, "QB", successor="QT"),
    Spec(
        "QB-BODRACH-HOANLAO",
        "Thị trấn Hoàn Lão",
        "Hoan Lao Township",
        C,
        "QB-BODRACH",
        successor="QT-HOANLAO",
    ),
    Spec(
        "QB-BODRACH-PHONGNHA",
        "Thị trấn Phong Nha",
        "Phong Nha Township",
        C,
        "QB-BODRACH",
        successor="QT-PHONGNHA",
    ),
    Spec(
        "QB-BODRACH-DAITRACH",
        "Xã Đại Trạch",
        "Dai Trach Commune",
        C,
        "QB-BODRACH",
        successor="QT-BOTRACH",
    ),
)

PROVINCE_SETTINGS = {"HP": ("HP", 10), "HD": ("HD", 10), "QT": ("QT", 15), "QB": ("QB", 15)}

#: Per kind: target group -> typical count (each unit and year varies around it).
TYPICAL: dict[UnitKind, dict[TargetGroup, int]] = {
    P: {TargetGroup.leader: 12, TargetGroup.expert: 20, TargetGroup.dx_specialist: 6},
    D: {TargetGroup.leader: 8, TargetGroup.official: 90, TargetGroup.dx_specialist: 3},
    C: {
        TargetGroup.leader: 4,
        TargetGroup.official: 38,
        TargetGroup.dx_specialist: 1,
        TargetGroup.community_tech: 12,
        TargetGroup.citizen: 15000,
    },
    A: {TargetGroup.leader: 6, TargetGroup.official: 75, TargetGroup.dx_specialist: 5},
    S: {TargetGroup.leader: 3, TargetGroup.teacher: 65, TargetGroup.student: 1200},
    E: {TargetGroup.leader: 5, TargetGroup.dx_specialist: 4, TargetGroup.enterprise_staff: 850},
}


def seed() -> list[str]:
    created = _create_units()
    merged = _merge()
    counts = _headcounts()
    total = db.session.scalar(select(func.count()).select_from(Unit)) or 0
    rows = db.session.scalar(select(func.count()).select_from(Headcount)) or 0
    return [
        f"Units: {total} ({created} new, {merged} mergers recorded), headcounts: {rows} "
        f"({counts['created']} new, {counts['updated']} updated)"
    ]


def _create_units() -> int:
    created = 0
    for spec in UNITS:
        if find_unit(spec.code) is not None:
            continue
        prefix, day = PROVINCE_SETTINGS.get(spec.code, (None, None))
        create_unit(
            code=spec.code,
            name=spec.name,
            name_en=spec.name_en,
            kind=spec.kind,
            parent=find_unit(spec.parent) if spec.parent else None,
            valid_from=spec.valid_from or date(2000, 1, 1),
            serial_prefix=prefix,
            report_day=day,
            by=None,
        )
        created += 1
    return created


def _merge() -> int:
    """Record the 2025 mergers, smallest units first (communes, then districts, provinces)."""
    order = {C: 0, A: 0, D: 1, P: 2}
    merged = 0
    for spec in sorted((s for s in UNITS if s.successor), key=lambda s: order.get(s.kind, 0)):
        unit, into = find_unit(spec.code), find_unit(spec.successor or "")
        if unit is None or into is None or unit.valid_to is not None:
            continue
        merge_unit(unit, into, on=REFORM, by=None)
        merged += 1
    return merged


def _headcounts() -> dict[str, int]:
    """Plausible counts for every unit open at the end of each year.

    Units merged away in 2025 have 2024 figures only: from 2025 their successor reports.
    """
    rows = []
    for spec in UNITS:
        unit = find_unit(spec.code)
        if unit is None:
            continue
        for year in YEARS:
            if not unit.is_current(date(year, 12, 31)):
                continue
            rng = random.Random(f"{spec.code}-{year}")
            for group, typical in TYPICAL[spec.kind].items():
                grown = typical * (1 + 0.02 * (year - 2024))
                count = max(1, round(grown * rng.uniform(0.85, 1.15)))
                rows.append(
                    {"unit": spec.code, "target_group": group.value, "year": year, "count": count}
                )
    return import_headcounts(rows, by=None)
