"""xAPI statement validation and index extraction: pure Python, no Flask, no database.

The LRS (``lms.xapi``) calls these on every write; they follow the xAPI 1.0.3 specification
(Data part, LRS requirements) and, when the request says ``X-Experience-API-Version: 2.0.0``,
accept xAPI 2.0's additions. Every failure is one :class:`XapiValidationError` whose ``path``
names the offending property.
"""

from datetime import datetime

from lms.xapi.validation.activities import validate_activity_id
from lms.xapi.validation.agents import agent_ifi, validate_agent_param
from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import check_uuid, parse_timestamp
from lms.xapi.validation.formats import (
    canonical_language,
    ids_format,
    normalise_context_activities,
    normalise_statement,
    parse_accept_language,
    pick_language,
)
from lms.xapi.validation.index import StatementIndex, statement_index
from lms.xapi.validation.parsing import parse_json
from lms.xapi.validation.statements import VOIDED, is_v2, validate_statement, validate_statements


def validate_uuid(value: object, *, path: str) -> str:
    """A UUID parameter (statementId, registration...); returns it lowercased for lookups."""
    return check_uuid(value, path).lower()


def validate_timestamp(value: object, *, path: str, version: str = "1.0.3") -> datetime:
    """An ISO 8601 timestamp parameter (since, until); returns an aware datetime."""
    return parse_timestamp(value, path, v2=is_v2(version))


__all__ = [
    "VOIDED",
    "StatementIndex",
    "XapiValidationError",
    "agent_ifi",
    "canonical_language",
    "ids_format",
    "is_v2",
    "normalise_context_activities",
    "normalise_statement",
    "parse_accept_language",
    "parse_json",
    "pick_language",
    "statement_index",
    "validate_activity_id",
    "validate_agent_param",
    "validate_statement",
    "validate_statements",
    "validate_timestamp",
    "validate_uuid",
]
