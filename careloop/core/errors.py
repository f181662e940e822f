"""The error hierarchy every domain app extends.

Each error has a stable `code`; delivery layers map them to HTTP problem details and, later,
FHIR OperationOutcome in one place (careloop.api.problems).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"


class CareloopError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationFailed(CareloopError):
    """One or more fields broke a rule; nothing was changed."""

    code = "validation_failed"
    status = 422

    def __init__(
        self, errors: list[FieldError], message: str = "Some fields need attention."
    ) -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def single(cls, field: str, message: str, code: str = "invalid") -> "ValidationFailed":
        return cls([FieldError(field=field, message=message, code=code)])


class NotFound(CareloopError):
    code = "not_found"
    status = 404


class PermissionDenied(CareloopError):
    code = "permission_denied"
    status = 403


class Conflict(CareloopError):
    code = "conflict"
    status = 409
