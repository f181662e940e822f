from datetime import timedelta

from django.apps import AppConfig

# The sweep is what guarantees delivery (retries, crashed workers, lost enqueues); the task
# enqueued on commit only makes the common case immediate. 15 seconds bounds the delay of a
# message whose enqueue was lost, at the cost of one cheap indexed query per slot.
SWEEP_INTERVAL = timedelta(seconds=15)


class NotificationsConfig(AppConfig):
    name = "careloop.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from careloop.core.periodic import PeriodicJob, register
        from careloop.notifications.tasks import deliver_due_notifications

        register(
            PeriodicJob(
                name="deliver_due_notifications",
                every=SWEEP_INTERVAL,
                task=deliver_due_notifications,
            )
        )
