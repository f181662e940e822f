"""Care protocols end to end: a care coordinator enrolls Hana in Active Care, sees the care
plan its protocol applied and the first tasks, and completes one; a provider then enters the
results of the plan's labs, signs them off, and the chart's progress section shows them.

The clock stands at March 2 2026, 15:00 UTC (the lab builders' day).
"""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from careloop.accounts.roles import Role
from careloop.care.lab_catalog import lab_catalog_seed
from careloop.care.models import CareTask, LabComponent, LabOrderStatus, LabPanel, TaskStatus
from careloop.care.tests.lab_builders import lab_order
from careloop.core import clock
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
from careloop.web.tests.browser.labs_steps import (
    enter_results,
    open_chart,
    open_lab_order,
    order_status,
    progress_chart,
    record_specimen_collected,
    review_and_sign_off,
)
from careloop.web.tests.browser.steps import a_plan_on_sale, sign_in_with_session


@pytest.mark.browser
def test_a_coordinator_enrolls_and_works_the_plan_and_a_provider_charts_its_labs(
    page: Page, live_server: LiveServer
) -> None:
    clock.freeze(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    # The catalog comes from a data migration; the live server's flush after an earlier
    # browser test empties it.
    lab_catalog_seed(LabPanel, LabComponent)
    admin = make_user(role=Role.ADMIN, username="alex", first_name="Alex", last_name="Tester")
    coordinator = make_user(role=Role.COORDINATOR, username="cora", first_name="Cora")
    provider = make_user(role=Role.PROVIDER, username="drkim", first_name="Dana", last_name="Kim")
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
    a_protocol_carried_by(admin, active_care, labs=True)
    hana = make_patient(given="Hana", family="Ito")

    # The coordinator enrolls Hana, sees the plan and its first tasks, and completes one.
    sign_in_with_session(page, coordinator, base_url=live_server.url)
    enroll_from_the_chart(page, hana, "Active Care")
    section = open_the_care_plan(page, hana)
    expect(section).to_contain_text("Metabolic health")
    expect(section).to_contain_text("From the Active Care membership")
    expect(task_row(section, "Check-in visit").first).to_contain_text("Open")
    expect(task_row(section, "Lab order").first).to_contain_text("Open")
    expect(task_row(section, "Coaching session").first).to_contain_text("Open")

    complete_the_task(page, section, "Coaching session")

    recent = page.get_by_role("region", name="Care plan").locator("table").nth(1)
    expect(task_row(recent, "Coaching session")).to_contain_text("Done")
    coaching = CareTask.objects.get(care_activity__kind="coaching_session", index=1)
    assert coaching.status == TaskStatus.DONE
    assert coaching.changes.get(action="complete").actor_id == coordinator.pk

    # The plan's labs were sent; the provider records the specimen, enters the results and
    # signs them off, which closes the plan's lab task.
    labs_task = CareTask.objects.get(care_activity__kind="lab_order", index=1)
    order = lab_order(
        provider, hana, "hba1c", "lipid", status=LabOrderStatus.ORDERED, care_task=labs_task
    )
    page.context.clear_cookies()
    sign_in_with_session(page, provider, base_url=live_server.url)
    open_chart(page, hana)
    open_lab_order(page, order.number)
    record_specimen_collected(page)
    enter_results(
        page,
        {"4548-4": "6.8", "2093-3": "212", "2085-9": "48", "13457-7": "131", "2571-8": "165"},
    )
    expect(page.locator("#results").get_by_role("row").filter(has_text="4548-4")).to_contain_text(
        "High"
    )
    review_and_sign_off(page)
    expect(order_status(page)).to_contain_text(f"by {provider.display_name}")
    labs_task.refresh_from_db()
    assert labs_task.status == TaskStatus.DONE

    # The progress section charts what was just signed off.
    open_chart(page, hana)
    hba1c = progress_chart(page, "(%)")
    expect(hba1c.locator("svg title").first).to_contain_text("1 value from Mar 2, 2026")
    expect(hba1c.locator('circle[data-value="6.8"][data-date="2026-03-02"]')).to_have_count(1)
    expect(hba1c.get_by_role("table")).to_contain_text("6.8 %")
    expect(progress_chart(page, "Cholesterol").first.locator("circle").first).to_be_visible()
