from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.core.errors import ValidationFailed
from careloop.patients import services
from careloop.patients.access import access_patient
from careloop.patients.models import CareTeamMember
from careloop.web.decorators import staff_view
from careloop.web.staff.patients.forms import CareTeamAssignForm
from careloop.web.staff.patients.views.common import acting_user


@require_POST
@staff_view(Capability.CARE_TEAM_MANAGE)
def care_team_assign(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.CARE_TEAM_MANAGE, action="care_team.manage"
    )
    form = CareTeamAssignForm(request.POST)
    staff = None
    if form.is_valid():
        staff = User.objects.filter(id=form.cleaned_data["staff"]).first()
    if staff is None:
        messages.error(request, "Choose a staff member and a role.")
        return redirect("staff:patient_chart", patient_id=patient.id)
    try:
        member = services.care_team_assign(
            actor=user, patient=patient, staff=staff, role=form.cleaned_data["role"]
        )
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    else:
        messages.success(
            request, f"{staff.display_name} is now {member.get_role_display().lower()}."
        )
    return redirect("staff:patient_chart", patient_id=patient.id)


@require_POST
@staff_view(Capability.CARE_TEAM_MANAGE)
def care_team_remove(request: HttpRequest, patient_id: int, member_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.CARE_TEAM_MANAGE, action="care_team.manage"
    )
    member = get_object_or_404(CareTeamMember, id=member_id, patient=patient)
    services.care_team_remove(actor=user, member=member)
    messages.success(request, f"{member.staff.display_name} left the care team.")
    return redirect("staff:patient_chart", patient_id=patient.id)
