"""The clinic's billing policy page."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from careloop.accounts.policy import Capability
from careloop.billing.models import BillingSettings
from careloop.billing.services.settings import billing_settings_update
from careloop.core.errors import ValidationFailed
from careloop.web.decorators import staff_view
from careloop.web.staff.billing.forms import BillingSettingsForm, show_errors
from careloop.web.staff.patients.views.common import acting_user


def _spaced(days: str) -> str:
    return ", ".join(part.strip() for part in days.split(",") if part.strip())


@staff_view(Capability.BILLING_MANAGE)
def billing_settings_edit(request: HttpRequest) -> HttpResponse:
    # Read without creating the row: showing the page must not write.
    current = BillingSettings.objects.order_by("id").first() or BillingSettings()
    form = BillingSettingsForm(
        request.POST or None,
        initial={
            "retry_days": _spaced(current.retry_days),
            "after_final_failure": current.after_final_failure,
            "renewal_notice_days": _spaced(current.renewal_notice_days),
            "overage_billing": current.overage_billing,
            "card_expiry_notice_days": current.card_expiry_notice_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            billing_settings_update(
                actor=acting_user(request),
                retry_days=data["retry_days"],
                after_final_failure=data["after_final_failure"],
                renewal_notice_days=data["renewal_notice_days"],
                overage_billing=data["overage_billing"],
                card_expiry_notice_days=data.get("card_expiry_notice_days"),
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, "Billing settings saved.")
            return redirect("staff:billing_settings")
    return render(
        request,
        "staff/billing/settings.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )
