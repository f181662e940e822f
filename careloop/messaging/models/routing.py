"""Who answers: teams (pools of one staff role), routing rules per topic, out-of-office
periods with a cover, saved reply templates and the clinic's messaging policy."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.accounts.roles import Role


class Topic(models.TextChoices):
    CLINICAL_QUESTION = "clinical_question", "Clinical question"
    BILLING = "billing", "Billing"
    SCHEDULING = "scheduling", "Scheduling"
    REFILL = "refill", "Refill"
    LAB_RESULTS = "lab_results", "Lab results"
    OTHER = "other", "Other"


class Assignment(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Assign in turn"
    CLAIM = "claim", "Leave for claiming"


class MessagingTeam(models.Model):
    """A pool of staff who answer threads: the active staff of one role.

    `lead` hears about breaches. With round-robin assignment, `last_assignee` is where the
    turn stands; it is read and moved under this row's lock, so two threads routed at the
    same moment go to two people.
    """

    name = models.CharField(max_length=100, unique=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    assignment = models.CharField(
        max_length=12, choices=Assignment.choices, default=Assignment.CLAIM
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="patient"), name="messaging_team_role_is_staff"
            ),
            models.CheckConstraint(
                condition=Q(assignment__in=[choice.value for choice in Assignment]),
                name="messaging_team_assignment_is_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingTarget(models.TextChoices):
    TEAM = "team", "The team's pool"
    PRIMARY_PROVIDER = "primary_provider", "The patient's primary provider"
    COACH = "coach", "The patient's health coach"


class RoutingRule(models.Model):
    """Where a new thread on a topic goes: one rule per topic.

    Every rule names a team: the pool for a team target, and for a care team target the
    team whose inbox holds the thread (and takes it when the patient has nobody in that
    role). A rule pointing nowhere is refused when it is saved (services/routing.py).
    """

    topic = models.CharField(max_length=20, choices=Topic.choices, unique=True)
    target = models.CharField(max_length=20, choices=RoutingTarget.choices)
    team = models.ForeignKey(MessagingTeam, on_delete=models.PROTECT, related_name="rules")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["topic"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__in=[choice.value for choice in RoutingTarget]),
                name="routing_rule_target_is_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} -> {self.get_target_display()}"


class OutOfOffice(models.Model):
    """A staff member away between two instants; routing gives their threads to `cover`.

    Without a cover (or when the cover is away too) the thread goes to the team's pool.
    Scheduling's TimeOff is a provider's calendar and names no cover, so messaging keeps its
    own (see docs/architecture.md).
    """

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="out_of_office"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    cover = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="covering",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["staff", "starts_at"]
        verbose_name_plural = "out of office"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="out_of_office_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(cover=models.F("staff")), name="out_of_office_cover_is_another"
            ),
        ]
        indexes = [models.Index(fields=["staff", "ends_at"], name="out_of_office_staff_end")]

    def __str__(self) -> str:
        return f"staff {self.staff_id} away from {self.starts_at.isoformat()}"


class ReplyTemplate(models.Model):
    """A saved reply staff start from; plain text, optionally offered for one topic."""

    name = models.CharField(max_length=100, unique=True)
    topic = models.CharField(max_length=20, choices=Topic.choices, blank=True)
    body = models.TextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="reply_template_has_a_body"),
        ]

    def __str__(self) -> str:
        return self.name


class LapsedMembershipMessaging(models.TextChoices):
    WARN = "warn", "Let them write, with a warning"
    BLOCK = "block", "Refuse new messages"


class MessagingSettings(models.Model):
    """Clinic-wide messaging policy; one row (defaults apply while there is none).

    `past_due_messaging` says what a patient whose membership is past due may do: write with
    a warning, or not write until it is paid (the same choice scheduling offers for booking).
    Paused, cancelled and ended memberships never write.
    """

    past_due_messaging = models.CharField(
        max_length=10,
        choices=LapsedMembershipMessaging.choices,
        default=LapsedMembershipMessaging.WARN,
    )

    class Meta:
        verbose_name = "messaging settings"
        verbose_name_plural = "messaging settings"

    def __str__(self) -> str:
        return "messaging settings"
