from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.models import User
from careloop.core import clock
from careloop.patients.access import access_patient
from careloop.patients.models import Patient
from careloop.patients.selectors import care_team_members
from careloop.web.decorators import portal_view


@portal_view
def home(request: HttpRequest) -> HttpResponse:
    """The patient's own demographics, household and care team."""
    user = request.user
    assert isinstance(user, User)
    own_id = Patient.objects.filter(user=user).values_list("id", flat=True).first()
    if own_id is None:
        return render(request, "portal/no_record.html", status=404)
    patient = access_patient(user, own_id, action="portal.view")
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "age": patient.age_on(clock.today()),
            "household": patient.household,
            "care_team": care_team_members(patient),
        },
    )
