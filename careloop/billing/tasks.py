"""Background tasks of billing. Each is idempotent: running one twice changes nothing twice."""

from django_tasks import task

from careloop.billing.models import BillingRun, RunStatus
from careloop.billing.services.collection import payment_attempts_settle
from careloop.billing.services.dunning import invoices_retry_due
from careloop.billing.services.overage import overage_invoice_due
from careloop.billing.services.runs import billing_run
from careloop.core import clock


@task()
def billing_run_daily() -> int:
    """Today's billing run, once a day (a finished run for today means there is nothing to do)."""
    today = clock.today()
    if BillingRun.objects.filter(as_of=today, status=RunStatus.FINISHED).exists():
        return 0
    return billing_run(as_of=today).pk


@task()
def payments_settle() -> int:
    """Settle attempts the gateway did not answer, retry failed charges that are due, and
    invoice uses beyond the allowance when the clinic bills them at once."""
    return payment_attempts_settle() + invoices_retry_due() + len(overage_invoice_due())
