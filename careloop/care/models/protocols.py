"""Protocols: templates of recurring care that plans carry."""

from django.db import models

from careloop.care.models.timing_columns import ActivityFields


class Protocol(models.Model):
    """A template of recurring care (monthly check-in, quarterly labs, ...).

    Enrolling in a plan applies every active protocol the plan carries; staff may also apply
    one by hand. Editing a protocol later never rewrites a care plan already applied.
    """

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    plans = models.ManyToManyField("memberships.Plan", blank=True, related_name="protocols")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Activity(ActivityFields):
    """One recurring activity of a protocol."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="activities")

    class Meta:
        ordering = ["protocol", "order", "id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.protocol}"
