"""Response-time figures for the SLA dashboard, per plan and per person, for a date range."""

from datetime import date, datetime, time, timedelta

from django.http import HttpRequest
from ninja import Field, Schema

from careloop.accounts.policy import Capability
from careloop.api.memberships.common import staff_user
from careloop.api.messaging.common import messaging_router
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.messaging.selectors.figures import ResponseFigures, response_dashboard

FIGURES_MOST_DAYS = 366


class ResponseFiguresOut(Schema):
    key: int | None = Field(description="The plan's or person's id (none: not answered yet)")
    label: str
    messages: int = Field(description="Patient messages sent in the range")
    answered: int
    within_target: int
    breaches: int = Field(description="Answered late, or still waiting past due")
    share_within_target: float | None = Field(
        description="Within target out of those answered or past due"
    )
    members: int = Field(description="Patients who wrote")
    messages_per_member: float | None
    median_response_hours: float | None = Field(description="Business hours to the reply")


class DashboardOut(Schema):
    start: date
    end: date
    by_plan: list[ResponseFiguresOut]
    by_person: list[ResponseFiguresOut]


def _out(row: ResponseFigures) -> ResponseFiguresOut:
    return ResponseFiguresOut(
        key=row.key,
        label=row.label,
        messages=row.messages,
        answered=row.answered,
        within_target=row.within_target,
        breaches=row.breaches,
        share_within_target=row.share_within_target,
        members=row.members,
        messages_per_member=row.messages_per_member,
        median_response_hours=row.median_response_hours,
    )


@messaging_router.get(
    "/figures",
    response=DashboardOut,
    summary="Response-time figures per plan and per person for messages sent from start to "
    "end (clinic dates, both included)",
    openapi_extra=needs(Capability.MESSAGE_VIEW_ALL),
)
def figures(request: HttpRequest, start: date, end: date) -> DashboardOut:
    user = staff_user(request, Capability.MESSAGE_VIEW_ALL)
    if end < start:
        raise ValidationFailed.single("end", "The range ends before it starts.", "before_start")
    if (end - start).days >= FIGURES_MOST_DAYS:
        raise ValidationFailed.single(
            "end", f"A range is at most {FIGURES_MOST_DAYS} days.", "too_long"
        )
    zone = clock.clinic_zone()
    since = datetime.combine(start, time(0), tzinfo=zone)
    until = min(datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone), clock.now())
    audit_record(action="message.figures", actor=user, object_type="response_clock")
    dashboard = response_dashboard(since=since, until=until)
    return DashboardOut(
        start=start,
        end=end,
        by_plan=[_out(row) for row in dashboard.by_plan],
        by_person=[_out(row) for row in dashboard.by_person],
    )
