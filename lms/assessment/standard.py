"""The question banks of the digital-skills standard: one bank per skill area, from a YAML file.

DX specialists are assessed every year against the national digital-skills standard; their exam
draws N questions per skill area from these banks. The file (``standard.yaml`` beside this
module by default) lists banks, each with the questions.yaml question format; importing it
again updates the banks in place, versioning changed questions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lms.assessment.banks import upsert_question
from lms.assessment.definitions import QuestionData, validate_question
from lms.assessment.models import Question, QuestionBank
from lms.catalog.yamlines import YamlLoadError, load
from lms.constants import SkillArea
from lms.errors import Invalid
from lms.extensions import db

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent / "standard.yaml"


@dataclass
class StandardBank:
    code: str
    skill_area: str
    title: str
    title_en: str | None
    questions: list[QuestionData] = field(default_factory=list)


def parse(path: Path) -> tuple[list[StandardBank], list[str]]:
    """Read the file; the errors say ``file:line: message``."""
    name = path.name
    try:
        doc = load(path.read_text(encoding="utf-8"))
    except YamlLoadError as exc:
        return [], [f"{name}:{exc.line or 0}: {exc.message}"]
    errors: list[str] = []
    raw_banks = doc.data.get("banks") if isinstance(doc.data, Mapping) else None
    if not isinstance(raw_banks, list):
        return [], [f"{name}:1: the file must hold 'banks:', a list of banks"]
    out: list[StandardBank] = []
    for b, raw in enumerate(raw_banks):
        if not isinstance(raw, Mapping):
            errors.append(f"{name}:{doc.line('banks', b)}: a bank must be a mapping")
            continue
        area = raw.get("skill_area")
        if area not in set(SkillArea):
            errors.append(
                f"{name}:{doc.line('banks', b, 'skill_area')}: unknown skill area {area!r}"
            )
        raw_title = raw.get("title")
        title: Mapping[str, Any] = (
            raw_title if isinstance(raw_title, Mapping) else {"vi": raw_title}
        )
        bank = StandardBank(
            code=str(raw.get("code") or f"std-{area}"),
            skill_area=str(area),
            title=str(title.get("vi") or area),
            title_en=title.get("en"),
        )
        seen: set[str] = set()
        for q, item in enumerate(raw.get("questions") or []):
            data, problems = validate_question(item)
            for path_, message in problems:
                line = doc.line("banks", b, "questions", q, *path_)
                errors.append(f"{name}:{line}: {message}")
            if data is None:
                continue
            if data.key in seen:
                line = doc.line("banks", b, "questions", q, "id")
                errors.append(f"{name}:{line}: question id '{data.key}' is used twice")
            seen.add(data.key)
            bank.questions.append(data)
        out.append(bank)
    return out, errors


def import_standard(path: Path | None = None) -> list[QuestionBank]:
    """Create or update the standard's banks from ``path``; all or nothing."""
    parsed, errors = parse(path or DEFAULT_PATH)
    if errors:
        raise Invalid("The standard's question file is not valid.", errors={"file": errors})
    banks = []
    for item in parsed:
        bank = db.session.scalar(select(QuestionBank).where(QuestionBank.code == item.code))
        if bank is None:
            bank = QuestionBank(code=item.code, title=item.title)
            db.session.add(bank)
            db.session.flush()
        bank.title, bank.title_en, bank.skill_area = item.title, item.title_en, item.skill_area
        keys = set()
        for position, data in enumerate(item.questions, start=1):
            upsert_question(bank, data, position=position)
            keys.add(data.key)
        for question in db.session.scalars(select(Question).where(Question.bank_id == bank.id)):
            if question.key not in keys:
                question.active = False
        banks.append(bank)
    db.session.flush()
    logger.info("Imported %s banks of the digital-skills standard", len(banks))
    return banks


def summary(banks: list[QuestionBank]) -> list[dict[str, Any]]:
    return [
        {
            "code": b.code,
            "skill_area": b.skill_area,
            "questions": sum(q.active for q in b.questions),
        }
        for b in banks
    ]
