"""Reminders sent to patients about their care plan's work."""

from django.db import models

from careloop.care.models.care_plans import CareTask


class CareReminder(models.Model):
    """The one reminder a task's patient was sent, recorded once.

    The one-to-one key on the task is what makes "remind once" hold across reruns and
    several workers: the row and its outbox message commit together, so a run that loses the
    race to insert the row rolls back and sends nothing.
    """

    task = models.OneToOneField(CareTask, on_delete=models.CASCADE, related_name="reminder")
    sent_on = models.DateField()
    recorded_at = models.DateTimeField()
    channel = models.CharField(max_length=10, help_text="email or sms.")

    class Meta:
        ordering = ["task"]

    def __str__(self) -> str:
        return f"reminder of task {self.task_id}"
