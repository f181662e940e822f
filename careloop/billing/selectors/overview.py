"""What the billing overview shows: the failed-payments queue, renewals, risks and revenue."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from careloop.billing.models import (
    AttemptStatus,
    BillingRun,
    Invoice,
    InvoiceStatus,
    JournalLine,
    Ledger,
    MembershipBilling,
    PaymentAttempt,
    PaymentMethod,
)
from careloop.billing.proration import add_months
from careloop.billing.selectors.invoices import payer_name
from careloop.core import clock
from careloop.memberships.models import (
    ChangeKind,
    ChangeStatus,
    Membership,
    MembershipStatus,
    ScheduledChange,
)
from careloop.memberships.periods import Interval

RENEWING = [MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE]
# The overview is a work list, not a report: each list shows this many rows at most.
LIST_LIMIT = 100


def latest_run() -> BillingRun | None:
    return BillingRun.objects.select_related("started_by").order_by("-started_at", "-id").first()


@dataclass(frozen=True)
class FailedPayment:
    invoice: Invoice
    payer: str
    amount_due: int
    failures: int
    last_decline: str
    next_retry_on: date | None


def failed_payments(limit: int = LIST_LIMIT) -> list[FailedPayment]:
    """Open invoices whose charge failed at least once, the next retry first."""
    last_failure = PaymentAttempt.objects.filter(
        invoice=OuterRef("pk"), status__in=[AttemptStatus.DECLINED, AttemptStatus.FAILED]
    ).order_by("-created_at", "-id")
    rows = (
        Invoice.objects.filter(status=InvoiceStatus.OPEN, failed_attempts__gt=0)
        .select_related("account__patient", "account__sponsor", "membership", "membership__plan")
        .annotate(last_decline=Subquery(last_failure.values("failure_message")[:1]))
        .order_by(F("next_retry_on").asc(nulls_last=True), "id")[:limit]
    )
    return [
        FailedPayment(
            invoice=invoice,
            payer=payer_name(invoice.account),
            amount_due=invoice.amount_due,
            failures=invoice.failed_attempts,
            last_decline=invoice.last_decline or "",
            next_retry_on=invoice.next_retry_on,
        )
        for invoice in rows
    ]


@dataclass(frozen=True)
class Renewal:
    membership: Membership
    payer: str
    on: date
    renews: bool  # False: the plan does not renew, so the membership ends that day


def upcoming_renewals(*, today: date, days: int = 30, limit: int = LIST_LIMIT) -> list[Renewal]:
    """Annual memberships whose next period starts within `days` after today."""
    rows = (
        MembershipBilling.objects.filter(
            membership__interval=Interval.ANNUAL,
            membership__status__in=RENEWING,
            next_bill_on__gt=today,
            next_bill_on__lte=today + timedelta(days=days),
        )
        .select_related(
            "membership__plan", "membership__payer_patient", "membership__sponsor", "account"
        )
        .order_by("next_bill_on", "id")[:limit]
    )
    renewals = []
    for billing in rows:
        assert billing.next_bill_on is not None
        membership = billing.membership
        renewals.append(
            Renewal(
                membership=membership,
                payer=_membership_payer(membership),
                on=billing.next_bill_on,
                renews=membership.plan.renews,
            )
        )
    return renewals


def _membership_payer(membership: Membership) -> str:
    if membership.payer_patient is not None:
        return membership.payer_patient.full_name
    return membership.sponsor.name if membership.sponsor is not None else ""


@dataclass(frozen=True)
class AtRisk:
    membership: Membership
    payer: str
    reason: str


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def memberships_at_risk(*, limit: int = LIST_LIMIT) -> list[AtRisk]:
    """Memberships that may stop paying: past due, a card that expires (or no card) before
    the next charge, or a cancellation scheduled."""
    risks: list[AtRisk] = []
    past_due = Membership.objects.filter(status=MembershipStatus.PAST_DUE).select_related(
        "plan", "payer_patient", "sponsor"
    )
    for membership in past_due.order_by("id")[:limit]:
        risks.append(AtRisk(membership, _membership_payer(membership), "Past due"))
    default_card = PaymentMethod.objects.filter(
        account=OuterRef("account"), is_default=True, removed_at__isnull=True
    ).annotate(expiry_month=F("exp_year") * 100 + F("exp_month"))
    due_cards = (
        MembershipBilling.objects.filter(
            next_bill_on__isnull=False,
            membership__status=MembershipStatus.ACTIVE,
            account__patient__isnull=False,
        )
        .annotate(
            card_expiry=Subquery(default_card.values("expiry_month")[:1]),
            charge_month=ExtractYear("next_bill_on") * 100 + ExtractMonth("next_bill_on"),
        )
        .filter(Q(card_expiry__lt=F("charge_month")) | Q(card_expiry__isnull=True))
        .select_related("membership__plan", "membership__payer_patient", "membership__sponsor")
        .order_by("next_bill_on", "id")
    )
    for billing in due_cards[:limit]:
        assert billing.next_bill_on is not None
        card_expiry = billing.card_expiry
        reason = (
            f"No card on file for the charge on {_day(billing.next_bill_on)}"
            if card_expiry is None
            else f"Card expires before the charge on {_day(billing.next_bill_on)}"
        )
        risks.append(AtRisk(billing.membership, _membership_payer(billing.membership), reason))
    cancellations = (
        ScheduledChange.objects.filter(kind=ChangeKind.CANCEL, status=ChangeStatus.SCHEDULED)
        .select_related("membership__plan", "membership__payer_patient", "membership__sponsor")
        .order_by("effective_on", "id")
    )
    for change in cancellations[:limit]:
        risks.append(
            AtRisk(
                change.membership,
                _membership_payer(change.membership),
                f"Cancellation scheduled for {_day(change.effective_on)}",
            )
        )
    return risks


@dataclass(frozen=True)
class MonthRevenue:
    month: date  # the first day of the month
    collected: int  # card payments taken
    refunded: int  # money sent back to cards

    @property
    def net(self) -> int:
        return self.collected - self.refunded


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.clinic_zone())


def month_revenue(month: date) -> MonthRevenue:
    """Money that moved through the gateway in a calendar month of the clinic, from the
    journal's cash ledger: payments are debits, refunds credits."""
    start = month.replace(day=1)
    lines = JournalLine.objects.filter(
        ledger=Ledger.CASH,
        entry__occurred_at__gte=_midnight(start),
        entry__occurred_at__lt=_midnight(add_months(start, 1)),
    )
    collected = lines.filter(amount__gt=0).aggregate(total=Sum("amount"))["total"] or 0
    refunded = lines.filter(amount__lt=0).aggregate(total=Sum("amount"))["total"] or 0
    return MonthRevenue(month=start, collected=int(collected), refunded=-int(refunded))
