"""The response-time dashboard: per plan and per person, for messages sent in a date range,
the median business hours to a reply, the share answered within target, breaches and
messages per member writing."""

from dataclasses import replace
from datetime import datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.messaging.selectors.figures import response_dashboard
from careloop.web.decorators import staff_view
from careloop.web.staff.messaging.forms import FiguresForm
from careloop.web.staff.patients.views.common import acting_user


@staff_view(Capability.MESSAGE_VIEW_ALL)
def message_dashboard(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    form = FiguresForm(request.GET or None, today=today)
    by_plan, by_person = [], []
    status = 200
    start, end = today - timedelta(days=29), today
    if form.is_bound and not form.is_valid():
        status = 422
    else:
        if form.is_bound:
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        zone = clock.clinic_zone()
        since = datetime.combine(start, time(0), tzinfo=zone)
        until = min(datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone), clock.now())
        dashboard = response_dashboard(since=since, until=until)
        by_plan = dashboard.by_plan
        # The selector labels people by username; staff know each other by name.
        names = {
            user.pk: user.display_name
            for user in User.objects.filter(
                pk__in=[row.key for row in dashboard.by_person if row.key]
            )
        }
        by_person = [
            replace(row, label=names.get(row.key or 0, row.label)) for row in dashboard.by_person
        ]
        audit_record(
            action="message.figures",
            actor=acting_user(request),
            object_type="message_thread",
            detail={"start": start.isoformat(), "end": end.isoformat()},
        )
    return render(
        request,
        "staff/messaging/dashboard.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "by_plan": by_plan,
            "by_person": by_person,
        },
        status=status,
    )
