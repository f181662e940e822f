"""Checking an activity's fields (a protocol's or a care plan's) before it is written."""

from dataclasses import dataclass
from typing import Any

from careloop.accounts.roles import STAFF_ROLES
from careloop.care.models import ActivityKind
from careloop.care.timing import TIMING_COLUMNS, Timing, months_text, timing_from_columns
from careloop.core.errors import FieldError, ValidationFailed
from careloop.memberships.models import ServiceKind


@dataclass(frozen=True)
class ActivitySpec:
    """An activity as staff describe it: what, who, and when (the timing columns)."""

    kind: str
    role: str
    repeat: str
    every: int | None = None
    unit: str = ""
    calendar_months: str = ""
    day_of_month: int | None = None
    anchor: str = "previous_due"
    first_offset_days: int = 0
    end_after_occurrences: int | None = None
    end_after_months: int | None = None
    days_before: int = 7
    days_after: int = 14
    service_kind: str = ""
    instructions: str = ""
    order: int = 0


def activity_columns(spec: ActivitySpec) -> dict[str, Any]:
    """The model columns for `spec`, checked; a ValidationFailed naming every bad field."""
    errors: list[FieldError] = []
    if spec.kind not in ActivityKind.values:
        errors.append(
            FieldError("kind", f"Choose one of: {', '.join(ActivityKind.values)}.", "required")
        )
    if spec.role not in {role.value for role in STAFF_ROLES}:
        errors.append(
            FieldError(
                "role",
                "Choose the staff role that does it: "
                f"{', '.join(sorted(role.value for role in STAFF_ROLES))}.",
                "required",
            )
        )
    if spec.service_kind and spec.service_kind not in ServiceKind.values:
        errors.append(
            FieldError("service_kind", f"Choose one of: {', '.join(ServiceKind.values)}.")
        )
    if not 0 <= spec.order <= 1000:
        errors.append(FieldError("order", "Order must be from 0 to 1000.", "out_of_range"))
    timing: Timing | None = None
    try:
        timing = timing_from_columns(**{name: getattr(spec, name) for name in TIMING_COLUMNS})
    except ValidationFailed as failed:
        errors.extend(failed.errors)
    if errors or timing is None:
        raise ValidationFailed(errors)
    return {
        "kind": spec.kind,
        "role": spec.role,
        "service_kind": spec.service_kind,
        "instructions": spec.instructions.strip(),
        "order": spec.order,
        "repeat": timing.repeat.value,
        "every": timing.every,
        "unit": timing.unit.value if timing.unit else "",
        "calendar_months": months_text(timing.calendar_months),
        "day_of_month": timing.day_of_month,
        "anchor": timing.anchor.value,
        "first_offset_days": timing.first_offset_days,
        "end_after_occurrences": timing.end_after_occurrences,
        "end_after_months": timing.end_after_months,
        "days_before": timing.days_before,
        "days_after": timing.days_after,
    }
