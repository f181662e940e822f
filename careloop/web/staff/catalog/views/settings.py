from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import CancellationReason
from careloop.memberships.selectors.catalog import cancellation_reasons, membership_settings
from careloop.memberships.services import catalog
from careloop.web.decorators import staff_view
from careloop.web.staff.catalog.forms import ReasonForm, SettingsForm, show_errors
from careloop.web.staff.patients.views.common import acting_user


@staff_view(Capability.CATALOG_MANAGE)
def membership_settings_edit(request: HttpRequest) -> HttpResponse:
    current = membership_settings()
    form = SettingsForm(
        request.POST or None,
        initial={
            "past_due_coverage": current.past_due_coverage,
            "clinic_billing_day": current.clinic_billing_day,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            catalog.membership_settings_update(actor=acting_user(request), **form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, "Membership settings saved.")
            return redirect("staff:catalog_settings")
    return render(
        request,
        "staff/catalog/settings.html",
        {"form": form, "reasons": cancellation_reasons(), "reason_form": ReasonForm()},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@staff_view(Capability.CATALOG_MANAGE)
def reason_create(request: HttpRequest) -> HttpResponse:
    form = ReasonForm(request.POST)
    label = form.cleaned_data["label"] if form.is_valid() else ""
    try:
        reason = catalog.cancellation_reason_create(actor=acting_user(request), label=label)
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    else:
        messages.success(request, f"“{reason.label}” added to the cancellation reasons.")
    return redirect("staff:catalog_settings")


@require_POST
@staff_view(Capability.CATALOG_MANAGE)
def reason_update(request: HttpRequest, reason_id: int) -> HttpResponse:
    reason = get_object_or_404(CancellationReason, id=reason_id)
    label = request.POST.get("label")
    active = request.POST.get("active")
    try:
        catalog.cancellation_reason_update(
            actor=acting_user(request),
            reason=reason,
            label=label,
            active=None if active is None else active == "yes",
        )
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    else:
        messages.success(request, "Cancellation reason saved.")
    return redirect("staff:catalog_settings")
