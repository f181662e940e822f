"""The only way a view, API operation or task fetches a payer's billing records on someone's
behalf: invoices, payment attempts and billing accounts.

Same rules as careloop.patients.access: staff need the capability (403 otherwise), and every
attempt is an audit event. Billing records are staff business here: a patient is told they do
not exist (404), whatever they name. A read writes one audit event per patient the record
names (the payer, and each member an invoice bills), so each patient's audit trail shows who
looked at their billing.
"""

from collections.abc import Iterable
from typing import NoReturn

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.billing.models import BillingAccount, Invoice, PaymentAttempt
from careloop.core.errors import NotFound, PermissionDenied
from careloop.patients.models import Patient


def _refuse(
    user: User, object_type: str, object_id: int, action: str, capability: Capability
) -> NoReturn:
    """Record the refusal and raise: patients learn nothing, staff learn what they lack."""
    audit_record(
        action=action,
        actor=user,
        outcome=Outcome.DENIED,
        object_type=object_type,
        object_id=object_id,
    )
    if not user.is_authenticated or user.is_patient:
        raise NotFound(f"No such {object_type.replace('_', ' ')}.")
    raise PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")


def _allowed(user: User, capability: Capability) -> bool:
    return user.is_authenticated and not user.is_patient and has_capability(user, capability)


def _audit_read(
    user: User, action: str, object_type: str, object_id: int, patient_ids: Iterable[int | None]
) -> None:
    named: list[int | None] = [*sorted({pid for pid in patient_ids if pid is not None})]
    for patient_id in named or [None]:
        audit_record(
            action=action,
            actor=user,
            patient_id=patient_id,
            object_type=object_type,
            object_id=object_id,
        )


def invoice_patient_ids(invoice: Invoice) -> set[int]:
    """The payer and every member the invoice bills."""
    named = set(invoice.lines.filter(patient_id__isnull=False).values_list("patient_id", flat=True))
    if invoice.account.patient_id is not None:
        named.add(invoice.account.patient_id)
    return {patient_id for patient_id in named if patient_id is not None}


def access_invoice(
    user: User,
    invoice_id: int,
    capability: Capability = Capability.BILLING_VIEW,
    *,
    action: str = "invoice.view",
) -> Invoice:
    if not _allowed(user, capability):
        _refuse(user, "invoice", invoice_id, action, capability)
    invoice = (
        Invoice.objects.select_related("account", "account__patient", "account__sponsor")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    _audit_read(user, action, "invoice", invoice.pk, invoice_patient_ids(invoice))
    return invoice


def access_payment(
    user: User,
    payment_id: int,
    capability: Capability = Capability.BILLING_VIEW,
    *,
    action: str = "payment.view",
) -> PaymentAttempt:
    """A payment attempt (a charge of a payer's card, whatever its outcome)."""
    if not _allowed(user, capability):
        _refuse(user, "payment", payment_id, action, capability)
    attempt = (
        PaymentAttempt.objects.select_related("account", "invoice", "payment_method")
        .filter(pk=payment_id)
        .first()
    )
    if attempt is None:
        raise NotFound("No such payment.")
    _audit_read(user, action, "payment", attempt.pk, [attempt.account.patient_id])
    return attempt


def access_billing_account(
    user: User,
    account_id: int,
    capability: Capability = Capability.BILLING_VIEW,
    *,
    action: str = "billing_account.view",
) -> BillingAccount:
    if not _allowed(user, capability):
        _refuse(user, "billing_account", account_id, action, capability)
    account = (
        BillingAccount.objects.select_related("patient", "sponsor").filter(pk=account_id).first()
    )
    if account is None:
        raise NotFound("No such billing account.")
    _audit_read(user, action, "billing_account", account.pk, [account.patient_id])
    return account


def access_own_invoice(user: User, invoice_id: int, *, action: str = "portal.invoice") -> Invoice:
    """A patient's own invoice, read-only, for the portal: one they pay. Anything else is
    "not found" (404), and every attempt is audited."""
    own_id = (
        Patient.objects.filter(user=user).values_list("id", flat=True).first()
        if user.is_authenticated and user.is_patient
        else None
    )
    invoice = (
        Invoice.objects.select_related("account", "membership", "membership__plan")
        .filter(pk=invoice_id, account__patient_id=own_id)
        .first()
        if own_id is not None
        else None
    )
    if invoice is None:
        audit_record(
            action=action,
            actor=user,
            outcome=Outcome.DENIED,
            object_type="invoice",
            object_id=invoice_id,
        )
        raise NotFound("No such invoice.")
    _audit_read(user, action, "invoice", invoice.pk, invoice_patient_ids(invoice))
    return invoice
