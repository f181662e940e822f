"""REST resources for lab orders under /api/v1/care/labs: the catalog, orders and their
actions, results entered or imported, and the provider's review.

Reading orders needs lab.view (clinical staff and the front desk); result values appear only
for lab_result.view (clinical staff: the desk sees an order's panels and status, never its
values). Ordering, recording collection, cancelling and entering or importing results need
lab.manage; the review needs lab.review (providers). Patients get "not found" everywhere
here. Every read of an order and every change leaves an audit row.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Body, Field, Router, Schema, Status

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.api.memberships.common import staff_patient, staff_user
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.care.lifecycle import LabAction
from careloop.care.models import CareTask, LabOrder, LabPanel, ResultSource
from careloop.care.selectors.labs import access_lab_order, lab_catalog, lab_orders
from careloop.care.services.lab_imports import lab_results_import_csv, lab_results_import_fhir
from careloop.care.services.labs import (
    ResultInput,
    lab_follow_up_complete,
    lab_order_change,
    lab_order_create,
    lab_order_review,
    lab_results_record,
)
from careloop.core.errors import FieldError, ValidationFailed

labs_router = Router(tags=["labs"])

# The services name a field as their arguments do; the API's body names the ids.
API_FIELD_NAMES = {
    "panels": "panel_codes",
    "ordering_provider": "ordering_provider_id",
    "care_task": "care_task_id",
}


@contextmanager
def _api_field_names() -> Iterator[None]:
    try:
        yield
    except ValidationFailed as error:
        raise ValidationFailed(
            [
                FieldError(API_FIELD_NAMES.get(item.field, item.field), item.message, item.code)
                for item in error.errors
            ],
            error.message,
        ) from error


# --- catalog --------------------------------------------------------------------------------


class ComponentOut(Schema):
    loinc: str
    name: str
    unit: str = Field(description="UCUM code")
    low: Decimal | None
    high: Decimal | None
    female_low: Decimal | None
    female_high: Decimal | None
    male_low: Decimal | None
    male_high: Decimal | None
    critical_low: Decimal | None
    critical_high: Decimal | None


class PanelOut(Schema):
    code: str
    name: str
    loinc: str
    components: list[ComponentOut]


@labs_router.get(
    "/catalog",
    response=list[PanelOut],
    summary="The lab catalog: panels and their LOINC-coded components with units and ranges",
    openapi_extra=needs(Capability.LAB_VIEW),
)
def catalog_list(request: HttpRequest) -> list[PanelOut]:
    staff_user(request, Capability.LAB_VIEW)
    return [
        PanelOut(
            code=panel.code,
            name=panel.name,
            loinc=panel.loinc,
            components=[ComponentOut.model_validate(c) for c in panel.components.all()],
        )
        for panel in lab_catalog()
    ]


# --- orders ---------------------------------------------------------------------------------


class ResultOut(Schema):
    loinc: str
    name: str
    value: Decimal
    unit: str
    flag: str = Field(description="low, normal, high or critical")
    observed_at: datetime
    source: str


class OrderOut(Schema):
    id: int
    number: str
    patient_id: int
    patient_name: str
    ordering_provider_id: int
    care_plan_id: int | None
    care_task_id: int | None
    status: str
    panel_codes: list[str]
    created_at: datetime
    ordered_at: datetime | None
    collected_at: datetime | None
    resulted_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by_id: int | None
    follow_up_status: str | None = Field(None, description="Raised by an abnormal result")
    results: list[ResultOut] | None = Field(
        None, description="Only for lab_result.view (never for the front desk)"
    )


def _order_out(user: User, order: LabOrder) -> OrderOut:
    follow_up = getattr(order, "follow_up", None)
    results = None
    if has_capability(user, Capability.LAB_RESULT_VIEW):
        results = [
            ResultOut(
                loinc=row.component.loinc,
                name=row.component.name,
                value=row.value,
                unit=row.unit,
                flag=row.flag,
                observed_at=row.observed_at,
                source=row.source,
            )
            for row in order.results.select_related("component__panel")
        ]
    return OrderOut(
        id=order.pk,
        number=order.number,
        patient_id=order.patient_id,
        patient_name=order.patient.full_name,
        ordering_provider_id=order.ordering_provider_id,
        care_plan_id=order.care_plan_id,
        care_task_id=order.care_task_id,
        status=order.status,
        panel_codes=[line.panel.code for line in order.lines.all()],
        created_at=order.created_at,
        ordered_at=order.ordered_at,
        collected_at=order.collected_at,
        resulted_at=order.resulted_at,
        reviewed_at=order.reviewed_at,
        reviewed_by_id=order.reviewed_by_id,
        follow_up_status=follow_up.status if follow_up is not None else None,
        results=results,
    )


class OrderIn(Schema):
    patient_id: int
    panel_codes: list[str] = Field(description="Panel codes from the catalog, e.g. lipid")
    ordering_provider_id: int | None = Field(None, description="You, when you are a provider")
    care_task_id: int | None = Field(None, description="The care plan's lab order task")


def _panels(codes: list[str]) -> list[LabPanel]:
    found = {panel.code: panel for panel in LabPanel.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationFailed.single(
            "panel_codes", f"{unknown[0]} is not a panel in the lab catalog.", "not_found"
        )
    return [found[code] for code in codes]


@labs_router.post(
    "/orders",
    response={201: OrderOut},
    summary="Create a draft lab order for a patient",
    openapi_extra=needs(Capability.LAB_MANAGE),
)
def order_create(request: HttpRequest, payload: OrderIn) -> Status[OrderOut]:
    user = staff_user(request, Capability.LAB_MANAGE)
    patient = staff_patient(
        user, payload.patient_id, field="patient_id", capability=Capability.LAB_MANAGE
    )
    provider: User | None = user if user.role == "provider" else None
    if payload.ordering_provider_id is not None:
        provider = User.objects.filter(id=payload.ordering_provider_id).first()
    care_task = None
    if payload.care_task_id is not None:
        care_task = (
            CareTask.objects.select_related("care_plan", "care_activity")
            .filter(id=payload.care_task_id)
            .first()
        )
        if care_task is None:
            raise ValidationFailed.single(
                "care_task_id", f"There is no task with id {payload.care_task_id}.", "not_found"
            )
    with _api_field_names():
        order = lab_order_create(
            actor=user,
            patient=patient,
            panels=_panels(payload.panel_codes),
            ordering_provider=provider,
            care_task=care_task,
        )
    return Status(201, _order_out(user, _reread(order)))


def _reread(order: LabOrder) -> LabOrder:
    return lab_orders().select_related("follow_up").get(pk=order.pk)


@labs_router.get(
    "/orders",
    response=list[OrderOut],
    summary="A patient's lab orders, newest first (values only for lab_result.view)",
    openapi_extra=needs(Capability.LAB_VIEW),
)
def order_list(request: HttpRequest, patient_id: int) -> list[OrderOut]:
    user = staff_user(request, Capability.LAB_VIEW)
    patient = staff_patient(user, patient_id, field="patient_id", capability=Capability.LAB_VIEW)
    rows = lab_orders().select_related("follow_up").filter(patient=patient)
    audit_record(
        action="lab.order_list",
        actor=user,
        patient_id=patient.pk,
        object_type="lab_order",
        detail={"results_shown": has_capability(user, Capability.LAB_RESULT_VIEW)},
    )
    return [_order_out(user, order) for order in rows]


@labs_router.get(
    "/orders/{order_id}",
    response=OrderOut,
    summary="A lab order (values only for lab_result.view)",
    openapi_extra=needs(Capability.LAB_VIEW),
)
def order_detail(request: HttpRequest, order_id: int) -> OrderOut:
    user = staff_user(request, Capability.LAB_VIEW)
    order = access_lab_order(
        user, order_id, capability=Capability.LAB_VIEW, action="lab.order_view"
    )
    return _order_out(user, _reread(order))


class ReasonIn(Schema):
    reason: str = ""


def _act(request: HttpRequest, order_id: int, action: LabAction, reason: str = "") -> OrderOut:
    user = staff_user(request, Capability.LAB_MANAGE)
    order = access_lab_order(
        user, order_id, capability=Capability.LAB_MANAGE, action=f"lab.order_{action}"
    )
    lab_order_change(actor=user, order=order, action=action, reason=reason)
    return _order_out(user, _reread(order))


@labs_router.post(
    "/orders/{order_id}/order",
    response=OrderOut,
    summary="Send a draft order to the lab",
    openapi_extra=needs(Capability.LAB_MANAGE),
)
def order_place(request: HttpRequest, order_id: int) -> OrderOut:
    return _act(request, order_id, LabAction.ORDER)


@labs_router.post(
    "/orders/{order_id}/collect",
    response=OrderOut,
    summary="Record that the specimen was collected",
    openapi_extra=needs(Capability.LAB_MANAGE),
)
def order_collect(request: HttpRequest, order_id: int) -> OrderOut:
    return _act(request, order_id, LabAction.COLLECT)


@labs_router.post(
    "/orders/{order_id}/cancel",
    response=OrderOut,
    summary="Cancel a draft or ordered order, with a reason",
    openapi_extra=needs(Capability.LAB_MANAGE),
)
def order_cancel(request: HttpRequest, order_id: int, payload: ReasonIn) -> OrderOut:
    return _act(request, order_id, LabAction.CANCEL, payload.reason)


class ResultIn(Schema):
    loinc: str
    value: str = Field(description="A decimal number, as text")
    unit: str = Field(description="The component's UCUM code, e.g. mg/dL")
    observed_at: datetime | None = Field(None, description="Now when empty")


class ResultsIn(Schema):
    results: list[ResultIn]


class CsvIn(Schema):
    csv: str = Field(description="Columns loinc, value, unit and optionally observed_at")


def _recording(request: HttpRequest, order_id: int) -> tuple[User, LabOrder]:
    user = staff_user(request, Capability.LAB_MANAGE)
    order = access_lab_order(
        user, order_id, capability=Capability.LAB_MANAGE, action="lab.order_result"
    )
    return user, order


@labs_router.post(
    "/orders/{order_id}/results",
    response=OrderOut,
    summary="Enter results by hand (all or none), flagged against the reference ranges",
    openapi_extra=needs(Capability.LAB_MANAGE),
)
def results_enter(request: HttpRequest, order_id: int, payload: ResultsIn) -> OrderOut:
    user, order = _recording(request, order_id)
    results = [
        ResultInput(
            field=f"results[{index}]",
            loinc=item.loinc,
            value=item.value,
            unit=item.unit,
            observed_at=item.observed_at,
        )
        for index, item in enumerate(payload.results)
    ]
    lab_results_record(actor=user, order=order, results=results, source=ResultSource.MANUAL)
    return _order_out(user, _reread(order))


@labs_router.post(
    "/orders/{order_id}/results/csv",
    response=OrderOut,
    summary="Import results from CSV text (all rows or none)",
    openapi_extra=needs(Capability.LAB_MANAGE),
)
def results_import_csv(request: HttpRequest, order_id: int, payload: CsvIn) -> OrderOut:
    user, order = _recording(request, order_id)
    lab_results_import_csv(actor=user, order=order, text=payload.csv)
    return _order_out(user, _reread(order))


@labs_router.post(
    "/orders/{order_id}/results/fhir",
    response=OrderOut,
    summary="Import results from a FHIR R4 Observation or Bundle (all entries or none)",
    openapi_extra=needs(Capability.LAB_MANAGE),
)
def results_import_fhir(
    request: HttpRequest,
    order_id: int,
    document: Body[dict[str, Any]],
) -> OrderOut:
    user, order = _recording(request, order_id)
    lab_results_import_fhir(actor=user, order=order, document=document)
    return _order_out(user, _reread(order))


@labs_router.post(
    "/orders/{order_id}/review",
    response=OrderOut,
    summary="A provider reviews and signs off the results (closes the order's care task)",
    openapi_extra=needs(Capability.LAB_REVIEW),
)
def order_review(request: HttpRequest, order_id: int) -> OrderOut:
    user = staff_user(request, Capability.LAB_REVIEW)
    order = access_lab_order(
        user, order_id, capability=Capability.LAB_REVIEW, action="lab.order_review"
    )
    lab_order_review(actor=user, order=order)
    return _order_out(user, _reread(order))


@labs_router.post(
    "/orders/{order_id}/follow-up/complete",
    response=OrderOut,
    summary="A provider marks the follow-up raised by abnormal results done",
    openapi_extra=needs(Capability.LAB_REVIEW),
)
def follow_up_complete(request: HttpRequest, order_id: int) -> OrderOut:
    user = staff_user(request, Capability.LAB_REVIEW)
    order = access_lab_order(
        user, order_id, capability=Capability.LAB_REVIEW, action="lab.follow_up_complete"
    )
    lab_follow_up_complete(actor=user, order=order)
    return _order_out(user, _reread(order))
