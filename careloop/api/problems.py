"""Errors as RFC 9457 problem details (application/problem+json), in one place.

Every domain error carries a stable code; field errors list each field with its message, so
an integrator can show the message beside the right input.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from careloop.core.errors import CareloopError, ValidationFailed
from careloop.memberships.errors import AlreadyCovered
from careloop.scheduling.errors import SeriesHasConflicts

PROBLEM_TYPE_BASE = "https://careloop.invalid/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


def _field_name(location: list[Any]) -> str:
    # Ninja reports ("body", "payload", "email"); integrators know the field as "email".
    parts = [str(part) for part in location if part not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "request"


def _field_errors(error: ValidationFailed) -> list[dict[str, str]]:
    return [{"field": e.field, "message": e.message, "code": e.code} for e in error.errors]


def install_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(AlreadyCovered)
    def already_covered(request: HttpRequest, error: AlreadyCovered) -> HttpResponse:
        # Valid input that collides with another membership: a conflict with the data as it
        # stands (end the other coverage first), so 409, still naming each member.
        return problem(
            api,
            request,
            status=409,
            code=error.code,
            title="Conflict",
            detail=error.message,
            errors=_field_errors(error),
        )

    @api.exception_handler(SeriesHasConflicts)
    def series_has_conflicts(request: HttpRequest, error: SeriesHasConflicts) -> HttpResponse:
        # Each occurrence with its problem and alternatives, so the caller can move the
        # conflicting ones and book again.
        occurrences = [
            {
                "index": check.index,
                "start": check.start.isoformat(),
                "free": check.free,
                "problem": check.problem,
                "message": check.message,
                "alternatives": [start.isoformat() for start in check.alternatives],
            }
            for check in error.occurrences
        ]
        return problem(
            api,
            request,
            status=409,
            code=error.code,
            title="Conflict",
            detail=error.message,
            extra={"occurrences": occurrences},
        )

    @api.exception_handler(ValidationFailed)
    def validation_failed(request: HttpRequest, error: ValidationFailed) -> HttpResponse:
        return problem(
            api,
            request,
            status=422,
            code=error.code,
            title="Invalid input",
            detail=error.message,
            errors=_field_errors(error),
        )

    @api.exception_handler(CareloopError)
    def careloop_error(request: HttpRequest, error: CareloopError) -> HttpResponse:
        titles = {403: "Forbidden", 404: "Not found", 409: "Conflict"}
        return problem(
            api,
            request,
            status=error.status,
            code=error.code,
            title=titles.get(error.status, "Request failed"),
            detail=error.message,
        )

    @api.exception_handler(NinjaValidationError)
    def request_invalid(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
        errors = [
            {
                "field": _field_name(list(item.get("loc", []))),
                "message": str(item.get("msg", "Invalid value.")),
                "code": str(item.get("type", "invalid")),
            }
            for item in error.errors
        ]
        return problem(
            api,
            request,
            status=422,
            code="validation_failed",
            title="Invalid input",
            detail="Some fields need attention.",
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        return problem(
            api,
            request,
            status=401,
            code="unauthenticated",
            title="Unauthenticated",
            detail="Sign in, or send an API token as 'Authorization: Bearer <token>'.",
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        return problem(
            api,
            request,
            status=error.status_code,
            code="http_error",
            title="Request failed",
            detail=str(error),
        )
