"""Demo accounts and demo people: the logins ``make run`` prints, and a realistic population.

Everything is deterministic (a seeded random generator over the units sorted by code), so a
second run finds every person already there and adds nothing. Only the named accounts have
passwords; each distinct password is hashed once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from lms import periods
from lms.auth.models import Role, User, UserRole
from lms.auth.services import hash_password
from lms.constants import TargetGroup
from lms.errors import NotFound
from lms.extensions import db
from lms.org.models import Unit, UnitKind
from lms.org.services import assign_user_unit, get_unit
from lms.text import fold

DOMAIN = "demo.lms.vn"
SEED = 146


@dataclass
class Account:
    email: str
    password: str
    full_name: str
    roles: tuple[Role, ...]
    unit: str | None
    target_group: TargetGroup | None


ACCOUNTS = (
    Account(f"admin@{DOMAIN}", "demo-admin-146", "Bùi Quang Huy", (Role.admin,), "HP", None),
    Account(
        f"official@{DOMAIN}",
        "demo-official-146",
        "Lê Thị Lan",
        (Role.official,),
        "HP",
        TargetGroup.official,
    ),
    Account(
        f"trainer@{DOMAIN}",
        "demo-trainer-146",
        "Đỗ Thị Mai",
        (Role.trainer,),
        "HP-SKHCN",
        TargetGroup.official,
    ),
    Account(
        f"learner@{DOMAIN}",
        "demo-learner-146",
        "Nguyễn Thị Hoa",
        (Role.learner,),
        "HP-HONGBANG",
        TargetGroup.citizen,
    ),
    Account(
        f"official.hongbang@{DOMAIN}",
        "demo-official-146",
        "Trần Minh Tuấn",
        (Role.official,),
        "HP-HONGBANG",
        TargetGroup.official,
    ),
    Account(
        f"official.qt@{DOMAIN}",
        "demo-official-146",
        "Nguyễn Văn Hùng",
        (Role.official,),
        "QT",
        TargetGroup.official,
    ),
    Account(
        f"specialist@{DOMAIN}",
        "demo-learner-146",
        "Phạm Đăng Khoa",
        (Role.learner,),
        "HP-SKHCN",
        TargetGroup.dx_specialist,
    ),
    Account(
        f"teacher@{DOMAIN}",
        "demo-learner-146",
        "Hoàng Thu Trang",
        (Role.learner,),
        "HP-NGOQUYEN",
        TargetGroup.teacher,
    ),
)

SURNAMES = (
    ("Nguyễn", 30), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4),
    ("Phan", 4), ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3), ("Hồ", 2), ("Ngô", 2), ("Dương", 2),
    ("Lý", 1), ("Đinh", 2), ("Trịnh", 1), ("Mai", 1), ("Cao", 1), ("Lương", 1), ("Đoàn", 1),
    ("Vương", 1), ("Tạ", 1), ("Huỳnh", 2), ("Võ", 2),
)  # fmt: skip
MIDDLE = {
    "m": ("Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Xuân", "Công", "Anh", "Hoàng", "Gia"),
    "f": ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Kim", "Hồng", "Bích", "Thuỳ"),
}
GIVEN = {
    "m": (
        "An", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khang",
        "Khoa", "Kiên", "Long", "Mạnh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Sơn",
        "Thắng", "Thành", "Tiến", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Lộc",
    ),
    "f": (
        "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Huyền",
        "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương",
        "Quỳnh", "Thảo", "Thu", "Trang", "Tuyết", "Vân", "Yến", "Hoà",
    ),
}  # fmt: skip


@dataclass
class Person:
    full_name: str
    email: str | None
    phone: str | None
    unit: str | None
    target_group: TargetGroup | None
    #: Earlier unit (closed in the 2025 merger) and the day the person moved on.
    history: list[tuple[str, date]] = field(default_factory=list)


class _Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0
        self.surnames = [s for s, _ in SURNAMES]
        self.weights = [w for _, w in SURNAMES]

    def person(
        self,
        unit: str | None,
        group: TargetGroup | None,
        *,
        history: list[tuple[str, date]] | None = None,
    ) -> Person:
        self.count += 1
        n = self.count
        sex = self.rng.choice("mf")
        surname = self.rng.choices(self.surnames, self.weights)[0]
        middle = self.rng.choice(MIDDLE[sex])
        given = self.rng.choice(GIVEN[sex])
        full_name = f"{surname} {middle} {given}"
        phone: str | None = f"09{(14_600_000 + n * 7919) % 100_000_000:08d}"
        email: str | None = (
            f"{fold(given)}.{fold(surname)}{fold(middle)[0]}.{n:03d}@{DOMAIN}".replace(" ", "")
        )
        contact = self.rng.random()
        if contact < 0.2:  # phone only, as many citizens sign up
            email = None
        elif contact < 0.7:
            phone = None
        if group is not None and self.rng.random() < 0.05:
            group = None
        return Person(full_name, email, phone, unit, group, history or [])


def _people(units: list[Unit]) -> list[Person]:
    """About 400 people: journey 3's commune in full, a few dozen in every other unit."""
    rng = random.Random(SEED)
    names = _Names(rng)
    people: list[Person] = []
    by_code = {u.code: u for u in units}
    if "HP-HONGBANG" in by_code:
        people += [names.person("HP-HONGBANG", TargetGroup.official) for _ in range(38)]
        people += [names.person("HP-HONGBANG", TargetGroup.leader) for _ in range(4)]
        people += [names.person("HP-HONGBANG", TargetGroup.community_tech) for _ in range(12)]
        people += [names.person("HP-HONGBANG", TargetGroup.citizen) for _ in range(10)]
    today = periods.today()  # the province's day: classes open and close on it
    others = [
        u
        for u in units
        if u.code != "HP-HONGBANG" and u.kind in {UnitKind.commune, UnitKind.agency}
    ]
    current = [u for u in others if u.is_current(today)]
    closed = [u for u in others if not u.is_current(today) and u.successor_id is not None]
    each = max(3, 300 // max(len(current), 1))
    for unit in current:
        mix = (
            (TargetGroup.official, 0.55), (TargetGroup.leader, 0.1), (TargetGroup.citizen, 0.35)
        ) if unit.kind == UnitKind.commune else (
            (TargetGroup.official, 0.8), (TargetGroup.leader, 0.1), (TargetGroup.dx_specialist, 0.1)
        )  # fmt: skip
        groups = [g for g, _ in mix]
        weights = [w for _, w in mix]
        for _ in range(rng.randint(each - 2, each + 2)):
            people.append(names.person(unit.code, rng.choices(groups, weights)[0]))
    successors = {u.id: u for u in units}
    for unit in closed[:6]:  # people who were in a unit merged away, and moved on with it
        successor = successors.get(unit.successor_id or 0)
        if successor is None or unit.valid_to is None:
            continue
        moved_on = unit.valid_to + timedelta(days=1)
        for _ in range(4):
            group = rng.choice((TargetGroup.official, TargetGroup.citizen))
            people.append(names.person(successor.code, group, history=[(unit.code, moved_on)]))
    for _ in range(10):  # citizens who signed up without choosing their commune
        people.append(names.person(None, TargetGroup.citizen))
    return people


def _unit(code: str | None) -> Unit | None:
    if code is None:
        return None
    try:
        return get_unit(code)
    except NotFound:
        return None


def _existing(emails: set[str], phones: set[str]) -> tuple[set[str], set[str]]:
    found_emails = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    found_phones = set(db.session.scalars(select(User.phone).where(User.phone.in_(phones))))
    return found_emails, found_phones  # type: ignore[return-value]


def _seed_accounts() -> int:
    hashes: dict[str, str] = {}
    added = 0
    existing, _ = _existing({a.email for a in ACCOUNTS}, set())
    for account in ACCOUNTS:
        if account.email in existing:
            continue
        if account.password not in hashes:
            hashes[account.password] = hash_password(account.password)
        user = User(
            email=account.email,
            full_name=account.full_name,
            password_hash=hashes[account.password],
            target_group=account.target_group,
        )
        user.role_rows = [UserRole(role=role) for role in account.roles]
        db.session.add(user)
        db.session.flush()
        unit = _unit(account.unit)
        if unit is not None:
            assign_user_unit(user, unit)
        added += 1
    return added


def _seed_people() -> int:
    units = list(db.session.scalars(select(Unit).order_by(Unit.code)))
    people = _people(units)
    emails, phones = _existing(
        {p.email for p in people if p.email}, {p.phone for p in people if p.phone}
    )
    todo = [p for p in people if p.email not in emails and p.phone not in phones]
    by_code = {u.code: u for u in units}
    pairs = []
    for person in todo:
        user = User(
            email=person.email,
            phone=person.phone,
            full_name=person.full_name,
            target_group=person.target_group,
        )
        user.role_rows = [UserRole(role=Role.learner)]
        pairs.append((user, person))
    db.session.add_all([user for user, _ in pairs])
    db.session.flush()
    for user, person in pairs:
        for code, moved_on in person.history:
            earlier = by_code[code]
            assign_user_unit(user, earlier, on=earlier.valid_from)
            assign_user_unit(user, by_code.get(person.unit or ""), on=moved_on)
        if not person.history and person.unit is not None:
            assign_user_unit(user, by_code[person.unit])
    return len(pairs)


def seed() -> list[str]:
    accounts = _seed_accounts()
    people = _seed_people()
    db.session.flush()
    width = max(len(a.email) for a in ACCOUNTS)
    lines = [
        f"auth: {accounts} demo accounts and {people} demo people added.",
        "",
        "Demo logins (for the demo only: never keep these accounts on a real server):",
        f"  {'role':<10} {'email':<{width}}  password",
    ]
    for account in ACCOUNTS:
        role = ",".join(r.value for r in account.roles)
        lines.append(f"  {role:<10} {account.email:<{width}}  {account.password}")
    return lines
