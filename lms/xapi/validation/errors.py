"""The one exception the validator raises, carrying the property path of the first problem."""

from __future__ import annotations


class XapiValidationError(ValueError):
    """A statement (or parameter) breaks an xAPI rule.

    The LRS turns this into ``400 Bad Request``; ``path`` names the offending property the way a
    client would find it in its own JSON (``object.definition.choices[2].id``, ``[3].verb.id``
    for the fourth statement of a batch), so a provider can fix the statement without guessing.
    """

    def __init__(self, path: str, message: str) -> None:
        path = path.removeprefix(".")  # paths of top-level properties are built as ".actor"
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Default pickling would call __init__ with the formatted string only (Celery, logging).
        return (type(self), (self.path, self.message))
