from datetime import timedelta

from django.apps import AppConfig

# A reminder goes out within this long after its moment (2 hours before: by 1 h 55 min).
REMINDER_INTERVAL = timedelta(minutes=5)


class SchedulingConfig(AppConfig):
    name = "careloop.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from careloop.core.periodic import PeriodicJob, register
        from careloop.scheduling.tasks import appointment_reminders_due

        register(
            PeriodicJob(
                name="appointment_reminders_due",
                every=REMINDER_INTERVAL,
                task=appointment_reminders_due,
            )
        )
