"""The billing overview: today's run, the failed-payments queue, renewals, risks, revenue."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability, has_capability
from careloop.audit.services import audit_record
from careloop.billing.proration import add_months
from careloop.billing.selectors.overview import (
    failed_payments,
    latest_run,
    memberships_at_risk,
    month_revenue,
    upcoming_renewals,
)
from careloop.billing.services.runs import billing_run
from careloop.core import clock
from careloop.core.selectors import clinic_settings
from careloop.web.decorators import staff_view
from careloop.web.money import format_money
from careloop.web.staff.billing.forms import ReasonForm
from careloop.web.staff.patients.views.common import acting_user

RENEWAL_DAYS = 30


@staff_view(Capability.BILLING_VIEW)
def billing_overview(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    today = clock.today()
    queue = failed_payments()
    renewals = upcoming_renewals(today=today, days=RENEWAL_DAYS)
    risks = memberships_at_risk()
    patient_ids = sorted(
        {row.invoice.account.patient_id for row in queue if row.invoice.account.patient_id}
        | {row.membership.payer_patient_id for row in renewals if row.membership.payer_patient_id}
        | {row.membership.payer_patient_id for row in risks if row.membership.payer_patient_id}
    )
    if patient_ids:
        audit_record(
            action="billing.overview",
            actor=user,
            object_type="invoice",
            detail={"patient_ids": patient_ids},
        )
    this_month = today.replace(day=1)
    return render(
        request,
        "staff/billing/overview.html",
        {
            "today": today,
            "run": latest_run(),
            "queue": queue,
            "renewals": renewals,
            "renewal_days": RENEWAL_DAYS,
            "risks": risks,
            "revenue": [month_revenue(this_month), month_revenue(add_months(this_month, -1))],
            "can_run": has_capability(user, Capability.BILLING_MANAGE),
            "can_collect": has_capability(user, Capability.BILLING_COLLECT),
            "can_manage": has_capability(user, Capability.BILLING_MANAGE),
            "can_change_membership": has_capability(user, Capability.MEMBERSHIP_CHANGE),
            "reason_form": ReasonForm(),
        },
    )


@require_POST
@staff_view(Capability.BILLING_MANAGE)
def billing_run_now(request: HttpRequest) -> HttpResponse:
    """Run billing for today in this request: issue what is due, charge it, retry, notify."""
    run = billing_run(as_of=clock.today(), actor=acting_user(request))
    amount = format_money(run.amount_invoiced, clinic_settings().currency)
    summary = (
        f"Billing run for {run.as_of.isoformat()} finished: {run.invoices_issued} invoice"
        f"{'' if run.invoices_issued == 1 else 's'} issued for "
        f"{amount}, {run.charges_succeeded} paid, "
        f"{run.charges_failed} failed."
    )
    if run.errors:
        messages.warning(request, f"{summary} {run.errors} membership(s) could not be billed.")
    else:
        messages.success(request, summary)
    return redirect("staff:billing_overview")
