from datetime import timedelta

from django.apps import AppConfig

# Work appears a horizon (14 days by default) before it falls due, so one sweep a day is
# enough; enrollment and completing a task generate their plan's next work at once.
GENERATE_INTERVAL = timedelta(days=1)


class CareConfig(AppConfig):
    name = "careloop.care"
    label = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        from careloop.care.services.cascade import on_membership_changed
        from careloop.care.tasks import care_gaps_escalate_daily, care_work_generate_daily
        from careloop.core.periodic import PeriodicJob, register
        from careloop.memberships.events import listen

        listen(on_membership_changed)
        register(
            PeriodicJob(
                name="care_work_generate", every=GENERATE_INTERVAL, task=care_work_generate_daily
            )
        )
        register(
            PeriodicJob(
                name="care_gaps_escalate", every=GENERATE_INTERVAL, task=care_gaps_escalate_daily
            )
        )
