"""Routers and the small helpers the billing operations share."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated

from ninja import Field, Router

from careloop.core.errors import FieldError, ValidationFailed

invoices_router = Router(tags=["invoices"])
payments_router = Router(tags=["payments"])
refunds_router = Router(tags=["payments"])
accounts_router = Router(tags=["payers"])
discounts_router = Router(tags=["discounts"])
runs_router = Router(tags=["billing runs"])
billing_memberships_router = Router(tags=["billing previews"])
webhooks_router = Router(tags=["webhooks"])

MINOR_UNITS = "Minor units (cents) of the currency"

Limit = Annotated[int, Field(ge=1, le=100)]
Offset = Annotated[int, Field(ge=0)]


def unknown(field: str, noun: str, object_id: int) -> ValidationFailed:
    """A record named in a body or a filter that does not exist: the field is wrong, the
    resource addressed is not missing."""
    return ValidationFailed.single(field, f"There is no {noun} with id {object_id}.", "not_found")


@contextmanager
def body_field_names(names: Mapping[str, str]) -> Iterator[None]:
    """The services name a field as their arguments do ("payment"); the API's body names it
    as integrators send it ("payment_id")."""
    try:
        yield
    except ValidationFailed as error:
        renamed = type(error)(
            [
                FieldError(names.get(item.field, item.field), item.message, item.code)
                for item in error.errors
            ],
            error.message,
        )
        renamed.code = error.code
        raise renamed from error
