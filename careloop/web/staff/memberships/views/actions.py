"""Lifecycle actions on a membership, one page each: a form, what will happen, and a button.

Every action is described once in ACTIONS (its capability, form, wording and the service it
calls); `action_view` turns each description into a guarded view, so the pages cannot drift
apart in how they authorize, report errors or confirm.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.billing.models import Invoice
from careloop.billing.services.previews import Preview, billing_preview
from careloop.core import clock
from careloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from careloop.memberships.access import access_membership
from careloop.memberships.errors import IllegalTransition
from careloop.memberships.lifecycle import Action, target_status
from careloop.memberships.models import (
    MemberRole,
    Membership,
    MembershipStatus,
    Plan,
    PlanPrice,
    PlanStatus,
    ScheduledChange,
)
from careloop.memberships.periods import Interval
from careloop.memberships.selectors.catalog import cancellation_reasons
from careloop.memberships.selectors.memberships import change_summary
from careloop.memberships.services import lifecycle
from careloop.memberships.services.enrollment import current_price
from careloop.memberships.services.lifecycle import ChangeOutcome, current_period
from careloop.memberships.services.scheduled import scheduled_change_revoke
from careloop.patients.models import Patient
from careloop.patients.selectors import household_members
from careloop.web.decorators import staff_view
from careloop.web.money import format_money
from careloop.web.staff.billing.outcomes import invoice_outcome
from careloop.web.staff.memberships import forms as action_forms
from careloop.web.staff.memberships.forms import (
    NOW,
    ON_DATE,
    PERIOD_END,
    WhenForm,
    set_choices,
    show_errors,
)
from careloop.web.staff.patients.views.common import acting_user, safe_next

Values = dict[str, Any]
Result = TypeVar("Result")


@dataclass(frozen=True)
class ActionPage:
    """One lifecycle action as staff see it."""

    name: str  # the URL name, without "staff:"
    label: str  # the link on the membership page
    title: str
    capability: Capability
    action: Action
    form: type[WhenForm]
    explanation: str
    submit: str
    perform: Callable[[User, Membership, Values, Values], ChangeOutcome]
    done: Callable[[Membership, Values], str]
    fill: Callable[[WhenForm, Membership], None] = lambda form, membership: None
    # Status-only actions record what happened: now, or backdated by an admin.
    can_schedule: bool = True


def _plan(values: Values) -> Plan:
    return Plan.objects.get(pk=int(values["plan"]))


def _patient(values: Values) -> Patient:
    return Patient.objects.get(pk=int(values["patient"]))


def _change_plan(user: User, membership: Membership, values: Values, when: Values) -> ChangeOutcome:
    plan = _plan(values)
    service = (
        lifecycle.membership_downgrade
        if plan.rank < membership.plan.rank
        else lifecycle.membership_upgrade
    )
    return service(actor=user, membership=membership, plan=plan, **when)


def _fill_plans(form: WhenForm, membership: Membership) -> None:
    plans = Plan.objects.filter(status=PlanStatus.ACTIVE, kind=membership.plan.kind).exclude(
        pk=membership.plan_id
    )
    choices = [("", "Choose a plan…")]
    for plan in plans.order_by("-rank", "name"):
        price = current_price(plan, membership.interval)
        direction = "upgrade" if plan.rank > membership.plan.rank else "downgrade"
        amount = (
            f"{format_money(price.amount, plan.currency)} "
            f"{Interval(membership.interval).label.lower()}"
            if price is not None
            else f"not sold {Interval(membership.interval).label.lower()}"
        )
        choices.append((str(plan.pk), f"{plan.name} ({direction}, {amount})"))
    set_choices(form, "plan", choices)


def _fill_intervals(form: WhenForm, membership: Membership) -> None:
    choices = [("", "Choose an interval…")]
    for interval in Interval:
        if interval.value == membership.interval:
            continue
        price = current_price(membership.plan, interval)
        amount = (
            format_money(price.amount, membership.plan.currency)
            if price is not None
            else "no price"
        )
        choices.append((interval.value, f"{interval.label} ({amount})"))
    set_choices(form, "interval", choices)


def _open_member_ids(membership: Membership) -> set[int]:
    return set(membership.members.filter(left_on__isnull=True).values_list("patient_id", flat=True))


def _fill_household(form: WhenForm, membership: Membership) -> None:
    payer = membership.payer_patient
    current = _open_member_ids(membership)
    candidates = household_members(payer.household) if payer is not None and payer.household else []
    set_choices(
        form,
        "patient",
        [("", "Choose a household member…")]
        + [(str(p.id), p.full_name) for p in candidates if p.id not in current],
    )


def _fill_members(form: WhenForm, membership: Membership) -> None:
    rows = (
        membership.members.filter(left_on__isnull=True)
        .exclude(role=MemberRole.PRIMARY)
        .select_related("patient")
    )
    set_choices(
        form,
        "patient",
        [("", "Choose a member…")]
        + [
            (str(row.patient_id), f"{row.patient.full_name} ({MemberRole(row.role).label})")
            for row in rows
        ],
    )


def _fill_reasons(form: WhenForm, membership: Membership) -> None:
    set_choices(
        form,
        "reason",
        [("", "Choose a reason…")]
        + [(str(reason.pk), reason.label) for reason in cancellation_reasons(active_only=True)],
    )


def _fill_prices(form: WhenForm, membership: Membership) -> None:
    prices = PlanPrice.objects.filter(plan=membership.plan, interval=membership.interval).exclude(
        pk=membership.price_id
    )
    set_choices(
        form,
        "price",
        [("", "Choose a price version…")]
        + [
            (
                str(price.pk),
                f"Version {price.version}: {format_money(price.amount, membership.plan.currency)}"
                f"{' (current for new enrollments)' if price.current else ''}",
            )
            for price in prices.order_by("-version")
        ],
    )
    form.fields["notice_on"].initial = clock.today()


def _price_change(
    user: User, membership: Membership, values: Values, when: Values
) -> ChangeOutcome:
    effective_on = when["effective_on"]
    if when["at_period_end"]:
        effective_on = current_period(membership, clock.today()).end
    return lifecycle.membership_change_price(
        actor=user,
        membership=membership,
        price=PlanPrice.objects.get(pk=int(values["price"])),
        effective_on=effective_on or clock.today(),
        notice_on=values["notice_on"],
    )


def _status_only(
    service: Callable[..., ChangeOutcome],
) -> Callable[[User, Membership, Values, Values], ChangeOutcome]:
    def perform(user: User, membership: Membership, values: Values, when: Values) -> ChangeOutcome:
        return service(actor=user, membership=membership, effective_on=when["effective_on"])

    return perform


ACTIONS: tuple[ActionPage, ...] = (
    ActionPage(
        name="membership_change_plan",
        label="Upgrade or downgrade",
        title="Change plan",
        capability=Capability.MEMBERSHIP_CHANGE,
        action=Action.CHANGE_PLAN,
        form=action_forms.PlanChangeForm,
        explanation=(
            "Every member moves to the new plan at its current price for the same billing "
            "interval. An upgrade grants the new plan's allowances from the day it takes effect; "
            "a downgrade takes effect at the end of the period, so members keep what they paid "
            "for until then (only an admin may apply one sooner; the unused days are credited)."
        ),
        submit="Change plan",
        perform=_change_plan,
        done=lambda membership, values: f"The membership is now on {membership.plan.name}.",
        fill=_fill_plans,
    ),
    ActionPage(
        name="membership_change_interval",
        label="Change billing interval",
        title="Change billing interval",
        capability=Capability.MEMBERSHIP_CHANGE,
        action=Action.CHANGE_INTERVAL,
        form=action_forms.IntervalChangeForm,
        explanation=(
            "The membership is billed by the new interval at the plan's current price for it. "
            "Billing periods restart on the day the change takes effect."
        ),
        submit="Change interval",
        perform=lambda user, membership, values, when: lifecycle.membership_change_interval(
            actor=user, membership=membership, interval=values["interval"], **when
        ),
        done=lambda membership, values: (
            f"The membership is now billed {Interval(membership.interval).label.lower()}."
        ),
        fill=_fill_intervals,
    ),
    ActionPage(
        name="membership_add_member",
        label="Add a household member",
        title="Add a household member",
        capability=Capability.MEMBERSHIP_ENROLL,
        action=Action.ADD_MEMBER,
        form=action_forms.MemberAddForm,
        explanation=(
            "The member is covered from the day this takes effect, with their own allowances, "
            "and the payer pays the price for an additional adult or a child from then on."
        ),
        submit="Add member",
        perform=lambda user, membership, values, when: lifecycle.membership_add_member(
            actor=user,
            membership=membership,
            patient=_patient(values),
            role=values["role"],
            **when,
        ),
        done=lambda membership, values: f"{_patient(values).full_name} is now a member.",
        fill=_fill_household,
    ),
    ActionPage(
        name="membership_remove_member",
        label="Remove a member",
        title="Remove a member",
        capability=Capability.MEMBERSHIP_CHANGE,
        action=Action.REMOVE_MEMBER,
        form=action_forms.MemberRemoveForm,
        explanation=(
            "The member is no longer covered from the day this takes effect; visits they have "
            "booked stop holding an allowance. The primary member stays. A removal takes effect "
            "at the end of the period; only an admin may apply one sooner."
        ),
        submit="Remove member",
        perform=lambda user, membership, values, when: lifecycle.membership_remove_member(
            actor=user, membership=membership, patient=_patient(values), **when
        ),
        done=lambda membership, values: f"{_patient(values).full_name} is no longer a member.",
        fill=_fill_members,
    ),
    ActionPage(
        name="membership_pause",
        label="Pause",
        title="Pause the membership",
        capability=Capability.MEMBERSHIP_CHANGE,
        action=Action.PAUSE,
        form=action_forms.PauseForm,
        explanation=(
            "While paused the membership covers nothing and grants no allowances; booked visits "
            "stop holding an allowance. Without a resume date it lasts the plan's longest pause, "
            "and the resume is scheduled for you."
        ),
        submit="Pause",
        perform=lambda user, membership, values, when: lifecycle.membership_pause(
            actor=user, membership=membership, resumes_on=values.get("resumes_on"), **when
        ),
        done=lambda membership, values: "The membership is paused.",
    ),
    ActionPage(
        name="membership_resume",
        label="Resume",
        title="Resume the membership",
        capability=Capability.MEMBERSHIP_CHANGE,
        action=Action.RESUME,
        form=action_forms.ResumeForm,
        explanation=(
            "The membership covers its members again from the day this takes effect. A resume "
            "already scheduled for a later day is replaced."
        ),
        submit="Resume",
        perform=lambda user, membership, values, when: lifecycle.membership_resume(
            actor=user, membership=membership, **when
        ),
        done=lambda membership, values: "The membership is active again.",
    ),
    ActionPage(
        name="membership_cancel",
        label="Cancel",
        title="Cancel the membership",
        capability=Capability.MEMBERSHIP_CHANGE,
        action=Action.CANCEL,
        form=action_forms.CancelForm,
        explanation=(
            "Cancelling now ends coverage today for every member, releases booked visits and "
            "revokes other scheduled changes. Cancelling at the end of the period keeps the "
            "membership active until then; the card shows it as ending, and you can revoke the "
            "cancellation until it takes effect."
        ),
        submit="Cancel membership",
        perform=lambda user, membership, values, when: lifecycle.membership_cancel(
            actor=user,
            membership=membership,
            reason=int(values["reason"]),
            note=values.get("note") or "",
            **when,
        ),
        done=lambda membership, values: "The membership is cancelled.",
        fill=_fill_reasons,
    ),
    ActionPage(
        name="membership_reactivate",
        label="Reactivate",
        title="Reactivate the membership",
        capability=Capability.MEMBERSHIP_ENROLL,
        action=Action.REACTIVATE,
        form=action_forms.ReactivateForm,
        explanation=(
            "The membership becomes active again and covers the same members from today, on its "
            "plan and price, unless another membership has covered one of them meanwhile."
        ),
        submit="Reactivate",
        perform=_status_only(lifecycle.membership_reactivate),
        done=lambda membership, values: "The membership is active again.",
        can_schedule=False,
    ),
    ActionPage(
        name="membership_change_price",
        label="Change the price (admin)",
        title="Change this membership's price",
        capability=Capability.MEMBERSHIP_PRICE_CHANGE,
        action=Action.CHANGE_PRICE,
        form=action_forms.PriceChangeForm,
        explanation=(
            "The membership moves to another price version of its plan. The new price starts "
            "with the first billing period on or after the day you choose; record when the payer "
            "was told, which must be no later than that."
        ),
        submit="Change price",
        perform=_price_change,
        done=lambda membership, values: "The new price applies from this period.",
        fill=_fill_prices,
    ),
)

ACTIONS_BY_NAME = {page.name: page for page in ACTIONS}


def allowed_in(page: ActionPage, status: MembershipStatus) -> bool:
    try:
        target_status(status, page.action)
    except IllegalTransition:
        return False
    return True


def action_links(user: User, membership: Membership) -> list[tuple[str, str]]:
    """(label, URL) of each action this user may take on the membership in its status."""
    status = MembershipStatus(membership.status)
    return [
        (page.label, reverse(f"staff:{page.name}", args=[membership.pk]))
        for page in ACTIONS
        if has_capability(user, page.capability) and allowed_in(page, status)
    ]


def _when_labels(page: ActionPage, membership: Membership, today: date) -> dict[str, str]:
    if not page.can_schedule:
        return {NOW: f"Today ({today.isoformat()})", ON_DATE: "On an earlier date (admins only)"}
    labels = {NOW: f"Now (today, {today.isoformat()})"}
    if membership.status not in (MembershipStatus.CANCELLED, MembershipStatus.ENDED):
        end = current_period(membership, today).end
        labels[PERIOD_END] = f"At the end of the period (on {end.isoformat()})"
    labels[ON_DATE] = "On a date"
    return labels


def _outcome_message(page: ActionPage, outcome: ChangeOutcome, values: Values) -> str:
    if outcome.scheduled is not None:
        change = outcome.scheduled
        return (
            f"Scheduled for {change.effective_on.isoformat()}: {change_summary(change)}. "
            "It can be revoked from the membership until then."
        )
    return page.done(outcome.membership, values)


def _attempt(form: WhenForm, call: Callable[[], Result]) -> Result | None:
    """Run a lifecycle call (or its preview); a refusal goes beside the field it names."""
    try:
        return call()
    except ValidationFailed as error:
        show_errors(form, error)
    except PermissionDenied as error:
        form.add_error("on" if form.cleaned_data.get("when") == ON_DATE else None, error.message)
    except Conflict as error:
        form.add_error(None, error.message)
    return None


def _latest_invoice_id() -> int:
    return Invoice.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _after_change(
    request: HttpRequest, user: User, membership: Membership, since_invoice: int
) -> HttpResponse:
    """Tell staff what the change billed and how its payment went; show the invoice when
    there is exactly one, the membership otherwise."""
    invoices = list(Invoice.objects.filter(membership=membership, id__gt=since_invoice))
    for invoice in invoices:
        level, text = invoice_outcome(invoice)
        messages.add_message(request, level, text)
    if len(invoices) == 1 and has_capability(user, Capability.BILLING_VIEW):
        return redirect("staff:billing_invoice_detail", invoice_id=invoices[0].pk)
    return redirect("staff:membership_detail", membership_id=membership.pk)


def action_view(page: ActionPage) -> Callable[[HttpRequest, int], HttpResponse]:
    def view(request: HttpRequest, membership_id: int) -> HttpResponse:
        user = acting_user(request)
        membership = access_membership(
            user, membership_id, page.capability, action=f"membership.{page.action.value}"
        )
        today = clock.today()
        form = page.form(
            request.POST or None,
            initial={"when": NOW},
            when_labels=_when_labels(page, membership, today),
        )
        page.fill(form, membership)
        refusal = ""
        try:
            target_status(MembershipStatus(membership.status), page.action)
        except IllegalTransition as error:
            refusal = error.message
        can_preview = has_capability(user, Capability.BILLING_VIEW)
        previewing = request.POST.get("preview") == "yes" and can_preview
        preview: Preview | None = None
        if request.method == "POST" and form.is_valid():
            values = dict(form.cleaned_data)
            timing = form.timing()

            def change() -> ChangeOutcome:
                return page.perform(user, membership, values, timing)

            if previewing:
                preview = _attempt(
                    form,
                    lambda: billing_preview(actor=user, membership=membership, change=change),
                )
                # The change ran on this object inside the rolled-back transaction.
                membership.refresh_from_db()
            else:
                since_invoice = _latest_invoice_id()
                outcome = _attempt(form, change)
                if outcome is not None:
                    messages.success(request, _outcome_message(page, outcome, values))
                    return _after_change(request, user, membership, since_invoice)
        context = {
            "page": page,
            "membership": membership,
            "form": form,
            "refusal": refusal,
            "extra_fields": [
                form[name] for name in form.fields if name not in WhenForm.base_fields
            ],
            "can_preview": can_preview,
            "preview": preview,
            "today": today,
        }
        if previewing and request.headers.get("HX-Request"):
            # htmx swaps only successful responses, so the errors come back with a 200.
            return render(request, "staff/billing/_preview.html", context | {"partial": True})
        refused = request.method == "POST" and preview is None
        return render(
            request, "staff/memberships/action.html", context, status=422 if refused else 200
        )

    view.__name__ = page.name
    view.__qualname__ = page.name
    return staff_view(page.capability)(view)


@require_POST
@staff_view(Capability.MEMBERSHIP_CHANGE)
def membership_change_revoke(
    request: HttpRequest, membership_id: int, change_id: int
) -> HttpResponse:
    user = acting_user(request)
    membership = access_membership(
        user, membership_id, Capability.MEMBERSHIP_CHANGE, action="membership.change_revoke"
    )
    change = get_object_or_404(ScheduledChange, pk=change_id, membership=membership)
    summary = change_summary(change)
    try:
        scheduled_change_revoke(actor=user, change=change)
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Revoked: {summary} on {change.effective_on.isoformat()}.")
    return redirect(safe_next(request, reverse("staff:membership_detail", args=[membership.pk])))
