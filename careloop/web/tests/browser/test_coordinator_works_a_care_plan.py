"""A patient enrolled in Active Care gets its protocol's care plan; a care coordinator opens
the chart, sees the plan and its first tasks, and completes one."""

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.care.models import CareTask, TaskStatus
from careloop.memberships.models import ServiceKind
from careloop.memberships.services.catalog import service_create
from careloop.testing.factories import make_patient, make_user
from careloop.web.tests.browser.care_steps import (
    a_protocol_carried_by,
    complete_the_task,
    enroll_from_the_chart,
    open_the_care_plan,
    task_row,
)
from careloop.web.tests.browser.steps import a_plan_on_sale, sign_in_with_session


@pytest.mark.browser
def test_a_coordinator_sees_the_care_plan_enrollment_applied_and_completes_a_task(
    page: Page, live_server: LiveServer
) -> None:
    admin = make_user(role=Role.ADMIN, username="alex", first_name="Alex", last_name="Tester")
    front_desk = make_user(role=Role.FRONT_DESK, username="fran", first_name="Fran")
    coordinator = make_user(role=Role.COORDINATOR, username="cora", first_name="Cora")
    visit = service_create(
        actor=admin,
        code="provider-visit",
        name="Provider visit",
        kind=ServiceKind.PROVIDER_VISIT,
        a_la_carte_price=15_000,
    )
    active_care = a_plan_on_sale(
        admin, visit, code="active-care", name="Active Care", rank=2, amount=20_000, visits=2
    )
    a_protocol_carried_by(admin, active_care)
    hana = make_patient(given="Hana", family="Ito")

    # Enrolling takes membership.enroll, which the front desk holds and coordinators do not.
    sign_in_with_session(page, front_desk, base_url=live_server.url)
    enroll_from_the_chart(page, hana, "Active Care")

    page.context.clear_cookies()
    sign_in_with_session(page, coordinator, base_url=live_server.url)
    section = open_the_care_plan(page, hana)
    expect(section).to_contain_text("Metabolic health")
    expect(section).to_contain_text("From the Active Care membership")
    expect(task_row(section, "Check-in visit").first).to_contain_text("Open")
    expect(task_row(section, "Coaching session").first).to_contain_text("Open")

    complete_the_task(page, section, "Coaching session")

    section = page.get_by_role("region", name="Care plan")
    recent = section.locator("table").nth(1)
    expect(task_row(recent, "Coaching session")).to_contain_text("Done")
    done = CareTask.objects.get(care_activity__kind="coaching_session", index=1)
    assert done.status == TaskStatus.DONE
    assert User.objects.get(pk=coordinator.pk) == done.changes.get(action="complete").actor
