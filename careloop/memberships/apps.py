from datetime import timedelta

from django.apps import AppConfig

# Scheduled changes take effect on a calendar date; a quarter-hour sweep applies them soon
# after midnight in the clinic's time zone at the cost of one indexed query per run.
SCHEDULED_CHANGES_INTERVAL = timedelta(minutes=15)
# Allowance grants for a new period; holds and uses write a missing grant themselves.
GRANTS_INTERVAL = timedelta(hours=1)


class MembershipsConfig(AppConfig):
    name = "careloop.memberships"
    label = "memberships"
    verbose_name = "Memberships"

    def ready(self) -> None:
        from careloop.core.periodic import PeriodicJob, register
        from careloop.memberships.tasks import (
            apply_due_scheduled_changes,
            grant_current_entitlements,
        )

        register(
            PeriodicJob(
                name="apply_due_scheduled_changes",
                every=SCHEDULED_CHANGES_INTERVAL,
                task=apply_due_scheduled_changes,
            )
        )
        register(
            PeriodicJob(
                name="grant_current_entitlements",
                every=GRANTS_INTERVAL,
                task=grant_current_entitlements,
            )
        )
