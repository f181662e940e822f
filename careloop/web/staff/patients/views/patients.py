from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from careloop.accounts.policy import Capability, has_capability
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.patients import services
from careloop.patients.access import access_patient
from careloop.patients.errors import PossibleDuplicate
from careloop.patients.models import Patient
from careloop.web.decorators import staff_view
from careloop.web.staff.patients.chart import chart_badges, chart_sections
from careloop.web.staff.patients.forms import PatientForm, show_errors
from careloop.web.staff.patients.views.common import PatientRow, acting_user, search_rows

RESULT_LIMIT = 25


@staff_view(Capability.PATIENT_VIEW)
def patient_search(request: HttpRequest) -> HttpResponse:
    """Find a patient by name, date of birth, phone or email; htmx swaps in the results."""
    query = request.GET.get("q", "").strip()[:200]
    rows, more = search_rows(request, query, limit=RESULT_LIMIT)
    context = {
        "query": query,
        "rows": rows,
        "more": more,
        "limit": RESULT_LIMIT,
        "can_create": has_capability(acting_user(request), Capability.PATIENT_CREATE),
    }
    if request.headers.get("HX-Request"):
        return render(request, "staff/patients/_results.html", context)
    return render(request, "staff/patients/search.html", context)


@staff_view(Capability.PATIENT_CREATE)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, initial={"country": "US", "preferred_language": "en"})
    duplicates: list[PatientRow] = []
    if request.method == "POST" and form.is_valid():
        user = acting_user(request)
        try:
            patient = services.patient_create(
                actor=user,
                confirm_duplicate=request.POST.get("confirm_duplicate") == "yes",
                **form.values(),
            )
        except PossibleDuplicate as duplicate:
            today = clock.today()
            duplicates = [
                PatientRow(candidate, candidate.age_on(today))
                for candidate in (
                    access_patient(user, found.id, action="patient.duplicate_check")
                    for found in duplicate.candidates
                )
            ]
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name} is registered.")
            return redirect("staff:patient_chart", patient_id=patient.id)
    return render(
        request,
        "staff/patients/form.html",
        {"form": form, "duplicates": duplicates, "creating": True, "patient": None},
        status=422 if request.method == "POST" else 200,
    )


@staff_view(Capability.PATIENT_EDIT)
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.PATIENT_EDIT, action="patient.edit"
    )
    initial = {name: getattr(patient, name) for name in PatientForm.base_fields}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(actor=user, patient=patient, **form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("staff:patient_chart", patient_id=patient.id)
    return render(
        request,
        "staff/patients/form.html",
        {"form": form, "duplicates": [], "creating": False, "patient": patient},
        status=422 if request.method == "POST" else 200,
    )


@staff_view(Capability.PATIENT_VIEW)
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient: Patient = access_patient(acting_user(request), patient_id)
    return render(
        request,
        "staff/patients/chart.html",
        {
            "patient": patient,
            "age": patient.age_on(clock.today()),
            "sections": chart_sections(request, patient),
            "badges": chart_badges(request, patient),
            "chart_url": reverse("staff:patient_chart", args=[patient.id]),
        },
    )
