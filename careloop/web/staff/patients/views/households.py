from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.patients import services
from careloop.patients.access import access_patient
from careloop.patients.models import Household, Patient
from careloop.patients.selectors import household_members, households_list
from careloop.web.decorators import staff_view
from careloop.web.staff.patients.forms import HouseholdForm, show_errors
from careloop.web.staff.patients.views.common import (
    PatientRow,
    acting_user,
    safe_next,
    search_rows,
)

PAGE_SIZE = 50
CANDIDATE_LIMIT = 10


@staff_view(Capability.PATIENT_VIEW)
def household_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    page = Paginator(households_list(query), PAGE_SIZE).get_page(request.GET.get("page"))
    households = list(page.object_list)
    counts = {
        household.id: Patient.objects.filter(household=household).count()
        for household in households
    }
    if households:
        audit_record(
            action="household.list",
            actor=acting_user(request),
            object_type="household",
            detail={"patient_ids": [household.head_id for household in households]},
        )
    return render(
        request,
        "staff/patients/households/list.html",
        {
            "query": query,
            "page": page,
            "rows": [(household, counts[household.id]) for household in households],
            "can_manage": has_capability(acting_user(request), Capability.HOUSEHOLD_MANAGE),
        },
    )


def _member_rows(user: User, household: Household) -> list[PatientRow]:
    today = clock.today()
    # Each member shown is a read of that patient's record, so each goes through access.
    return [
        PatientRow(access_patient(user, member.id, action="household.view"), member.age_on(today))
        for member in household_members(household)
    ]


@staff_view(Capability.PATIENT_VIEW)
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    user = acting_user(request)
    household = get_object_or_404(Household, id=household_id)
    can_manage = has_capability(user, Capability.HOUSEHOLD_MANAGE)
    query = request.GET.get("q", "").strip()[:200] if can_manage else ""
    candidates, _ = search_rows(request, query, limit=CANDIDATE_LIMIT)
    return render(
        request,
        "staff/patients/households/detail.html",
        {
            "household": household,
            "members": _member_rows(user, household),
            "can_manage": can_manage,
            "query": query,
            "candidates": candidates,
            "here": reverse("staff:household_detail", args=[household.id]),
        },
    )


@staff_view(Capability.HOUSEHOLD_MANAGE)
def household_member_candidates(request: HttpRequest, household_id: int) -> HttpResponse:
    """htmx: patients matching the search, each with a button that adds them."""
    household = get_object_or_404(Household, id=household_id)
    query = request.GET.get("q", "").strip()[:200]
    candidates, _ = search_rows(request, query, limit=CANDIDATE_LIMIT)
    return render(
        request,
        "staff/patients/households/_candidates.html",
        {
            "household": household,
            "query": query,
            "candidates": candidates,
            "here": safe_next(request, reverse("staff:household_detail", args=[household.id])),
        },
    )


@staff_view(Capability.HOUSEHOLD_MANAGE)
def household_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = HouseholdForm(request.POST or None, initial={"head": request.GET.get("head")})
    head_id = request.POST.get("head") or request.GET.get("head")
    head = None
    if head_id and head_id.isdigit():
        head = access_patient(
            user, int(head_id), capability=Capability.HOUSEHOLD_MANAGE, action="household.manage"
        )
        form.initial.setdefault("name", f"{head.legal_family_name} household")
    query = request.GET.get("q", "").strip()[:200]
    candidates, _ = search_rows(request, query, limit=CANDIDATE_LIMIT)
    if request.method == "POST" and form.is_valid():
        if head is None:
            form.add_error(None, "Choose the head of the household.")
        else:
            try:
                household = services.household_create(
                    actor=user, name=form.cleaned_data["name"], head=head
                )
            except ValidationFailed as error:
                show_errors(form, error)
            else:
                messages.success(request, f"Household “{household.name}” created.")
                return redirect("staff:household_detail", household_id=household.id)
    return render(
        request,
        "staff/patients/households/create.html",
        {"form": form, "head": head, "query": query, "candidates": candidates},
        status=422 if request.method == "POST" else 200,
    )


def _membership_change(request: HttpRequest, household_id: int, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    household = get_object_or_404(Household, id=household_id)
    patient = access_patient(
        user, patient_id, capability=Capability.HOUSEHOLD_MANAGE, action="household.manage"
    )
    change = request.resolver_match.url_name if request.resolver_match else ""
    try:
        if change == "household_add_member":
            services.household_add_member(actor=user, household=household, patient=patient)
            messages.success(request, f"{patient.full_name} joined “{household.name}”.")
        elif change == "household_remove_member":
            services.household_remove_member(actor=user, household=household, patient=patient)
            messages.success(request, f"{patient.full_name} left “{household.name}”.")
        else:
            services.household_set_head(actor=user, household=household, patient=patient)
            messages.success(request, f"{patient.full_name} is now the head of the household.")
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    return redirect(safe_next(request, reverse("staff:household_detail", args=[household.id])))


@require_POST
@staff_view(Capability.HOUSEHOLD_MANAGE)
def household_add_member(request: HttpRequest, household_id: int) -> HttpResponse:
    patient_id = request.POST.get("patient", "")
    if not patient_id.isdigit():
        messages.error(request, "Choose a patient to add.")
        return redirect("staff:household_detail", household_id=household_id)
    return _membership_change(request, household_id, int(patient_id))


@require_POST
@staff_view(Capability.HOUSEHOLD_MANAGE)
def household_remove_member(
    request: HttpRequest, household_id: int, patient_id: int
) -> HttpResponse:
    return _membership_change(request, household_id, patient_id)


@require_POST
@staff_view(Capability.HOUSEHOLD_MANAGE)
def household_set_head(request: HttpRequest, household_id: int, patient_id: int) -> HttpResponse:
    return _membership_change(request, household_id, patient_id)
