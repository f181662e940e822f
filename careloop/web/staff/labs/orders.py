"""Lab order pages: order panels from the catalog for a patient, follow an order through its
lifecycle, and the provider's review. Result values and follow-ups show only to roles that
may read results (lab_result.view): the front desk sees panels and status, never a value."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.accounts.roles import Role
from careloop.care.lifecycle import LAB_TRANSITIONS, LabAction
from careloop.care.models import (
    UNFINISHED_TASK_STATUSES,
    ActivityKind,
    CareTask,
    LabFollowUp,
    LabOrder,
    LabPanel,
)
from careloop.care.selectors.labs import access_lab_order, lab_catalog
from careloop.care.services.labs import (
    lab_follow_up_complete,
    lab_order_change,
    lab_order_create,
    lab_order_review,
)
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.patients.access import access_patient
from careloop.patients.models import Patient
from careloop.web.decorators import staff_view
from careloop.web.staff.labs.common import Problem, by_field, problems, range_text
from careloop.web.staff.patients.views.common import acting_user

# The actions lab.manage takes from the order page, with their button labels.
ORDER_ACTIONS = {
    LabAction.ORDER: "Send the order",
    LabAction.COLLECT: "Record the specimen collected",
    LabAction.CANCEL: "Cancel the order",
}


def _lab_tasks(patient: Patient) -> list[CareTask]:
    """The patient's unfinished lab order tasks, which an order may carry out."""
    return list(
        CareTask.objects.filter(
            care_plan__patient=patient,
            care_activity__kind=ActivityKind.LAB_ORDER,
            status__in=UNFINISHED_TASK_STATUSES,
        )
        .select_related("care_activity", "care_plan__protocol")
        .order_by("due_on", "id")
    )


def _providers() -> list[User]:
    return list(
        User.objects.filter(role=Role.PROVIDER, is_active=True).order_by("last_name", "first_name")
    )


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@staff_view(Capability.LAB_MANAGE)
def lab_order_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Choose panels from the catalog, the ordering provider and, optionally, the care plan's
    lab task the order carries out. The order starts as a draft."""
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.LAB_MANAGE, action="lab.order_form"
    )
    tasks = _lab_tasks(patient)
    found: list[Problem] = []
    panel_codes = request.POST.getlist("panels")
    provider_raw = request.POST.get(
        "ordering_provider", str(user.pk) if user.role == Role.PROVIDER else ""
    )
    task_raw = request.POST.get("care_task", "")
    chosen = {"panels": panel_codes, "ordering_provider": provider_raw, "care_task": task_raw}
    if request.method == "POST":
        catalog = {panel.code: panel for panel in LabPanel.objects.all()}
        unknown = [code for code in panel_codes if code not in catalog]
        task_id = _number(task_raw)
        task = next((task for task in tasks if task.pk == task_id), None)
        if unknown:
            found.append(
                Problem("panels", f"{unknown[0]} is not a panel in the lab catalog.", "unknown")
            )
        if task_raw and task is None:
            found.append(
                Problem(
                    "care_task",
                    "Choose an unfinished lab order task of this patient's care plan.",
                    "not_open_lab_task",
                )
            )
        if not found:
            provider_id = _number(provider_raw)
            try:
                order = lab_order_create(
                    actor=user,
                    patient=patient,
                    panels=[catalog[code] for code in panel_codes],
                    ordering_provider=User.objects.filter(pk=provider_id).first()
                    if provider_id
                    else None,
                    care_task=task,
                )
            except ValidationFailed as error:
                found = problems(error)
            else:
                messages.success(request, f"Lab order {order.number} created as a draft.")
                return redirect("staff:lab_order_detail", order_id=order.pk)
    return render(
        request,
        "staff/labs/order_new.html",
        {
            "patient": patient,
            "catalog": lab_catalog(),
            "providers": _providers(),
            "tasks": tasks,
            "chosen": chosen,
            "problems": found,
            "errors": by_field(found),
        },
        status=422 if found else 200,
    )


def order_components(order: LabOrder) -> list[Any]:
    """The components of every panel on the order, in catalog order."""
    return [component for line in order.lines.all() for component in line.panel.components.all()]


def order_page(
    request: HttpRequest,
    order: LabOrder,
    *,
    found: list[Problem] | None = None,
    entered: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The order page, with the result entry form re-filled after refused input."""
    user = acting_user(request)
    can_read_results = has_capability(user, Capability.LAB_RESULT_VIEW)
    can_manage = has_capability(user, Capability.LAB_MANAGE)
    sex = order.patient.sex_at_birth
    results = []
    follow_up = None
    resulted: set[str] = set()
    if can_read_results:
        for result in order.results.select_related("component", "entered_by"):
            low, high = result.component.range_for(sex)
            results.append({"result": result, "range": range_text(low, high)})
            resulted.add(result.component.loinc)
        follow_up = LabFollowUp.objects.filter(order=order).select_related("assignee").first()
    takes_results = can_manage and order.status in LAB_TRANSITIONS[LabAction.RESULT]
    pending = []
    if takes_results:
        for component in order_components(order):
            if component.loinc in resulted:
                continue
            low, high = component.range_for(sex)
            name = f"results[{component.loinc}]"
            pending.append(
                {
                    "component": component,
                    "range": range_text(low, high),
                    "value": (entered or {}).get(f"value-{component.loinc}", ""),
                    "unit": (entered or {}).get(f"unit-{component.loinc}", component.unit),
                    "problems": [p for p in found or [] if p.field.startswith(f"{name}.")],
                }
            )
    actions = [
        (action.value, label)
        for action, label in ORDER_ACTIONS.items()
        if can_manage and order.status in LAB_TRANSITIONS[action]
    ]
    return render(
        request,
        "staff/labs/order_detail.html",
        {
            "order": order,
            "patient": order.patient,
            "panels": [line.panel for line in order.lines.all()],
            "can_read_results": can_read_results,
            "results": results,
            "follow_up": follow_up,
            "actions": actions,
            "pending": pending,
            "takes_results": takes_results,
            "can_review": has_capability(user, Capability.LAB_REVIEW)
            and order.status in LAB_TRANSITIONS[LabAction.REVIEW],
            "can_complete_follow_up": has_capability(user, Capability.LAB_REVIEW),
            "history": order.changes.select_related("actor"),
            "problems": found or [],
            "errors": by_field(found or []),
            "entered": entered or {},
        },
        status=status,
    )


