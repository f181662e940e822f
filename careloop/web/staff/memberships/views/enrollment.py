from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from careloop.accounts.policy import Capability, has_capability
from careloop.billing.gateways import default_gateway_name
from careloop.billing.gateways.sandbox import TEST_CARDS
from careloop.billing.models import BillingAccount
from careloop.billing.services.accounts import (
    billing_account_for,
    default_payment_method,
    payment_method_add,
)
from careloop.core import clock
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.memberships.models import (
    MemberRole,
    MembershipStatus,
    Plan,
    PlanPrice,
    PlanStatus,
    Sponsor,
)
from careloop.memberships.periods import Interval
from careloop.memberships.selectors.catalog import membership_settings
from careloop.memberships.services import enrollment
from careloop.memberships.services.enrollment import MemberSpec
from careloop.patients.access import access_patient
from careloop.patients.models import Patient
from careloop.patients.selectors import household_members
from careloop.web.decorators import staff_view
from careloop.web.money import format_money
from careloop.web.staff.billing.outcomes import invoice_outcome
from careloop.web.staff.memberships.forms import (
    ANCHOR_START,
    CARD_ON_FILE,
    NO_CARD,
    PAYER_PATIENT,
    EnrollForm,
    show_errors,
)
from careloop.web.staff.patients.views.common import acting_user, search_rows

RESULT_LIMIT = 25
SPONSOR_PREFIX = "sponsor-"


@staff_view(Capability.MEMBERSHIP_ENROLL)
def membership_enroll_find(request: HttpRequest) -> HttpResponse:
    """Find the patient to enroll; each result opens their enrollment page."""
    query = request.GET.get("q", "").strip()[:200]
    rows, more = search_rows(request, query, limit=RESULT_LIMIT)
    return render(
        request,
        "staff/memberships/enroll_find.html",
        {"query": query, "rows": rows, "more": more, "limit": RESULT_LIMIT},
    )


@dataclass(frozen=True)
class PriceText:
    interval: str
    amount: str
    adult: str
    child: str
    child_age_limit: int


@dataclass(frozen=True)
class PlanOption:
    plan: Plan
    prices: list[PriceText]


def _plan_options() -> list[PlanOption]:
    plans = list(Plan.objects.filter(status=PlanStatus.ACTIVE).order_by("kind", "rank", "name"))
    prices = PlanPrice.objects.filter(plan__in=plans, current=True)
    by_plan: dict[int, dict[str, PlanPrice]] = {}
    for row in prices:
        by_plan.setdefault(row.plan_id, {})[row.interval] = row
    options = []
    for plan in plans:
        found = by_plan.get(plan.id, {})
        texts = []
        for interval in Interval:
            price = found.get(interval.value)
            if price is None:
                continue
            texts.append(
                PriceText(
                    interval=str(interval.label),
                    amount=format_money(price.amount, plan.currency),
                    adult=format_money(price.additional_adult_amount, plan.currency),
                    child=format_money(price.child_amount, plan.currency),
                    child_age_limit=price.child_age_limit,
                )
            )
        options.append(PlanOption(plan=plan, prices=texts))
    return options


def _sponsors() -> list[Sponsor]:
    return list(
        Sponsor.objects.filter(active=True, plans__status=PlanStatus.ACTIVE)
        .prefetch_related("plans")
        .distinct()
        .order_by("name")
    )


