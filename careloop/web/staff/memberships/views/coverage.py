from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.policy import Capability
from careloop.memberships.models import Service
from careloop.memberships.selectors.coverage import coverage_check
from careloop.patients.access import access_patient
from careloop.web.decorators import staff_view
from careloop.web.staff.memberships.chart import coverage_form
from careloop.web.staff.patients.views.common import acting_user


@staff_view(Capability.MEMBERSHIP_VIEW)
def membership_coverage(request: HttpRequest, patient_id: int) -> HttpResponse:
    """ "Is this covered?" for a patient: an htmx answer, or the whole page without script."""
    patient = access_patient(
        acting_user(request),
        patient_id,
        capability=Capability.MEMBERSHIP_VIEW,
        action="membership.coverage_check",
    )
    form = coverage_form(request.GET if "service" in request.GET else None)
    answer = None
    if form.is_bound and form.is_valid():
        service = Service.objects.get(pk=int(form.cleaned_data["service"]))
        answer = coverage_check(patient=patient, service=service, on=form.cleaned_data["on"])
    errors = [error for field_errors in form.errors.values() for error in field_errors]
    context = {"patient": patient, "form": form, "answer": answer, "errors": errors}
    if request.headers.get("HX-Request"):
        # htmx swaps only successful responses, so the errors come back with a 200.
        return render(request, "staff/memberships/_coverage_answer.html", context)
    return render(
        request, "staff/memberships/coverage.html", context, status=422 if errors else 200
    )
