from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from careloop.accounts.policy import Capability, has_capability
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Service
from careloop.memberships.selectors.catalog import services_list
from careloop.memberships.services import catalog
from careloop.web.decorators import staff_view
from careloop.web.money import dollars
from careloop.web.staff.catalog.forms import ServiceForm, show_errors
from careloop.web.staff.catalog.views.common import render_form
from careloop.web.staff.patients.views.common import acting_user


@staff_view(Capability.CATALOG_VIEW)
def service_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/catalog/service_list.html",
        {
            "services": services_list(),
            "can_manage": has_capability(acting_user(request), Capability.CATALOG_MANAGE),
        },
    )


@staff_view(Capability.CATALOG_MANAGE)
def service_create(request: HttpRequest) -> HttpResponse:
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service = catalog.service_create(actor=acting_user(request), **form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, f"“{service.name}” added to the services catalog.")
            return redirect("staff:catalog_service_list")
    return render_form(
        request,
        form,
        title="Add a service",
        submit="Add service",
        cancel_url=reverse("staff:catalog_service_list"),
    )


@staff_view(Capability.CATALOG_MANAGE)
def service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    service = get_object_or_404(Service, id=service_id)
    initial = {
        "code": service.code,
        "name": service.name,
        "kind": service.kind,
        "a_la_carte_price": dollars(service.a_la_carte_price),
        "active": service.active,
    }
    form = ServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            catalog.service_update(actor=acting_user(request), service=service, **form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, f"“{service.name}” saved.")
            return redirect("staff:catalog_service_list")
    return render_form(
        request,
        form,
        title=f"Edit {service.name}",
        submit="Save changes",
        cancel_url=reverse("staff:catalog_service_list"),
        intro="A new a-la-carte price applies from now on; past charges keep theirs.",
    )
