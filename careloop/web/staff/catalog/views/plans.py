from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability, has_capability
from careloop.core.errors import Conflict, ValidationFailed
from careloop.memberships.models import Benefit, Plan, PlanStatus
from careloop.memberships.periods import Interval
from careloop.memberships.selectors.catalog import (
    plan_benefits,
    plan_price_table,
    plans_with_counts,
    services_list,
)
from careloop.memberships.services import catalog
from careloop.web.decorators import staff_view
from careloop.web.money import dollars
from careloop.web.staff.catalog.forms import BenefitForm, PlanForm, PriceForm, show_errors
from careloop.web.staff.catalog.views.common import render_form
from careloop.web.staff.patients.views.common import acting_user

MEMBERS_WARNING = (
    "This plan has {count} membership{plural}: changes to its terms and benefits reach them "
    "from their next period."
)


def _plan(plan_id: int) -> Plan:
    return get_object_or_404(Plan, id=plan_id)


def _members_warning(plan: Plan) -> str:
    count = plan.memberships.exclude(status="ended").count()
    if not count:
        return ""
    return MEMBERS_WARNING.format(count=count, plural="" if count == 1 else "s")


@staff_view(Capability.CATALOG_VIEW)
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = list(plans_with_counts())
    monthly = {
        price.plan_id: price
        for plan in plans
        for price in plan.prices.all()
        if price.current and price.interval == Interval.MONTHLY
    }
    return render(
        request,
        "staff/catalog/plan_list.html",
        {
            "rows": [(plan, monthly.get(plan.id)) for plan in plans],
            "can_manage": has_capability(acting_user(request), Capability.CATALOG_MANAGE),
        },
    )


@staff_view(Capability.CATALOG_VIEW)
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(plan_id)
    user = acting_user(request)
    return render(
        request,
        "staff/catalog/plan_detail.html",
        {
            "plan": plan,
            "prices": plan_price_table(plan),
            "benefits": plan_benefits(plan),
            "membership_count": plan.memberships.exclude(status="ended").count(),
            "can_manage": has_capability(user, Capability.CATALOG_MANAGE),
            "next_status": next(iter(catalog.PLAN_STATUS_TRANSITIONS[plan.status]), None),
        },
    )


def _plan_initial(plan: Plan) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(plan, name) for name in catalog.PLAN_FIELDS}
    for name in ("enrollment_fee", "early_termination_fee", "pause_fee_per_month"):
        initial[name] = dollars(initial[name])
    return initial


