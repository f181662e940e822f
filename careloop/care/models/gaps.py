"""Care gaps: an occurrence past its window's end that is neither done, skipped nor cancelled."""

from django.db import models

from careloop.care.models.care_plans import CareTask


class GapStep(models.IntegerChoices):
    FLAGGED = 1, "Flagged (assignee or role notified)"
    ESCALATED = 2, "Escalated (care coordinators notified)"


class CareGapStep(models.Model):
    """One escalation step taken for one task's care gap, recorded once.

    The unique (task, step) constraint is what makes "notify once" hold across reruns and
    concurrent workers: a step's notices are written in the same transaction as its row, so
    a worker that loses the race to insert the row rolls back and notifies nobody. Rows stay
    after the task is done or skipped, so the figures can count the gap.
    """

    task = models.ForeignKey(CareTask, on_delete=models.CASCADE, related_name="gap_steps")
    step = models.PositiveSmallIntegerField(choices=GapStep.choices)
    taken_on = models.DateField()
    recorded_at = models.DateTimeField()
    notified = models.PositiveSmallIntegerField(default=0, help_text="Notices written.")

    class Meta:
        ordering = ["task", "step"]
        constraints = [
            models.UniqueConstraint(fields=["task", "step"], name="care_gap_step_once"),
            models.CheckConstraint(
                condition=models.Q(step__in=[choice.value for choice in GapStep]),
                name="care_gap_step_is_known",
            ),
        ]

    def __str__(self) -> str:
        return f"gap step {self.step} of task {self.task_id}"