def _card_choices(patient: Patient) -> tuple[list[tuple[str, str]], str]:
    """The payer's card on file and, on the sandbox gateway, its test cards to add."""
    account = BillingAccount.objects.filter(patient=patient).first()
    card = default_payment_method(account) if account is not None else None
    choices = []
    if card is not None:
        choices.append(
            (
                CARD_ON_FILE,
                f"The card on file: {card.brand.title()} ending {card.last4}, "
                f"expires {card.expiry}",
            )
        )
    gateway = account.gateway if account is not None else default_gateway_name()
    if gateway == "sandbox":
        choices += [
            (test_card.token, f"Add a sandbox test card: {test_card.label}")
            for test_card in TEST_CARDS
        ]
    return choices, CARD_ON_FILE if card is not None else NO_CARD


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@staff_view(Capability.MEMBERSHIP_ENROLL)
def membership_enroll(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.MEMBERSHIP_ENROLL, action="membership.enroll_form"
    )
    today = clock.today()
    # Each household member offered is a read of their record, so each goes through access.
    others: list[Patient] = [
        access_patient(
            user,
            member.id,
            capability=Capability.MEMBERSHIP_ENROLL,
            action="membership.enroll_form",
        )
        for member in (household_members(patient.household) if patient.household else [])
        if member.id != patient.id
    ]
    sponsors = _sponsors()
    options = _plan_options()
    billing_day = membership_settings().clinic_billing_day
    cards, card_initial = _card_choices(patient)
    form = EnrollForm(
        request.POST or None,
        initial={
            "payer": PAYER_PATIENT,
            "interval": Interval.MONTHLY.value,
            "start_date": today,
            "anchor": ANCHOR_START,
            "card": card_initial,
        },
        payers=[(PAYER_PATIENT, f"{patient.full_name} (this patient)")]
        + [
            (
                f"{SPONSOR_PREFIX}{sponsor.id}",
                f"{sponsor.name} (sponsor; pays for "
                f"{', '.join(plan.name for plan in sponsor.plans.all())})",
            )
            for sponsor in sponsors
        ],
        plans=[(str(option.plan.id), option.plan.name) for option in options],
        household=[
            (
                other.id,
                other.full_name,
                MemberRole.CHILD.value if other.age_on(today) < 18 else MemberRole.ADULT.value,
            )
            for other in others
        ],
        clinic_day_label=(
            f"The clinic's billing day (the {_ordinal(billing_day)} of each month)"
            if billing_day is not None
            else None
        ),
        earliest=None if has_capability(user, Capability.MEMBERSHIP_BACKDATE) else today,
        cards=cards,
    )
    if request.method == "POST" and form.is_valid():
        payer = form.cleaned_data["payer"]
        sponsor = next((item for item in sponsors if f"{SPONSOR_PREFIX}{item.id}" == payer), None)
        by_id = {other.id: other for other in others}
        members = [MemberSpec(patient=patient, role=MemberRole.PRIMARY)] + [
            MemberSpec(patient=by_id[patient_id], role=role)
            for patient_id, role in form.chosen_members()
        ]
        card = form.cleaned_data["card"] or NO_CARD
        try:
            # A test card chosen here is saved with the enrollment, or not at all.
            with transaction.atomic():
                if card not in (CARD_ON_FILE, NO_CARD):
                    payment_method_add(
                        actor=user, account=billing_account_for(patient=patient), token=card
                    )
                membership = enrollment.membership_enroll(
                    actor=user,
                    plan=int(form.cleaned_data["plan"]),
                    interval=form.cleaned_data["interval"],
                    payer_patient=patient if sponsor is None else None,
                    sponsor=sponsor,
                    members=members,
                    start_date=form.cleaned_data["start_date"],
                    anchor=form.cleaned_data["anchor"],
                    payment_method_on_file=card != NO_CARD,
                )
        except ValidationFailed as error:
            show_errors(form, error)
        except PermissionDenied as error:
            form.add_error("start_date", error.message)
        else:
            names = ", ".join(member.patient.full_name for member in members)
            membership.refresh_from_db()
            if membership.status == MembershipStatus.PENDING:
                messages.warning(
                    request,
                    f"{names} enrolled in {membership.plan.name}. The membership is pending "
                    "and covers nothing until a card is on file; add one in the chart's billing "
                    "section.",
                )
            else:
                messages.success(request, f"{names} enrolled in {membership.plan.name}.")
            for invoice in membership.invoices.order_by("id"):
                level, text = invoice_outcome(invoice)
                messages.add_message(request, level, text)
            return redirect("staff:patient_chart", patient_id=patient.id)
    return render(
        request,
        "staff/memberships/enroll.html",
        {
            "patient": patient,
            "form": form,
            "plan_options": options,
            "chosen_plan": str(form["plan"].value() or ""),
        },
        status=422 if request.method == "POST" else 200,
    )
