"""The sections of a patient's chart, in order.

Each later part of Careloop (membership, care plan, appointments, messages) appends its own
ChartSection here; the chart view renders every section the viewer's role may see, each from
its template with the context its function returns.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from careloop.accounts.policy import Capability, has_capability
from careloop.core import clock
from careloop.patients.models import CareTeamRole, Patient
from careloop.patients.selectors import care_team_members, household_members
from careloop.patients.services.care_team import eligible_staff
from careloop.web.staff.billing.chart import billing_section
from careloop.web.staff.care.chart import care_plan_section
from careloop.web.staff.labs.chart import labs_section
from careloop.web.staff.labs.progress import progress_section
from careloop.web.staff.memberships.chart import (
    coverage_section,
    membership_badge,
    membership_section,
)
from careloop.web.staff.messaging.chart import messages_section
from careloop.web.staff.notes.chart import notes_section
from careloop.web.staff.patients.views.common import acting_user
from careloop.web.staff.scheduling.chart import visits_section

SectionContext = Callable[[HttpRequest, Patient], dict[str, Any]]


@dataclass(frozen=True)
class ChartSection:
    title: str
    template: str
    context: SectionContext
    capability: Capability = Capability.PATIENT_VIEW


@dataclass(frozen=True)
class RenderedSection:
    title: str
    template: str
    data: dict[str, Any]


def demographics(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return {
        "age": patient.age_on(clock.today()),
        "can_edit": has_capability(acting_user(request), Capability.PATIENT_EDIT),
    }


def household(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    found = patient.household
    return {
        "household": found,
        "members": household_members(found) if found is not None else [],
        "can_manage": has_capability(acting_user(request), Capability.HOUSEHOLD_MANAGE),
    }


def care_team(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    can_manage = has_capability(acting_user(request), Capability.CARE_TEAM_MANAGE)
    return {
        "members": care_team_members(patient),
        "can_manage": can_manage,
        "staff_choices": eligible_staff() if can_manage else [],
        "role_choices": CareTeamRole.choices,
    }


CHART_SECTIONS: list[ChartSection] = [
    ChartSection(
        "Membership",
        "staff/memberships/chart/card.html",
        membership_section,
        Capability.MEMBERSHIP_VIEW,
    ),
    ChartSection(
        "Is this covered?",
        "staff/memberships/chart/coverage.html",
        coverage_section,
        Capability.MEMBERSHIP_VIEW,
    ),
    ChartSection(
        "Visits", "staff/scheduling/chart/visits.html", visits_section, Capability.SCHEDULE_VIEW
    ),
    ChartSection(
        "Care plan", "staff/care/chart/care_plan.html", care_plan_section, Capability.CARE_VIEW
    ),
    ChartSection(
        "Billing", "staff/billing/chart/section.html", billing_section, Capability.BILLING_VIEW
    ),
    ChartSection("Lab orders", "staff/labs/chart/orders.html", labs_section, Capability.LAB_VIEW),
    ChartSection(
        "Progress", "staff/labs/chart/progress.html", progress_section, Capability.LAB_RESULT_VIEW
    ),
    ChartSection("Notes", "staff/notes/chart/notes.html", notes_section, Capability.NOTE_READ),
    ChartSection(
        "Messages",
        "staff/messaging/chart/threads.html",
        messages_section,
        Capability.MESSAGE_VIEW,
    ),
    ChartSection("Demographics", "staff/patients/chart/demographics.html", demographics),
    ChartSection("Household", "staff/patients/chart/household.html", household),
    ChartSection("Care team", "staff/patients/chart/care_team.html", care_team),
]


def chart_sections(request: HttpRequest, patient: Patient) -> list[RenderedSection]:
    return [
        RenderedSection(section.title, section.template, section.context(request, patient))
        for section in CHART_SECTIONS
        if has_capability(acting_user(request), section.capability)
    ]


# Small facts shown in the chart's banner, at a glance, on every visit to the chart.
CHART_BADGES: list[ChartSection] = [
    ChartSection(
        "Membership",
        "staff/memberships/chart/badge.html",
        membership_badge,
        Capability.MEMBERSHIP_VIEW,
    ),
]


def chart_badges(request: HttpRequest, patient: Patient) -> list[RenderedSection]:
    return [
        RenderedSection(badge.title, badge.template, badge.context(request, patient))
        for badge in CHART_BADGES
        if has_capability(acting_user(request), badge.capability)
    ]