@staff_view(Capability.LAB_VIEW)
def lab_order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = access_lab_order(
        acting_user(request), order_id, capability=Capability.LAB_VIEW, action="lab.order_view"
    )
    return order_page(request, order)


def _managed(request: HttpRequest, order_id: int, capability: Capability, action: str) -> LabOrder:
    return access_lab_order(acting_user(request), order_id, capability=capability, action=action)


@staff_view(Capability.LAB_MANAGE)
def lab_order_act(request: HttpRequest, order_id: int) -> HttpResponse:
    """Send the order, record the specimen collected, or cancel it with a reason."""
    order = _managed(request, order_id, Capability.LAB_MANAGE, "lab.order_act")
    if request.method != "POST":
        return redirect("staff:lab_order_detail", order_id=order.pk)
    raw = request.POST.get("action", "")
    action = next((action for action in ORDER_ACTIONS if action.value == raw), None)
    if action is None:
        found = [Problem("action", "Choose send, collect or cancel.", "unknown_action")]
        return order_page(request, order, found=found, status=422)
    try:
        lab_order_change(
            actor=acting_user(request),
            order=order,
            action=action,
            reason=request.POST.get("reason", ""),
        )
    except ValidationFailed as error:
        return order_page(request, order, found=problems(error), status=422)
    except CareloopError as error:
        messages.error(request, error.message)
    else:
        order.refresh_from_db()
        messages.success(request, f"{order.number} is {order.get_status_display().lower()}.")
    return redirect("staff:lab_order_detail", order_id=order.pk)


@staff_view(Capability.LAB_REVIEW)
def lab_order_review_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """A provider signs off the results; the order shows reviewed, by whom and when."""
    order = _managed(request, order_id, Capability.LAB_REVIEW, "lab.order_review_form")
    if request.method == "POST":
        try:
            lab_order_review(actor=acting_user(request), order=order)
        except CareloopError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{order.number} reviewed and signed off.")
    return redirect("staff:lab_order_detail", order_id=order.pk)


@staff_view(Capability.LAB_REVIEW)
def lab_follow_up_done(request: HttpRequest, order_id: int) -> HttpResponse:
    """The provider has acted on the abnormal results: the follow-up is done."""
    order = _managed(request, order_id, Capability.LAB_REVIEW, "lab.follow_up_form")
    if request.method == "POST":
        try:
            lab_follow_up_complete(actor=acting_user(request), order=order)
        except CareloopError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"The follow-up of {order.number} is done.")
    return redirect("staff:lab_order_detail", order_id=order.pk)