@staff_view(Capability.CATALOG_MANAGE)
def plan_create(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, initial=catalog.PLAN_DEFAULTS | {"enrollment_fee": ""})
    if request.method == "POST" and form.is_valid():
        try:
            plan = catalog.plan_create(actor=acting_user(request), **form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(
                request, f"“{plan.name}” created as a draft. Give it prices and benefits next."
            )
            return redirect("staff:catalog_plan_detail", plan_id=plan.id)
    return render_form(
        request,
        form,
        title="Design a plan",
        submit="Create draft",
        cancel_url=reverse("staff:catalog_plan_list"),
        intro="A new plan starts as a draft: nobody can enroll in it until you put it on sale.",
    )


@staff_view(Capability.CATALOG_MANAGE)
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(plan_id)
    form = PlanForm(request.POST or None, initial=_plan_initial(plan))
    if request.method == "POST" and form.is_valid():
        try:
            catalog.plan_update(actor=acting_user(request), plan=plan, **form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, f"“{plan.name}” saved.")
            return redirect("staff:catalog_plan_detail", plan_id=plan.id)
    return render_form(
        request,
        form,
        title=f"Edit {plan.name}",
        submit="Save changes",
        cancel_url=reverse("staff:catalog_plan_detail", args=[plan.id]),
        warning=_members_warning(plan),
    )


@require_POST
@staff_view(Capability.CATALOG_MANAGE)
def plan_status(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(plan_id)
    status = request.POST.get("status", "")
    try:
        catalog.plan_update(actor=acting_user(request), plan=plan, status=status)
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    else:
        done = {PlanStatus.ACTIVE: "is on sale", PlanStatus.RETIRED: "is retired"}
        messages.success(request, f"“{plan.name}” {done.get(PlanStatus(status), 'saved')}.")
    return redirect("staff:catalog_plan_detail", plan_id=plan.id)


@require_POST
@staff_view(Capability.CATALOG_MANAGE)
def plan_delete(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(plan_id)
    try:
        catalog.plan_delete(actor=acting_user(request), plan=plan)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("staff:catalog_plan_detail", plan_id=plan.id)
    messages.success(request, f"Draft “{plan.name}” deleted.")
    return redirect("staff:catalog_plan_list")


@staff_view(Capability.CATALOG_MANAGE)
def price_set(request: HttpRequest, plan_id: int, interval: str) -> HttpResponse:
    plan = _plan(plan_id)
    if interval not in Interval.values:
        raise Http404("No such billing interval.")
    current = plan.prices.filter(interval=interval, current=True).first()
    initial: dict[str, Any] = {"child_age_limit": 18}
    if current is not None:
        initial = {
            "amount": dollars(current.amount),
            "additional_adult_amount": dollars(current.additional_adult_amount),
            "child_amount": dollars(current.child_amount),
            "child_age_limit": current.child_age_limit,
        }
    form = PriceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            price = catalog.plan_price_set(
                actor=acting_user(request), plan=plan, interval=interval, **form.values()
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            label = Interval(interval).label.lower()
            messages.success(request, f"{plan.name} {label} price saved (version {price.version}).")
            return redirect("staff:catalog_plan_detail", plan_id=plan.id)
    in_use = current is not None and (
        plan.status != PlanStatus.DRAFT or current.memberships.exists()
    )
    return render_form(
        request,
        form,
        title=f"{plan.name}: {Interval(interval).label.lower()} price",
        submit="Save price",
        cancel_url=reverse("staff:catalog_plan_detail", args=[plan.id]),
        intro=(
            "Household pricing: the primary member pays the price, each additional adult and "
            "each child pays their amount on top."
        ),
        warning=(
            "Saving creates a new price version for new enrollments; existing members keep "
            "the price they have until you schedule a price change for them."
            if in_use
            else ""
        ),
    )


def _service_choices(benefit: Benefit | None) -> list[tuple[int, str]]:
    services = list(services_list(active_only=True))
    if benefit is not None and benefit.service not in services:
        services.append(benefit.service)
    return [(service.id, service.name) for service in services]


def _benefit_form_page(request: HttpRequest, plan: Plan, benefit: Benefit | None) -> HttpResponse:
    initial: dict[str, Any] = {"allowance_period": "month", "rollover": "none"}
    if benefit is not None:
        initial = {
            "service_id": benefit.service_id,
            "allowance": benefit.allowance,
            "unlimited": benefit.allowance is None,
            "allowance_period": benefit.allowance_period,
            "rollover": benefit.rollover,
            "rollover_cap": benefit.rollover_cap,
            "rollover_expires_after_periods": benefit.rollover_expires_after_periods,
            "member_price": dollars(benefit.member_price),
            "member_discount_percent": benefit.member_discount_percent,
        }
    form = BenefitForm(request.POST or None, initial=initial, services=_service_choices(benefit))
    if benefit is not None:
        form.fields["service_id"].disabled = True
    if request.method == "POST" and form.is_valid():
        values = form.values()
        if benefit is not None:
            values["service_id"] = benefit.service_id
        try:
            saved = catalog.benefit_set(actor=acting_user(request), plan=plan, **values)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{saved.service.name} saved in {plan.name}.")
            return redirect("staff:catalog_plan_detail", plan_id=plan.id)
    return render_form(
        request,
        form,
        title=f"{plan.name}: {'edit ' + benefit.service.name if benefit else 'add a benefit'}",
        submit="Save benefit",
        cancel_url=reverse("staff:catalog_plan_detail", args=[plan.id]),
        warning=_members_warning(plan),
    )


@staff_view(Capability.CATALOG_MANAGE)
def benefit_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _benefit_form_page(request, _plan(plan_id), None)


@staff_view(Capability.CATALOG_MANAGE)
def benefit_edit(request: HttpRequest, plan_id: int, service_id: int) -> HttpResponse:
    plan = _plan(plan_id)
    benefit = get_object_or_404(Benefit, plan=plan, service_id=service_id)
    return _benefit_form_page(request, plan, benefit)


@require_POST
@staff_view(Capability.CATALOG_MANAGE)
def benefit_remove(request: HttpRequest, plan_id: int, service_id: int) -> HttpResponse:
    plan = _plan(plan_id)
    try:
        catalog.benefit_remove(actor=acting_user(request), plan=plan, service_id=service_id)
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Benefit removed from {plan.name}.")
    return redirect("staff:catalog_plan_detail", plan_id=plan.id)
