from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone such as America/Chicago.")


@dataclass(frozen=True)
class OpeningHours:
    weekday: int  # Monday is 0, as in date.weekday()
    opens: time
    closes: time


def default_business_hours() -> list[dict[str, Any]]:
    return [{"weekday": day, "opens": "08:00", "closes": "17:00"} for day in range(5)]


class ClinicSettings(models.Model):
    """The clinic's identity and calendar; one row (Careloop serves one clinic per database)."""

    name = models.CharField(max_length=200, default="Careloop Clinic")
    time_zone = models.CharField(
        max_length=64, default="America/Chicago", validators=[validate_time_zone]
    )
    currency = models.CharField(max_length=3, default="USD")
    business_hours = models.JSONField(default=default_business_hours)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"

    def __str__(self) -> str:
        return self.name

    def opening_hours(self) -> list[OpeningHours]:
        return [
            OpeningHours(
                weekday=int(entry["weekday"]),
                opens=time.fromisoformat(entry["opens"]),
                closes=time.fromisoformat(entry["closes"]),
            )
            for entry in self.business_hours
        ]


class Holiday(models.Model):
    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date.isoformat()})"


class PeriodicRun(models.Model):
    """One enqueue of a periodic job for one time slot.

    The unique (name, slot_start) is what makes several workers ticking at the same moment
    enqueue a job once per slot: the second insert fails and that worker skips the job.
    """

    name = models.CharField(max_length=100)
    slot_start = models.DateTimeField()
    enqueued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["name", "slot_start"], name="periodic_run_once_per_slot"
            )
        ]
        indexes = [models.Index(fields=["slot_start"], name="periodic_run_slot")]

    def __str__(self) -> str:
        return f"{self.name} at {self.slot_start.isoformat()}"
