"""Writes to the clinic's settings and holidays. Only a practice admin may make them."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from django.db import IntegrityError, transaction

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, require_capability
from careloop.audit.services import audit_record
from careloop.core.currencies import CURRENCIES
from careloop.core.errors import FieldError, NotFound, ValidationFailed
from careloop.core.models import ClinicSettings, Holiday
from careloop.core.selectors import clinic_settings, time_zone_names

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLINIC_NAME_MAX_LENGTH = ClinicSettings._meta.get_field("name").max_length or 200
HOLIDAY_NAME_MAX_LENGTH = Holiday._meta.get_field("name").max_length or 120
_CLOCK_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class OpeningHoursInput:
    """One open weekday as entered: Monday is 0, times as "HH:MM" on a 24-hour clock.

    Weekdays without an entry are closed.
    """

    weekday: int
    opens: str
    closes: str


def _business_hours_errors(
    business_hours: Sequence[OpeningHoursInput],
) -> tuple[list[dict[str, object]], list[FieldError]]:
    stored: list[dict[str, object]] = []
    errors: list[FieldError] = []
    seen: set[int] = set()
    for entry in business_hours:
        if not 0 <= entry.weekday <= 6:
            errors.append(
                FieldError("business_hours", "A weekday must be 0 (Monday) to 6 (Sunday).")
            )
            continue
        day = WEEKDAY_NAMES[entry.weekday]
        prefix = f"business_hours.{entry.weekday}"
        if entry.weekday in seen:
            errors.append(FieldError(prefix, f"{day} is listed twice.", "duplicate"))
            continue
        seen.add(entry.weekday)
        times: dict[str, time] = {}
        for part, value in (("opens", entry.opens), ("closes", entry.closes)):
            text = value.strip()
            if not _CLOCK_TIME.match(text):
                label = "opening" if part == "opens" else "closing"
                errors.append(
                    FieldError(
                        f"{prefix}.{part}",
                        f"{day}: enter the {label} time as HH:MM on a 24-hour clock, "
                        "such as 08:30 or 17:00.",
                        "time_format",
                    )
                )
                continue
            times[part] = time.fromisoformat(text)
        if len(times) == 2:
            if times["opens"] >= times["closes"]:
                errors.append(
                    FieldError(
                        f"{prefix}.closes",
                        f"{day}: the closing time must be after the opening time.",
                        "closes_before_opens",
                    )
                )
                continue
            stored.append(
                {
                    "weekday": entry.weekday,
                    "opens": times["opens"].strftime("%H:%M"),
                    "closes": times["closes"].strftime("%H:%M"),
                }
            )
    stored.sort(key=lambda item: int(str(item["weekday"])))
    return stored, errors


def clinic_settings_update(
    *,
    actor: User,
    name: str,
    time_zone: str,
    currency: str,
    business_hours: Sequence[OpeningHoursInput],
) -> ClinicSettings:
    """Change the clinic's name, time zone, currency and weekly opening hours.

    Every field is checked before anything is saved, so one submission reports every problem.
    The audit row names the fields that changed, not their values.
    """
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors: list[FieldError] = []
    cleaned_name = name.strip()
    if not cleaned_name:
        errors.append(FieldError("name", "Clinic name is required.", "required"))
    elif len(cleaned_name) > CLINIC_NAME_MAX_LENGTH:
        errors.append(
            FieldError("name", f"Use at most {CLINIC_NAME_MAX_LENGTH} characters.", "too_long")
        )
    cleaned_zone = time_zone.strip()
    if cleaned_zone not in time_zone_names():
        errors.append(
            FieldError(
                "time_zone",
                f"“{cleaned_zone}” is not an IANA time zone. Choose one from the list, "
                "such as America/Chicago.",
                "unknown_time_zone",
            )
        )
    cleaned_currency = currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", cleaned_currency):
        errors.append(
            FieldError(
                "currency",
                "Enter a three-letter ISO 4217 currency code, such as USD.",
                "currency_format",
            )
        )
    elif cleaned_currency not in CURRENCIES:
        errors.append(
            FieldError(
                "currency",
                f"Careloop does not support {cleaned_currency} yet. Supported: "
                f"{', '.join(sorted(CURRENCIES))}.",
                "unsupported_currency",
            )
        )
    hours, hour_errors = _business_hours_errors(business_hours)
    errors.extend(hour_errors)
    if errors:
        raise ValidationFailed(errors)

    with transaction.atomic():
        # The first save creates the row that reads have so far answered with defaults.
        row, _ = ClinicSettings.objects.select_for_update().get_or_create(
            pk=clinic_settings().pk or 1
        )
        values = {
            "name": cleaned_name,
            "time_zone": cleaned_zone,
            "currency": cleaned_currency,
            "business_hours": hours,
        }
        changed = [field for field, value in values.items() if getattr(row, field) != value]
        for field, value in values.items():
            setattr(row, field, value)
        row.save()
        audit_record(
            action="clinic.settings_update",
            actor=actor,
            object_type="clinic_settings",
            object_id=row.pk,
            detail={"fields": changed},
        )
    return row


def holiday_add(*, actor: User, date: date | None, name: str) -> Holiday:
    """Mark a date as a clinic holiday; each date can be a holiday once."""
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    errors: list[FieldError] = []
    cleaned_name = name.strip()
    if date is None:
        errors.append(FieldError("date", "Holiday date is required.", "required"))
    if not cleaned_name:
        errors.append(FieldError("name", "Holiday name is required.", "required"))
    elif len(cleaned_name) > HOLIDAY_NAME_MAX_LENGTH:
        errors.append(
            FieldError("name", f"Use at most {HOLIDAY_NAME_MAX_LENGTH} characters.", "too_long")
        )
    if errors:
        raise ValidationFailed(errors)
    assert date is not None
    duplicate = ValidationFailed.single(
        "date",
        f"{date.isoformat()} is already a holiday. Remove it first to rename it.",
        "duplicate",
    )
    if Holiday.objects.filter(date=date).exists():
        raise duplicate
    try:
        with transaction.atomic():
            holiday = Holiday.objects.create(date=date, name=cleaned_name)
            audit_record(
                action="clinic.holiday_add",
                actor=actor,
                object_type="holiday",
                object_id=holiday.pk,
                detail={"fields": ["date", "name"]},
            )
    except IntegrityError as error:
        # Someone added the same date between the check and the insert.
        raise duplicate from error
    return holiday


def holiday_remove(*, actor: User, holiday_id: int) -> None:
    require_capability(actor, Capability.CLINIC_CONFIGURE)
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().filter(pk=holiday_id).first()
        if holiday is None:
            raise NotFound("No such holiday; it may have been removed already.")
        holiday.delete()
        audit_record(
            action="clinic.holiday_remove",
            actor=actor,
            object_type="holiday",
            object_id=holiday_id,
            detail={"fields": ["date", "name"]},
        )
