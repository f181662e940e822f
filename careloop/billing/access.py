"""The only way a view or API operation fetches an invoice on someone's behalf.

Same rules as careloop.patients.access: staff need the capability (403 otherwise); a patient
reaches only an invoice they pay, read-only, and anything else is "not found" (404). Every
attempt is an audit event; a read writes one per patient the invoice names (the payer and,
on a sponsor's invoice, each member billed), so each trail shows who looked.
"""

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.billing.models import Invoice
from careloop.core.errors import NotFound, PermissionDenied
from careloop.patients.models import Patient


def _refuse(user: User, invoice_id: int, action: str) -> None:
    audit_record(
        action=action,
        actor=user,
        outcome=Outcome.DENIED,
        object_type="invoice",
        object_id=invoice_id,
    )


def invoice_patient_ids(invoice: Invoice) -> list[int]:
    """The payer (when a patient) and every patient a line of the invoice names."""
    ids = set(invoice.lines.filter(patient_id__isnull=False).values_list("patient_id", flat=True))
    if invoice.account.patient_id is not None:
        ids.add(invoice.account.patient_id)
    return sorted(ids)


def access_invoice(
    user: User,
    invoice_id: int,
    capability: Capability = Capability.BILLING_VIEW,
    *,
    action: str = "invoice.view",
) -> Invoice:
    if user.is_authenticated and user.is_patient:
        own_id = Patient.objects.filter(user=user).values_list("id", flat=True).first()
        theirs = (
            own_id is not None
            and Invoice.objects.filter(pk=invoice_id, account__patient_id=own_id).exists()
        )
        if not theirs:
            _refuse(user, invoice_id, action)
            raise NotFound("No such invoice.")
        if capability != Capability.BILLING_VIEW:
            _refuse(user, invoice_id, action)
            raise PermissionDenied(
                "Patients can see their invoices but not change them here.", code="forbidden"
            )
    elif not has_capability(user, capability):
        _refuse(user, invoice_id, action)
        raise PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")
    invoice = (
        Invoice.objects.select_related(
            "account", "account__patient", "account__sponsor", "membership", "membership__plan"
        )
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    patient_ids: list[int | None] = [*invoice_patient_ids(invoice)]
    for patient_id in patient_ids or [None]:
        audit_record(
            action=action,
            actor=user,
            patient_id=patient_id,
            object_type="invoice",
            object_id=invoice.pk,
        )
    return invoice
