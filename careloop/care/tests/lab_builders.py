"""Lab orders in each status for the lab tests (synthetic patients only).

The clock is frozen on March 2 2026 at 15:00 UTC, so results observed "now" are in the past
of nothing and a time an hour later is in the future.
"""

from datetime import date

from careloop.accounts.models import User
from careloop.care.lifecycle import LabAction
from careloop.care.models import CareTask, LabOrder, LabOrderStatus, LabPanel, ResultSource
from careloop.care.services.labs import (
    ResultInput,
    lab_order_change,
    lab_order_create,
    lab_results_record,
)
from careloop.memberships.tests.lifecycle_builders import freeze_on
from careloop.patients.models import Patient

TODAY = date(2026, 3, 2)

STEPS = {
    LabOrderStatus.DRAFT: (),
    LabOrderStatus.ORDERED: (LabAction.ORDER,),
    LabOrderStatus.COLLECTED: (LabAction.ORDER, LabAction.COLLECT),
    LabOrderStatus.CANCELLED: (LabAction.CANCEL,),
}


def panels(*codes: str) -> list[LabPanel]:
    found = {panel.code: panel for panel in LabPanel.objects.filter(code__in=codes)}
    return [found[code] for code in codes]


def lab_order(
    actor: User,
    patient: Patient,
    *codes: str,
    status: LabOrderStatus = LabOrderStatus.DRAFT,
    care_task: CareTask | None = None,
) -> LabOrder:
    """An order of the panels (lipid and HbA1c when none are named), moved to `status`
    (draft, ordered, collected or cancelled)."""
    freeze_on(TODAY)
    order = lab_order_create(
        actor=actor,
        patient=patient,
        panels=panels(*(codes or ("lipid", "hba1c"))),
        ordering_provider=actor,
        care_task=care_task,
    )
    for action in STEPS[status]:
        lab_order_change(actor=actor, order=order, action=action, reason="Test")
    return order


def resulted(actor: User, patient: Patient, care_task: CareTask | None = None) -> LabOrder:
    """An HbA1c order with a normal result."""
    order = lab_order(actor, patient, "hba1c", status=LabOrderStatus.COLLECTED, care_task=care_task)
    record(actor, order, result("4548-4", "5.2", "%"))
    order.refresh_from_db()
    return order


def result(loinc: str, value: str, unit: str, field: str = "results[0]") -> ResultInput:
    return ResultInput(field=field, loinc=loinc, value=value, unit=unit)


def record(actor: User, order: LabOrder, *results: ResultInput) -> None:
    lab_results_record(actor=actor, order=order, results=list(results), source=ResultSource.MANUAL)
