"""Discount codes: the list, a new code, and taking one off offer."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability
from careloop.billing.models import Discount
from careloop.billing.services.discounts import discount_create, discount_deactivate
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Plan, PlanStatus
from careloop.web.decorators import staff_view
from careloop.web.staff.billing.forms import DiscountForm, show_errors
from careloop.web.staff.patients.views.common import acting_user


def _plan_choices() -> list[tuple[str, str]]:
    plans = Plan.objects.exclude(status=PlanStatus.RETIRED).order_by("kind", "rank", "name")
    return [(str(plan.pk), plan.name) for plan in plans]


@staff_view(Capability.BILLING_MANAGE)
def discount_list(request: HttpRequest) -> HttpResponse:
    """Every discount code with its use so far; the form below adds one."""
    form = DiscountForm(request.POST or None, plans=_plan_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            discount = discount_create(
                actor=acting_user(request),
                name=data.get("name") or "",
                code=data.get("code") or None,
                kind=data["kind"],
                percent_off=data.get("percent_off"),
                amount_off=data.get("amount_off"),
                duration=data["duration"],
                periods=data.get("periods"),
                expires_on=data.get("expires_on"),
                max_redemptions=data.get("max_redemptions"),
                plans=list(Plan.objects.filter(pk__in=[int(pk) for pk in data["plans"]])),
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, f"Discount code {discount.code} created.")
            return redirect("staff:billing_discount_list")
    discounts = (
        Discount.objects.filter(code__isnull=False)
        .prefetch_related("plans", "redemptions")
        .order_by("-active", "code")
    )
    return render(
        request,
        "staff/billing/discounts.html",
        {"discounts": discounts, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@staff_view(Capability.BILLING_MANAGE)
def discount_stop(request: HttpRequest, discount_id: int) -> HttpResponse:
    discount = get_object_or_404(Discount, pk=discount_id)
    discount_deactivate(actor=acting_user(request), discount=discount)
    messages.success(
        request,
        f"{discount} is no longer offered. Memberships that already have it keep it.",
    )
    return redirect("staff:billing_discount_list")
