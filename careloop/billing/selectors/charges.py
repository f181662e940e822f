"""What a membership has been charged, read into typed values for compose.py."""

from collections import defaultdict

from django.db.models import Q

from careloop.billing.compose import ChargedLine
from careloop.billing.models import InvoiceLine, InvoiceStatus, LineKind
from careloop.memberships.models import Membership
from careloop.memberships.periods import Period

CHARGE_KINDS = [LineKind.PERIOD, LineKind.PRORATION_CHARGE]


def charged_lines(membership: Membership, window: Period) -> list[ChargedLine]:
    """Membership charges on invoices that were not voided whose service overlaps `window`,
    with the discounts and credits taken off each since."""
    lines = list(
        InvoiceLine.objects.filter(
            membership=membership,
            kind__in=CHARGE_KINDS,
            service_start__lt=window.end,
            service_end__gt=window.start,
        )
        .exclude(invoice__status=InvoiceStatus.VOID)
        .order_by("id")
    )
    if not lines:
        return []
    against: dict[int, list[InvoiceLine]] = defaultdict(list)
    for reduction in (
        InvoiceLine.objects.filter(credits_line__in=[line.pk for line in lines])
        .filter(Q(kind=LineKind.DISCOUNT) | Q(kind=LineKind.PRORATION_CREDIT))
        .exclude(invoice__status=InvoiceStatus.VOID)
    ):
        assert reduction.credits_line_id is not None
        against[reduction.credits_line_id].append(reduction)
    result = []
    for line in lines:
        assert line.patient_id is not None
        assert line.service_start is not None
        assert line.service_end is not None
        reductions = against[line.pk]
        credits = [r for r in reductions if r.kind == LineKind.PRORATION_CREDIT]
        result.append(
            ChargedLine(
                id=line.pk,
                patient_id=line.patient_id,
                price_id=line.price_id,
                unit_amount=line.unit_amount,
                amount=line.amount,
                service=Period(line.service_start, line.service_end),
                discounted=sum(r.amount for r in reductions if r.kind == LineKind.DISCOUNT),
                credited=sum(r.amount for r in credits),
                credited_windows=tuple(
                    Period(r.service_start, r.service_end)
                    for r in credits
                    if r.service_start is not None and r.service_end is not None
                ),
            )
        )
    return result
