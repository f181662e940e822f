"""Care plans (a protocol applied to one patient), their activities, tasks and history."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.accounts.roles import Role
from careloop.care.models.protocols import Activity, Protocol
from careloop.care.models.timing_columns import ActivityFields


class CarePlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"
    ENDED = "ended", "Ended"


OPEN_PLAN_STATUSES = (CarePlanStatus.ACTIVE, CarePlanStatus.SUSPENDED)


class CarePlan(models.Model):
    """A protocol applied to one patient, from a membership's plan or by hand.

    `active_since` is the day generation last (re)started: occurrences that fell due while the
    plan was suspended are not created afterwards. A patient has a protocol open at most once.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="care_plans"
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="care_plans")
    membership = models.ForeignKey(
        "memberships.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_plans",
    )
    status = models.CharField(
        max_length=10, choices=CarePlanStatus.choices, default=CarePlanStatus.ACTIVE
    )
    started_on = models.DateField()
    active_since = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "protocol"],
                condition=Q(status__in=["active", "suspended"]),
                name="care_plan_one_open_per_protocol",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in CarePlanStatus]),
                name="care_plan_status_is_known",
            ),
        ]
        indexes = [models.Index(fields=["status", "id"], name="care_plan_status")]

    def __str__(self) -> str:
        return f"{self.protocol} for patient {self.patient_id}"


class CarePlanChange(models.Model):
    """History of a care plan's status: every transition, by whom, why, from when."""

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, choices=CarePlanStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=CarePlanStatus.choices)
    effective_on = models.DateField()
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["care_plan", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


class CareActivity(ActivityFields):
    """A care plan's own copy of an activity, so later protocol edits leave the plan alone.

    `activity` is the protocol activity it was copied from (none when staff added it);
    occurrences are timed from `starts_on`.
    """

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="activities")
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    starts_on = models.DateField()
    added_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["care_plan", "order", "id"]
        verbose_name_plural = "care activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in care plan {self.care_plan_id}"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


UNFINISHED_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class CareTask(models.Model):
    """One occurrence of a care activity: due on a date, with a window around it.

    The database refuses a second occurrence of the same activity and index, so several
    workers generating at once create each occurrence once. `completed_on` is the day the
    task was done or skipped (an activity timed from completion counts from it).
    """

    care_plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="tasks")
    care_activity = models.ForeignKey(CareActivity, on_delete=models.PROTECT, related_name="tasks")
    index = models.PositiveIntegerField()
    due_on = models.DateField()
    scheduled_on = models.DateField(help_text="The due date as generated, before any reschedule.")
    window_start = models.DateField()
    window_end = models.DateField()
    status = models.CharField(max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    role = models.CharField(max_length=20, choices=Role.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_tasks",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["care_activity", "index"], name="care_task_one_per_occurrence"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in TaskStatus]),
                name="care_task_status_is_known",
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("due_on"))
                & Q(window_end__gte=models.F("due_on")),
                name="care_task_due_within_window",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="care_task_status_due"),
            models.Index(fields=["assignee", "status"], name="care_task_assignee_status"),
            # The queues read unfinished tasks in due-date order: these partial indexes hold
            # only those and end with the sort columns, so a page is read without a sort
            # (checked on PostgreSQL with 60,000 tasks; see docs/care.md).
            models.Index(
                fields=["role", "due_on", "id"],
                condition=Q(status__in=["open", "in_progress"]),
                name="care_task_open_role",
            ),
            models.Index(
                fields=["assignee", "due_on", "id"],
                condition=Q(status__in=["open", "in_progress"]),
                name="care_task_open_assignee",
            ),
            models.Index(
                fields=["due_on", "id"],
                condition=Q(status__in=["open", "in_progress"]),
                name="care_task_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"occurrence {self.index} of care activity {self.care_activity_id}"


class CareTaskChange(models.Model):
    """History of a task: status changes, reschedules and reassignments; who, when, why."""

    task = models.ForeignKey(CareTask, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, choices=TaskStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=TaskStatus.choices)
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["task", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status or 'new'} -> {self.to_status}"
