"""Employers who pay for their people's memberships."""

from django.db import models
from django.db.models import Q

from careloop.memberships.models.catalog import Plan


class SponsorShare(models.TextChoices):
    ALL = "all", "Pays the whole price"
    FIXED = "fixed", "Pays a fixed amount per member"


class Sponsor(models.Model):
    name = models.CharField(max_length=200, unique=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    share = models.CharField(max_length=10, choices=SponsorShare.choices, default=SponsorShare.ALL)
    fixed_share_amount = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minor units per member per month, for a fixed share."
    )
    plans = models.ManyToManyField(Plan, related_name="sponsors", blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share="all", fixed_share_amount__isnull=True)
                | Q(share="fixed", fixed_share_amount__isnull=False),
                name="sponsor_fixed_share_has_an_amount",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RosterEntry(models.Model):
    """A person the sponsor covers, between two dates (termination exclusive)."""

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="roster")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="sponsor_roster_entries"
    )
    effective_on = models.DateField()
    terminated_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["sponsor", "effective_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(terminated_on__isnull=True)
                | Q(terminated_on__gt=models.F("effective_on")),
                name="roster_entry_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["sponsor", "patient"],
                condition=Q(terminated_on__isnull=True),
                name="roster_entry_one_open_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} on {self.sponsor}"
