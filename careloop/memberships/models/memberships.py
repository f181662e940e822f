"""Memberships: who pays for which plan, whom it covers, its lifecycle and scheduled changes."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.memberships.models.catalog import CancellationReason, Plan, PlanKind, PlanPrice
from careloop.memberships.models.sponsors import Sponsor
from careloop.memberships.periods import Interval


class MembershipStatus(models.TextChoices):
    PENDING = "pending", "Pending (no payment method yet)"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"
    ENDED = "ended", "Ended"


class Membership(models.Model):
    """One payer's subscription to a plan, covering one or more members.

    The payer is a patient or an employer sponsor, never both. Billing periods step from
    `anchor_date` by the interval, on `anchor_day` clamped to short months (see periods.py);
    when the anchor is later than the start date, [start_date, anchor_date) is a stub period.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="memberships")
    price = models.ForeignKey(PlanPrice, on_delete=models.PROTECT, related_name="memberships")
    interval = models.CharField(max_length=10, choices=Interval.choices)
    payer_patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships_paid",
    )
    sponsor = models.ForeignKey(
        Sponsor, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    status = models.CharField(
        max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.PENDING
    )
    start_date = models.DateField()
    anchor_date = models.DateField()
    anchor_day = models.PositiveSmallIntegerField()
    paused_on = models.DateField(null=True, blank=True)
    resumes_on = models.DateField(null=True, blank=True)
    cancelled_on = models.DateField(null=True, blank=True)
    cancellation_reason = models.ForeignKey(
        CancellationReason, null=True, blank=True, on_delete=models.PROTECT
    )
    cancellation_note = models.TextField(blank=True)
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(payer_patient__isnull=False, sponsor__isnull=True)
                | Q(payer_patient__isnull=True, sponsor__isnull=False),
                name="membership_has_one_payer",
            ),
            models.CheckConstraint(
                condition=Q(anchor_day__gte=1, anchor_day__lte=31),
                name="membership_anchor_day_in_month",
            ),
            models.CheckConstraint(
                condition=Q(anchor_date__gte=models.F("start_date")),
                name="membership_anchor_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in MembershipStatus]),
                name="membership_status_is_known",
            ),
        ]
        indexes = [models.Index(fields=["status", "plan"], name="membership_status_plan")]

    def __str__(self) -> str:
        return f"{self.plan} membership #{self.pk}"


class MemberRole(models.TextChoices):
    PRIMARY = "primary", "Primary member"
    ADULT = "adult", "Additional adult"
    CHILD = "child", "Child"


class MembershipMember(models.Model):
    """A patient covered by a membership from `joined_on` until `left_on` (exclusive).

    `plan` and `plan_kind` repeat the membership's so the database itself refuses a patient
    two open tiers, or the same program twice.
    """

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="members")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="membership_coverage"
    )
    role = models.CharField(max_length=10, choices=MemberRole.choices)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    plan_kind = models.CharField(max_length=10, choices=PlanKind.choices)
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["membership", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(left_on__isnull=True, plan_kind="tier"),
                name="member_one_open_tier",
            ),
            models.UniqueConstraint(
                fields=["patient", "plan"],
                condition=Q(left_on__isnull=True, plan_kind="program"),
                name="member_one_open_program_each",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="member_leaves_after_joining",
            ),
        ]

    def __str__(self) -> str:
        return f"patient {self.patient_id} in membership {self.membership_id}"


class StatusChange(models.Model):
    """History of a membership's status: every transition, by whom, why and from when."""

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="status_changes"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=10, choices=MembershipStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=MembershipStatus.choices)
    effective_on = models.DateField()
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["membership", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class ChangeKind(models.TextChoices):
    PLAN_CHANGE = "plan_change", "Change plan"
    INTERVAL_CHANGE = "interval_change", "Change billing interval"
    MEMBER_ADD = "member_add", "Add a household member"
    MEMBER_REMOVE = "member_remove", "Remove a household member"
    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    CANCEL = "cancel", "Cancel"
    PRICE_CHANGE = "price_change", "Price change"


class ChangeStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    APPLIED = "applied", "Applied"
    REVOKED = "revoked", "Revoked"


class ScheduledChange(models.Model):
    """A lifecycle action that takes effect on a date; visible and revocable until then.

    `details` holds the action's arguments (e.g. the new plan and price); services parse it
    into typed objects (careloop.memberships.changes) and never pass it around as a dict.
    """

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="scheduled_changes"
    )
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    effective_on = models.DateField()
    details = models.JSONField(default=dict)
    notice_on = models.DateField(null=True, blank=True, help_text="When the payer was told.")
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.SCHEDULED
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["effective_on", "id"]
        indexes = [models.Index(fields=["status", "effective_on"], name="scheduled_change_due")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.effective_on.isoformat()} ({self.status})"
