"""The timing columns a protocol activity and its per-plan copy share."""

from functools import lru_cache
from typing import Any

from django.db import models

from careloop.accounts.roles import Role
from careloop.care.timing import (
    TIMING_COLUMNS,
    Anchor,
    Repeat,
    Timing,
    Unit,
    timing_from_columns,
)
from careloop.memberships.models import ServiceKind


class ActivityKind(models.TextChoices):
    CHECK_IN_VISIT = "check_in_visit", "Check-in visit"
    COACHING_SESSION = "coaching_session", "Coaching session"
    LAB_ORDER = "lab_order", "Lab order"
    PROGRESS_NOTE = "progress_note", "Progress note"
    QUESTIONNAIRE = "questionnaire", "Questionnaire"
    PATIENT_REMINDER = "patient_reminder", "Patient reminder"


class ActivityFields(models.Model):
    """What an activity is, who does it and when it falls due.

    The timing lives in plain columns (so the database can be queried and constrained) and is
    parsed into a `Timing` through `timing`; services check it with the same parser first.
    """

    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    role = models.CharField(max_length=20, choices=Role.choices)
    service_kind = models.CharField(
        max_length=30, choices=ServiceKind.choices, blank=True, help_text="Benefit it uses."
    )
    instructions = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    repeat = models.CharField(
        max_length=10, choices=[(value.value, value.value) for value in Repeat]
    )
    every = models.PositiveSmallIntegerField(null=True, blank=True)
    unit = models.CharField(
        max_length=10, blank=True, choices=[(value.value, value.value) for value in Unit]
    )
    calendar_months = models.CharField(max_length=40, blank=True, help_text="e.g. 1,4,7,10")
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    anchor = models.CharField(
        max_length=20,
        choices=[(value.value, value.value) for value in Anchor],
        default=Anchor.PREVIOUS_DUE.value,
    )
    first_offset_days = models.PositiveSmallIntegerField(default=0)
    end_after_occurrences = models.PositiveSmallIntegerField(null=True, blank=True)
    end_after_months = models.PositiveSmallIntegerField(null=True, blank=True)
    days_before = models.PositiveSmallIntegerField(default=7)
    days_after = models.PositiveSmallIntegerField(default=14)

    class Meta:
        abstract = True

    @property
    def timing(self) -> Timing:
        return _parsed(tuple(getattr(self, name) for name in TIMING_COLUMNS))


@lru_cache(maxsize=512)
def _parsed(values: tuple[Any, ...]) -> Timing:
    """The parsed timing of a row's column values. Every plan's copies of a protocol's
    activities share their columns, so the daily run parses each distinct timing once, not
    once per plan; a row that breaks a rule raises each time (exceptions are not cached)."""
    return timing_from_columns(**dict(zip(TIMING_COLUMNS, values, strict=True)))


ACTIVITY_FIELDS = (
    "kind",
    "role",
    "service_kind",
    "instructions",
    "order",
    "repeat",
    "every",
    "unit",
    "calendar_months",
    "day_of_month",
    "anchor",
    "first_offset_days",
    "end_after_occurrences",
    "end_after_months",
    "days_before",
    "days_after",
)
