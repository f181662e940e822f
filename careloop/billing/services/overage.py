"""Uses beyond the allowance billed at once, when the clinic chooses it.

With BillingSettings.overage_billing "at_once", `overage_invoice_due` gives each membership's
uses beyond the allowance that no invoice has charged yet a fees invoice of their own,
collected after commit. With "next_invoice" (the default) it does nothing and the next
renewal invoice charges them (membership_billing.py). Either way a use is billed once: its
line's `source_key` is unique, and an invoice's key names the first use it charges, so a
sweep run again, or by two workers at once, issues nothing twice.
"""

from datetime import date, timedelta

from django.db import transaction

from careloop.billing.models import Invoice, InvoiceKind, OverageBilling
from careloop.billing.services.collection import invoice_collect_after_commit
from careloop.billing.services.dunning import billing_settings
from careloop.billing.services.invoices import invoice_issue
from careloop.billing.services.membership_billing import membership_billing_for, overage_lines
from careloop.core import clock
from careloop.memberships.models import Membership
from careloop.memberships.selectors.billing import memberships_with_overage_uses


def overage_invoice_due(*, as_of: date | None = None) -> list[Invoice]:
    """Invoice, per membership, the uses beyond the allowance up to `as_of` (today) that no
    invoice has charged, when the clinic bills overage at once; the invoices issued."""
    day = clock.today() if as_of is None else as_of
    if billing_settings().overage_billing != OverageBilling.AT_ONCE:
        return []
    issued = []
    for membership_id in memberships_with_overage_uses(until=day):
        with transaction.atomic():
            membership = Membership.objects.select_related("plan").get(pk=membership_id)
            billing = membership_billing_for(membership)
            lines = overage_lines(membership, before=day + timedelta(days=1))
            if not lines:
                continue
            first_use = str(lines[0].source_key).removeprefix("overage:")
            result = invoice_issue(
                account=billing.invoice_account,
                kind=InvoiceKind.FEES,
                key=f"overage:{membership.pk}:{first_use}",
                lines=lines,
                membership=membership,
            )
            if result.created:
                issued.append(result.invoice)
                invoice_collect_after_commit(result.invoice)
    return issued
