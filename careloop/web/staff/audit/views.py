import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.audit.selectors import AuditEventPage, audit_actions, audit_event_page
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import NotFound
from careloop.patients.access import access_patient
from careloop.web.decorators import staff_view
from careloop.web.staff.audit.forms import AuditLogFilterForm

_ROLE_LABELS = dict(Role.choices)


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    role_label: str
    detail_text: str


def _rows(page: AuditEventPage) -> list[AuditRow]:
    return [
        AuditRow(
            event=event,
            role_label=_ROLE_LABELS.get(event.actor_role, event.actor_role),
            detail_text=json.dumps(event.detail, sort_keys=True) if event.detail else "",
        )
        for event in page.events
    ]


def _page_link(form: AuditLogFilterForm, **cursor: int) -> str:
    kept = {
        name: value
        for name, value in form.data.items()
        if name not in ("before", "after") and value and name in form.fields
    }
    return "?" + urlencode({**kept, **cursor})


def _patient_name(user: User, patient_id: int) -> str | None:
    try:
        return access_patient(user, patient_id).display_name
    except NotFound:
        return None


@staff_view(Capability.AUDIT_VIEW)
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, filtered; looking at it is itself an audit event."""
    user = request.user
    assert isinstance(user, User)  # staff_view lets only signed-in staff through
    zone = clock.clinic_zone()
    form = AuditLogFilterForm(request.GET, actions=audit_actions(), zone=zone)
    page: AuditEventPage | None = None
    patient_name: str | None = None
    filter_names: list[str] = []
    if form.is_valid():
        filters = form.filters()
        filter_names = filters.names()
        page = audit_event_page(
            filters=filters,
            older_than=form.cleaned_data.get("before"),
            newer_than=form.cleaned_data.get("after"),
        )
        if filters.patient_id is not None:
            patient_name = _patient_name(user, filters.patient_id)
    audit_record(
        action="audit.view",
        actor=user,
        detail={"filters": filter_names} if filter_names else {},
    )
    context = {
        "form": form,
        "error_lines": form.error_lines() if form.is_bound and not form.is_valid() else [],
        "page": page,
        "rows": _rows(page) if page else [],
        "patient_name": patient_name,
        "zone_name": str(zone),
        "newest_link": _page_link(form),
        "newer_link": _page_link(form, after=page.newest_sequence)
        if page and page.has_newer and page.newest_sequence
        else "",
        "older_link": _page_link(form, before=page.oldest_sequence)
        if page and page.has_older and page.oldest_sequence
        else "",
    }
    return render(request, "staff/audit/log.html", context)
