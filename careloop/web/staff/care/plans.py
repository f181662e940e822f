"""Staff actions on one patient's care plans, from the chart: applying a protocol by hand and
adding an activity to one care plan, each with the reason kept in its history."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from careloop.accounts.policy import Capability
from careloop.care.models import CarePlan
from careloop.care.services.care_plans import care_activity_add, care_plan_apply
from careloop.care.services.tasks import required_reason
from careloop.core.errors import CareloopError, NotFound, ValidationFailed
from careloop.patients.access import access_patient
from careloop.web.accounts.forms import add_service_errors
from careloop.web.decorators import staff_view
from careloop.web.staff.care.forms import ApplyForm, CareActivityForm
from careloop.web.staff.patients.views.common import acting_user


@staff_view(Capability.CARE_MANAGE)
def care_plan_apply_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.CARE_MANAGE, action="care.plan_list"
    )
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        protocol = form.cleaned_data["protocol"]
        try:
            if protocol is None:
                raise ValidationFailed.single("protocol", "Choose the protocol to apply.")
            plan = care_plan_apply(
                actor=user,
                patient=patient,
                protocol=protocol,
                started_on=form.cleaned_data["started_on"],
                reason=required_reason(form.cleaned_data["reason"]),
            )
        except ValidationFailed as error:
            add_service_errors(form, error)
        except CareloopError as error:
            form.add_error("protocol", error.message)
        else:
            messages.success(request, f"{plan.protocol.name} applied to {patient.full_name}.")
            return redirect(reverse("staff:patient_chart", args=[patient.pk]) + "#care-plan")
    return render(
        request,
        "staff/care/apply.html",
        {"form": form, "patient": patient},
        status=422 if form.errors else 200,
    )


@staff_view(Capability.CARE_MANAGE)
def care_activity_add_page(request: HttpRequest, care_plan_id: int) -> HttpResponse:
    plan = CarePlan.objects.select_related("protocol", "patient").filter(pk=care_plan_id).first()
    if plan is None:
        raise NotFound("No such care plan.")
    user = acting_user(request)
    access_patient(
        user, plan.patient_id, capability=Capability.CARE_MANAGE, action="care.plan_list"
    )
    form = CareActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            activity = care_activity_add(
                actor=user,
                care_plan=plan,
                spec=form.spec(),
                reason=form.cleaned_data["reason"],
                starts_on=form.cleaned_data["starts_on"],
            )
        except ValidationFailed as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{activity.get_kind_display()} added to {plan.patient.full_name}'s "
                f"{plan.protocol.name} care plan.",
            )
            return redirect(reverse("staff:patient_chart", args=[plan.patient_id]) + "#care-plan")
    return render(
        request,
        "staff/care/activity_form.html",
        {
            "form": form,
            "title": f"Add an activity to {plan.patient.full_name}'s {plan.protocol.name} plan",
            "explanation": "The activity is added to this patient's care plan only, not to "
            "the protocol; its first work due soon is created at once.",
            "back": ("staff:patient_chart", plan.patient_id, "Back to the chart"),
        },
        status=422 if form.errors else 200,
    )
