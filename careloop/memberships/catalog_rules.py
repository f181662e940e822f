"""Field checks shared by the catalog and sponsor services.

Each check raises ValidationFailed naming its field; `Checks` runs several and reports every
problem of one submission at once.
"""

import re
from collections.abc import Callable
from typing import Any, TypeVar

from careloop.core.errors import FieldError, ValidationFailed

T = TypeVar("T")

# $1,000,000.00: far above any clinic price, far below the database column's limit.
LARGEST_AMOUNT = 100_000_000
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


class Checks:
    """Collects field errors so one submission reports every problem at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, check: Callable[[], T], default: T) -> T:
        try:
            return check()
        except ValidationFailed as error:
            self.errors.extend(error.errors)
            return default

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.errors.append(FieldError(field, message, code))

    def has(self, field: str) -> bool:
        return any(error.field == field for error in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def text(field: str, value: Any, *, label: str, limit: int, required: bool = True) -> str:
    cleaned = str(value if value is not None else "").strip()
    if required and not cleaned:
        raise ValidationFailed.single(field, f"{label} is required.", "required")
    if len(cleaned) > limit:
        raise ValidationFailed.single(
            field, f"{label}: use at most {limit} characters (this has {len(cleaned)}).", "too_long"
        )
    return cleaned


def slug(field: str, value: Any, *, label: str) -> str:
    cleaned = text(field, value, label=label, limit=60).lower()
    if not _SLUG.match(cleaned):
        raise ValidationFailed.single(
            field,
            f"{label} “{cleaned}” may hold only lower-case letters, digits, hyphens and "
            "underscores, such as provider-visit.",
            "invalid_code",
        )
    return cleaned


def whole_number(
    field: str, value: Any, *, label: str, low: int = 0, high: int, required: bool = True
) -> int | None:
    """A whole number between `low` and `high`; None only when not required and empty."""
    if value is None or value == "":
        if required:
            raise ValidationFailed.single(field, f"{label} is required.", "required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.single(field, f"{label} must be a whole number.", "not_a_number")
    if value < low:
        message = f"{label} cannot be negative." if low == 0 else f"{label} must be at least {low}."
        raise ValidationFailed.single(field, message, "too_small")
    if value > high:
        raise ValidationFailed.single(field, f"{label} can be at most {high}.", "too_large")
    return value


def count(field: str, value: Any, *, label: str, low: int = 0, high: int) -> int:
    """A required whole number between `low` and `high`."""
    checked = whole_number(field, value, label=label, low=low, high=high)
    assert checked is not None
    return checked


def amount(field: str, value: Any, *, label: str) -> int:
    """Money in whole minor units (cents): never negative, never a fraction of a cent."""
    if isinstance(value, float):
        if not value.is_integer():
            raise ValidationFailed.single(
                field,
                f"{label} is in whole cents; {value} has a fraction of a cent.",
                "fractional_amount",
            )
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > LARGEST_AMOUNT:
        raise ValidationFailed.single(field, f"{label} can be at most $1,000,000.00.", "too_large")
    return count(field, value, label=label, high=LARGEST_AMOUNT)


def choice(field: str, value: Any, *, label: str, choices: list[tuple[str, str]]) -> str:
    values = [key for key, _ in choices]
    if value in values:
        return str(value)
    listed = ", ".join(values)
    if value is None or value == "":
        raise ValidationFailed.single(field, f"{label} is required: one of {listed}.", "required")
    raise ValidationFailed.single(
        field, f"{label} “{value}” is not one of {listed}.", "invalid_choice"
    )


def flag(field: str, value: Any, *, label: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ValidationFailed.single(field, f"{label} must be true or false.", "not_a_boolean")
