"""Fees for a visit the patient cancelled late or missed, charged at once.

Scheduling calls `appointment_fee_invoice` inside the status change's transaction; the invoice
is a fees invoice with one line, keyed by the appointment, so a fee is issued once however
often the call repeats, and its collection starts only after the transaction commits.
"""

from datetime import date

from django.db import transaction

from careloop.billing.compose import DraftLine
from careloop.billing.models import Invoice, InvoiceKind, LineKind
from careloop.billing.services.accounts import billing_account_for
from careloop.billing.services.collection import invoice_collect_after_commit
from careloop.billing.services.invoices import invoice_issue
from careloop.billing.services.membership_billing import membership_billing_for
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Membership
from careloop.patients.models import Patient


def appointment_fee_invoice(
    *,
    appointment_id: int,
    patient: Patient,
    membership: Membership | None,
    amount: int,
    description: str,
    visit_day: date,
) -> Invoice:
    """Issue (once per appointment) a fees invoice of `amount` minor units and collect it
    after commit.

    A member's fee goes to the account that pays the membership's member invoices (the payer,
    or for a sponsored membership the primary member); anyone else's to their own account.
    """
    if amount <= 0:
        raise ValidationFailed.single("amount", "A fee is more than zero.", "not_positive")
    with transaction.atomic():
        if membership is not None:
            billing = membership_billing_for(membership)
            account = billing.invoice_account
        else:
            account = billing_account_for(patient=patient)
        issued = invoice_issue(
            account=account,
            kind=InvoiceKind.FEES,
            key=f"appointment-fee:{appointment_id}",
            lines=[
                DraftLine(
                    kind=LineKind.ADJUSTMENT,
                    description=description,
                    amount=amount,
                    unit_amount=amount,
                    patient_id=patient.pk,
                    service_start=visit_day,
                    source_key=f"appointment-fee:{appointment_id}",
                )
            ],
            membership=membership,
        )
        if issued.created:
            invoice_collect_after_commit(issued.invoice)
    return issued.invoice
