"""Protocols: the list and one protocol with its activities for care staff; creating one and
adding activities for admins (protocol.manage)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from careloop.accounts.policy import Capability, has_capability
from careloop.care.models import Protocol
from careloop.care.services.protocols import protocol_activity_add, protocol_create
from careloop.core.errors import NotFound, ValidationFailed
from careloop.web.accounts.forms import add_service_errors
from careloop.web.decorators import staff_view
from careloop.web.staff.care.forms import ActivityForm, ProtocolForm
from careloop.web.staff.patients.views.common import acting_user


def _protocol(protocol_id: int) -> Protocol:
    found = Protocol.objects.prefetch_related("plans", "activities").filter(pk=protocol_id).first()
    if found is None:
        raise NotFound("No such protocol.")
    return found


@staff_view(Capability.CARE_VIEW)
def care_protocol_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/care/protocol_list.html",
        {
            "protocols": Protocol.objects.prefetch_related("plans", "activities"),
            "can_design": has_capability(acting_user(request), Capability.PROTOCOL_MANAGE),
        },
    )


@staff_view(Capability.CARE_VIEW)
def care_protocol_detail(request: HttpRequest, protocol_id: int) -> HttpResponse:
    user = acting_user(request)
    return render(
        request,
        "staff/care/protocol_detail.html",
        {
            "protocol": _protocol(protocol_id),
            "can_design": has_capability(user, Capability.PROTOCOL_MANAGE),
            # Instructions are for the people who carry the work out, not the front desk.
            "shows_instructions": has_capability(user, Capability.CARE_MANAGE),
        },
    )


@staff_view(Capability.PROTOCOL_MANAGE)
def care_protocol_create(request: HttpRequest) -> HttpResponse:
    form = ProtocolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            protocol = protocol_create(
                actor=acting_user(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                plans=list(form.cleaned_data["plans"]),
            )
        except ValidationFailed as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Protocol {protocol.name} created; add its activities.")
            return redirect("staff:care_protocol_detail", protocol_id=protocol.pk)
    status = 422 if form.errors else 200
    return render(request, "staff/care/protocol_form.html", {"form": form}, status=status)


@staff_view(Capability.PROTOCOL_MANAGE)
def care_protocol_activity_add(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = _protocol(protocol_id)
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            activity = protocol_activity_add(
                actor=acting_user(request), protocol=protocol, spec=form.spec()
            )
        except ValidationFailed as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{activity.get_kind_display()} added to {protocol.name}.")
            return redirect("staff:care_protocol_detail", protocol_id=protocol.pk)
    status = 422 if form.errors else 200
    return render(
        request,
        "staff/care/activity_form.html",
        {
            "form": form,
            "title": f"Add an activity to {protocol.name}",
            "explanation": "Care plans already applied keep their own activities; patients "
            "enrolled from now on get this one too.",
            "back": ("staff:care_protocol_detail", protocol.pk, "Back to the protocol"),
        },
        status=status,
    )
