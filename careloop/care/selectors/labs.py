"""Reading lab orders on someone's behalf: the order is fetched only through `access_lab_order`,
which checks the capability on the order's patient and writes the audit row."""

from django.db.models import QuerySet

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.care.models import LabOrder, LabPanel
from careloop.core.errors import NotFound
from careloop.patients.access import access_patient


def lab_orders() -> QuerySet[LabOrder]:
    return LabOrder.objects.select_related("patient", "ordering_provider").prefetch_related(
        "lines__panel"
    )


def access_lab_order(user: User, order_id: int, *, capability: Capability, action: str) -> LabOrder:
    """The order, when `user` holds `capability` for its patient (audited as `action`)."""
    found = lab_orders().filter(id=order_id).first()
    if found is None:
        raise NotFound("No such lab order.")
    access_patient(user, found.patient_id, capability=capability, action=action)
    return found


def lab_catalog() -> QuerySet[LabPanel]:
    return LabPanel.objects.prefetch_related("components").order_by("order", "name")
