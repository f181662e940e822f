"""The messaging router and what its operations share: who is calling, and pages."""

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router

from careloop.accounts.models import User
from careloop.api.memberships.common import request_user
from careloop.core.errors import FieldError, ValidationFailed

messaging_router = Router(tags=["messaging"])

Limit = Annotated[int, Field(ge=1, le=100)]
Offset = Annotated[int, Field(ge=0)]


def caller(request: HttpRequest) -> User:
    """The signed-in person, patient or staff; each operation's service or access helper
    applies the rule for their kind."""
    return request_user(request)


def renamed(error: ValidationFailed, names: dict[str, str]) -> ValidationFailed:
    """The services name a field as their arguments do ("team"); the API's body names the
    id ("team_id")."""
    return ValidationFailed(
        [FieldError(names.get(e.field, e.field), e.message, e.code) for e in error.errors],
        error.message,
    )
