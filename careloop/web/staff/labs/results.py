"""Entering an order's results by hand, one value and unit per component, or importing them
from a CSV file or FHIR Observation JSON (uploaded or pasted). The services check everything
before saving anything, so refused input names each field and rule and saves nothing."""

import json
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from careloop.accounts.policy import Capability
from careloop.care.models import LabOrder, ResultSource
from careloop.care.selectors.labs import access_lab_order
from careloop.care.services.lab_imports import lab_results_import_csv, lab_results_import_fhir
from careloop.care.services.labs import ResultInput, lab_results_record
from careloop.core import clock
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.web.decorators import staff_view
from careloop.web.staff.labs.common import Problem, problems
from careloop.web.staff.labs.orders import order_components, order_page
from careloop.web.staff.patients.views.common import acting_user

# An upload larger than this is not a results file (500 rows of CSV are about 25 kB).
LARGEST_UPLOAD = 1_000_000


def _order(request: HttpRequest, order_id: int, action: str) -> LabOrder:
    return access_lab_order(
        acting_user(request), order_id, capability=Capability.LAB_MANAGE, action=action
    )


def _observed_at(raw: str) -> datetime | None:
    """A datetime-local value (the clinic's local time); ValueError when it is not one."""
    moment = datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.clinic_zone())


def entered_results(request: HttpRequest, order: LabOrder) -> list[ResultInput]:
    """One result per component with a value, named `results[<LOINC>]` in errors."""
    observed_raw = request.POST.get("observed_at", "").strip()
    try:
        observed_at = _observed_at(observed_raw) if observed_raw else None
    except ValueError as error:
        raise ValidationFailed.single(
            "observed_at",
            f"{observed_raw} is not a date and time (YYYY-MM-DDTHH:MM).",
            "invalid_datetime",
        ) from error
    results = []
    for component in order_components(order):
        value = request.POST.get(f"value-{component.loinc}", "").strip()
        if not value:
            continue
        results.append(
            ResultInput(
                field=f"results[{component.loinc}]",
                loinc=component.loinc,
                value=value,
                unit=request.POST.get(f"unit-{component.loinc}", ""),
                observed_at=observed_at,
            )
        )
    return results


@staff_view(Capability.LAB_MANAGE)
def lab_results_enter(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id, "lab.result_form")
    if request.method != "POST":
        return redirect("staff:lab_order_detail", order_id=order.pk)
    entered = {key: str(value) for key, value in request.POST.items()}
    try:
        saved = lab_results_record(
            actor=acting_user(request),
            order=order,
            results=entered_results(request, order),
            source=ResultSource.MANUAL,
        )
    except ValidationFailed as error:
        return order_page(request, order, found=problems(error), entered=entered, status=422)
    except CareloopError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{len(saved)} results saved on {order.number}.")
    return redirect("staff:lab_order_detail", order_id=order.pk)


def _import_text(request: HttpRequest) -> str:
    """The uploaded file's text, else the pasted text."""
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size is not None and upload.size > LARGEST_UPLOAD:
            raise ValidationFailed.single(
                "file", "The file is larger than 1 MB: not a results file.", "too_large"
            )
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValidationFailed.single(
                "file", "The file is not UTF-8 text.", "not_utf8"
            ) from error
    text = request.POST.get("text", "")
    if not text.strip():
        raise ValidationFailed.single("text", "Upload a file or paste the results.", "required")
    return text


@staff_view(Capability.LAB_MANAGE)
def lab_results_import(request: HttpRequest, order_id: int) -> HttpResponse:
    """Import CSV (loinc, value, unit, observed_at) or FHIR Observation / Bundle JSON."""
    order = _order(request, order_id, "lab.import_form")
    if request.method != "POST":
        return redirect("staff:lab_order_detail", order_id=order.pk)
    kind = request.POST.get("format", "")
    user = acting_user(request)
    try:
        if kind not in ("csv", "fhir"):
            raise ValidationFailed.single("format", "Choose CSV or FHIR JSON.", "required")
        text = _import_text(request)
        if kind == "csv":
            saved = lab_results_import_csv(actor=user, order=order, text=text)
        else:
            try:
                document = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValidationFailed.single(
                    "file", f"The text is not JSON: {error.msg} at line {error.lineno}.", "not_json"
                ) from error
            saved = lab_results_import_fhir(actor=user, order=order, document=document)
    except ValidationFailed as error:
        found: list[Problem] = problems(error)
        return order_page(request, order, found=found, status=422)
    except CareloopError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{len(saved)} results imported on {order.number}.")
    return redirect("staff:lab_order_detail", order_id=order.pk)
