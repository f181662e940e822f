from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.care.selectors.labs import access_lab_order
from careloop.web.decorators import staff_view


@staff_view(Capability.LAB_VIEW)
def lab_requisition(request: HttpRequest, order_id: int) -> HttpResponse:
    """The printable requisition: patient, ordering provider, panels with LOINC codes; never
    results. Opening it is an audited read of the patient's order."""
    user = request.user
    assert isinstance(user, User)
    order = access_lab_order(
        user, order_id, capability=Capability.LAB_VIEW, action="lab.requisition_view"
    )
    lines = [line.panel for line in order.lines.all()]
    return render(request, "staff/labs/requisition.html", {"order": order, "panels": lines})
