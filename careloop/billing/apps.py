from datetime import timedelta

from django.apps import AppConfig

# The daily run is idempotent; an hourly job starts it soon after midnight in the clinic's
# time zone and finds nothing to do the rest of the day.
BILLING_RUN_INTERVAL = timedelta(hours=1)
# Retries of failed charges and attempts the gateway has not answered yet.
SETTLE_INTERVAL = timedelta(minutes=15)


class BillingConfig(AppConfig):
    name = "careloop.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from careloop.billing.services.membership_billing import on_membership_changed
        from careloop.billing.services.runs import changes_held_for_billing
        from careloop.billing.tasks import billing_run_daily, payments_settle
        from careloop.core.periodic import PeriodicJob, register
        from careloop.memberships.events import hold_changes, listen

        listen(on_membership_changed)
        hold_changes(changes_held_for_billing)
        register(
            PeriodicJob(
                name="billing_run_daily", every=BILLING_RUN_INTERVAL, task=billing_run_daily
            )
        )
        register(
            PeriodicJob(name="billing_payments_settle", every=SETTLE_INTERVAL, task=payments_settle)
        )
