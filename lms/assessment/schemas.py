"""Marshmallow schemas of the assessment API (input validated here, type rules in definitions)."""

from __future__ import annotations

from datetime import UTC

from marshmallow import RAISE, Schema, fields, validate

from lms.assessment.items import TYPES
from lms.assessment.models import QuizKind, ReviewPolicy
from lms.constants import SkillArea
from lms.edge import FullMatch
from lms.errors import N_

_CODE = FullMatch(
    r"^[a-z0-9][a-z0-9-]{1,98}$",
    error=N_("Use 2-99 characters: lowercase letters, digits and '-'."),
)
_AREAS = validate.OneOf([a.value for a in SkillArea], error=N_("Unknown skill area."))


class BankCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=_CODE)
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300, error=N_("Title must be 1–300 characters.")),
    )
    title_en = fields.String(allow_none=True, validate=validate.Length(max=300))
    skill_area = fields.String(allow_none=True, validate=_AREAS)
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    province = fields.String(
        allow_none=True,
        metadata={
            "description": "code of the owning province; null: national (admins only). "
            "Default: your province (admins: national)"
        },
    )


class BankUpdateSchema(BankCreateSchema):
    class Meta:
        unknown = RAISE
        exclude = ("code",)


class BankQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    skill_area = fields.String(validate=_AREAS)
    course = fields.String()
    page = fields.Integer()
    per_page = fields.Integer()


class BankSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    title_en = fields.String(dump_only=True, allow_none=True)
    skill_area = fields.String(dump_only=True, allow_none=True)
    description = fields.String(dump_only=True, allow_none=True)
    course = fields.Function(lambda b: b.course.slug if b.course else None, dump_only=True)
    province = fields.Function(
        lambda b: b.province.code if b.province else None,
        dump_only=True,
        metadata={"description": "the owning province's code; null: national"},
    )
    question_count = fields.Function(
        lambda b: sum(1 for q in b.questions if q.active), dump_only=True
    )


class QuestionInputSchema(Schema):
    """A question as in questions.yaml; the type-specific rules are checked by the type."""

    class Meta:
        unknown = RAISE

    id = fields.String(required=True)
    type = fields.String(
        required=True, validate=validate.OneOf(list(TYPES), error=N_("Unknown question type."))
    )
    skill_area = fields.String(required=True, validate=_AREAS)
    difficulty = fields.String(validate=validate.OneOf(["easy", "medium", "hard"]))
    text = fields.String(required=True)
    text_en = fields.String(allow_none=True)
    explanation = fields.String(allow_none=True)
    explanation_en = fields.String(allow_none=True)
    points = fields.Float()
    options = fields.List(fields.Dict())
    scoring = fields.String()
    answer = fields.Raw(metadata={"description": "true_false: boolean; numeric: number"})
    answers = fields.List(fields.Raw())
    case_sensitive = fields.Boolean()
    ignore_diacritics = fields.Boolean()
    tolerance = fields.Float()
    pairs = fields.List(fields.Dict())
    items = fields.List(fields.String())
    items_en = fields.List(fields.String())


class QuestionUpdateSchema(QuestionInputSchema):
    class Meta:
        unknown = RAISE
        exclude = ("id",)


class QuestionOutputSchema(QuestionInputSchema):
    version = fields.Integer(dump_only=True)
    active = fields.Boolean(dump_only=True)


class BankDetailSchema(BankSchema):
    """A bank with its questions, answer keys included (staff only)."""

    questions = fields.List(fields.Nested(QuestionOutputSchema))


class PoolSchema(Schema):
    class Meta:
        unknown = RAISE

    skill_area = fields.String(allow_none=True, validate=_AREAS)
    difficulty = fields.String(allow_none=True, validate=validate.OneOf(["easy", "medium", "hard"]))
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=500))


class QuizCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    slug = fields.String(required=True, validate=_CODE)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    title_en = fields.String(allow_none=True, validate=validate.Length(max=300))
    course = fields.String(allow_none=True, metadata={"description": "course slug"})
    kind = fields.String(validate=validate.OneOf([k.value for k in QuizKind]))
    question_count = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=500))
    pools = fields.List(fields.Nested(PoolSchema))
    time_limit_minutes = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1440))
    max_attempts = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100))
    pass_mark = fields.Integer(validate=validate.Range(min=0, max=100))
    review = fields.String(validate=validate.OneOf([r.value for r in ReviewPolicy]))
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    opens_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    closes_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    session_id = fields.Integer(allow_none=True)
    banks = fields.List(
        fields.String(), metadata={"description": "codes of the banks to draw from"}
    )
    province = fields.String(
        allow_none=True,
        metadata={
            "description": "code of the owning province; null: national (admins only). "
            "Default: your province (admins: national)"
        },
    )


class QuizUpdateSchema(QuizCreateSchema):
    class Meta:
        unknown = RAISE
        exclude = ("slug",)


class QuizQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    course = fields.String()
    kind = fields.String(validate=validate.OneOf([k.value for k in QuizKind]))
    page = fields.Integer()
    per_page = fields.Integer()


class QuizSchema(Schema):
    """A quiz's settings (and, for a learner, their attempts so far). Never any question."""

    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    kind = fields.String()
    course = fields.String(allow_none=True)
    question_count = fields.Integer(allow_none=True)
    time_limit_minutes = fields.Integer(allow_none=True)
    max_attempts = fields.Integer(allow_none=True)
    pass_mark = fields.Integer()
    review_policy = fields.String()
    opens_at = fields.String(allow_none=True)
    closes_at = fields.String(allow_none=True)
    session_id = fields.Integer(allow_none=True)
    pools = fields.List(fields.Dict())
    active = fields.Boolean()
    # staff only
    is_course_quiz = fields.Boolean()
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    banks = fields.List(fields.String())
    province = fields.String(allow_none=True)
    # the learner's own
    attempts_used = fields.Integer()
    attempts_left = fields.Integer(allow_none=True)
    open_attempt = fields.Integer(allow_none=True)
    best_scaled = fields.Float(allow_none=True)
    passed = fields.Boolean()
    is_open_now = fields.Boolean()
    attempts = fields.List(fields.Nested(lambda: AttemptSummarySchema()))


class AttemptSummarySchema(Schema):
    """An attempt in a list: its status and result, never its questions."""

    id = fields.Integer()
    number = fields.Integer()
    status = fields.String()
    started_at = fields.String()
    submitted_at = fields.String(allow_none=True)
    expired = fields.Boolean()
    score = fields.Float(allow_none=True)
    max_score = fields.Float(allow_none=True)
    scaled = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    user_id = fields.Integer(metadata={"description": "In the list of a quiz's attempts"})


class ResponsesSchema(Schema):
    class Meta:
        unknown = RAISE

    responses = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={"description": "question key -> answer; keys not sent keep their answer"},
    )


class AttemptSchema(Schema):
    """An attempt as the learner sees it: questions without the key, saved responses, and
    (after submitting) the result; ``review`` appears only when the review policy allows."""

    id = fields.Integer()
    quiz = fields.Dict(
        metadata={"description": "id, title, kind, pass_mark, review_policy, course"}
    )
    number = fields.Integer()
    status = fields.String()
    started_at = fields.String()
    deadline = fields.String(allow_none=True)
    server_time = fields.String()
    remaining_seconds = fields.Integer(allow_none=True)
    last_saved_at = fields.String(allow_none=True)
    questions = fields.List(fields.Dict())
    responses = fields.Dict()
    result = fields.Dict(allow_none=True)
    review_available = fields.Boolean()
    key_available = fields.Boolean(
        metadata={
            "description": "whether `review` carries the correct answers and explanations: for "
            "the learner, once the attempt passed, no attempt is left or the quiz has closed"
        }
    )
    review = fields.List(fields.Dict())


class SavedSchema(Schema):
    saved = fields.List(fields.String())
    saved_at = fields.String()
    remaining_seconds = fields.Integer(allow_none=True)


class AnalysisSchema(Schema):
    quiz = fields.Dict()
    summary = fields.Dict()
    histogram = fields.List(fields.Dict())
    questions = fields.List(fields.Dict())


class RegradeSchema(Schema):
    changed = fields.Boolean()
    score = fields.Float()
    max_score = fields.Float()
    passed = fields.Boolean()
