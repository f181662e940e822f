"""Response-time clocks: one per patient message, due after the plan's business hours."""

from django.db import models
from django.db.models import Q

from careloop.messaging.models.threads import Message, Thread


class ResponseClock(models.Model):
    """The response-time target of one patient message.

    `plan` is the tier the target came from, `patient` the thread's patient, `responder` the
    person whose reply answered it and `response_business_seconds` the business time the
    reply took, all fixed when they happen, so the figures per plan and person are counts
    and medians over this one table, with no replay of the calendar and no join. `warn_at`
    and `due_at` are computed when the message arrives (business hours, holidays and time
    zone as they were then). A staff reply answers every waiting clock of the thread;
    closing the thread stops them. `warned_at` and `breached_at` are set by a
    conditional UPDATE (only while still empty) in the same transaction as the notices, so
    each warning and breach is sent once however many workers sweep at the same time.
    """

    message = models.OneToOneField(Message, on_delete=models.PROTECT, related_name="clock")
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="clocks")
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The thread's patient, kept so the figures count members without a join.",
    )
    plan = models.ForeignKey(
        "memberships.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_business_hours = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responder = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The person whose reply answered the message, kept for the figures per person.",
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    response_business_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Business time from the message to the reply."
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_business_hours__gt=0), name="response_clock_has_a_target"
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("warn_at"))
                & Q(warn_at__gte=models.F("started_at")),
                name="response_clock_warns_before_due",
            ),
        ]
        indexes = [
            models.Index(
                fields=["warn_at"],
                condition=Q(
                    warned_at__isnull=True, answered_at__isnull=True, stopped_at__isnull=True
                ),
                name="response_clock_to_warn",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(
                    breached_at__isnull=True, answered_at__isnull=True, stopped_at__isnull=True
                ),
                name="response_clock_to_breach",
            ),
            models.Index(fields=["thread", "started_at"], name="response_clock_thread"),
            models.Index(fields=["started_at"], name="response_clock_started"),
        ]

    def __str__(self) -> str:
        return f"response clock of message {self.message_id}"
