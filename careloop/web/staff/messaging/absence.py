"""Out of office for messaging: staff record when they are away and who covers; while they
are away new threads and patients' new messages in their threads go to the cover (or the
team's pool). Everyone manages their own absences; admins (messaging.configure) anyone's.
"""

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability, has_capability
from careloop.core import clock
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.messaging.models import OutOfOffice
from careloop.messaging.services.routing import out_of_office_add, out_of_office_end
from careloop.web.decorators import staff_view
from careloop.web.staff.messaging.forms import OutOfOfficeForm, add_message_errors
from careloop.web.staff.messaging.threads import assignable_staff
from careloop.web.staff.patients.views.common import acting_user


@staff_view(Capability.MESSAGE_VIEW)
def messaging_out_of_office(request: HttpRequest) -> HttpResponse:
    """Current and coming absences (one's own, or everyone's for admins), and a form to add one."""
    user = acting_user(request)
    anyone = has_capability(user, Capability.MESSAGING_CONFIGURE)
    posted = request.method == "POST"
    form = OutOfOfficeForm(
        request.POST if posted else None, staff=assignable_staff(), anyone=anyone
    )
    status = 200
    if posted:
        status = 422
        if form.is_valid():
            try:
                out_of_office_add(
                    actor=user,
                    staff=form.cleaned_data["staff"] if anyone else user,
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    cover=form.cleaned_data["cover"],
                )
            except ValidationFailed as error:
                add_message_errors(form, error)
            except CareloopError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Out of office saved.")
                return redirect(reverse("staff:messaging_out_of_office"))
    absences = OutOfOffice.objects.filter(ends_at__gt=clock.now()).select_related("staff", "cover")
    if not anyone:
        absences = absences.filter(Q(staff=user) | Q(cover=user))
    return render(
        request,
        "staff/messaging/out_of_office.html",
        {
            "form": form,
            "absences": absences.order_by("starts_at", "id"),
            "now": clock.now(),
            "anyone": anyone,
        },
        status=status,
    )


@require_POST
@staff_view(Capability.MESSAGE_VIEW)
def messaging_out_of_office_end(request: HttpRequest, away_id: int) -> HttpResponse:
    away = get_object_or_404(OutOfOffice, pk=away_id)
    try:
        kept = out_of_office_end(actor=acting_user(request), away=away)
    except ValidationFailed as error:
        messages.error(request, " ".join(field.message for field in error.errors))
    else:
        messages.success(request, "Welcome back: the absence ends now." if kept else "Withdrawn.")
    return redirect(reverse("staff:messaging_out_of_office"))
