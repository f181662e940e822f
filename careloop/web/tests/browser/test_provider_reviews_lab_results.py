"""A provider enters a member's HbA1c and lipid results, signs them off, and sees them
charted in the progress section.

Ann enrolled in Active Care on January 5 2026; its metabolic health protocol asks for
quarterly labs, so her care plan holds a lab order task due January 15, and an HbA1c and
lipid panel order for it was sent. The clock stands at March 2 2026, 15:00 UTC.
"""

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from careloop.accounts.models import User
from careloop.care.models import LabOrderStatus, TaskStatus
from careloop.care.tests.care_builders import (
    active_care,
    care_plans,
    enrolled,
    protocol,
    quarterly_labs,
    tasks,
)
from careloop.care.tests.lab_builders import lab_order
from careloop.web.tests.browser.labs_steps import (
    enter_results,
    open_chart,
    open_lab_order,
    order_status,
    progress_chart,
    record_specimen_collected,
    review_and_sign_off,
)
from careloop.web.tests.browser.steps import sign_in_with_session


@pytest.mark.browser
def test_provider_enters_lab_results_signs_off_and_sees_them_charted(
    page: Page, live_server: LiveServer, admin: User, provider: User, patient_ann
) -> None:
    plan = active_care()
    protocol(admin, plan, quarterly_labs())
    (care_plan,) = care_plans(enrolled(admin, plan, date(2026, 1, 5), patient_ann))
    (task,) = tasks(care_plan, "lab_order")
    order = lab_order(
        provider, patient_ann, "hba1c", "lipid", status=LabOrderStatus.ORDERED, care_task=task
    )
    sign_in_with_session(page, provider, base_url=live_server.url)

    open_chart(page, patient_ann)
    open_lab_order(page, order.number)
    expect(page.get_by_role("link", name="Print the requisition")).to_be_visible()
    record_specimen_collected(page)
    enter_results(
        page,
        {"4548-4": "6.8", "2093-3": "212", "2085-9": "48", "13457-7": "131", "2571-8": "165"},
    )
    results = page.locator("#results")
    expect(results.get_by_role("row").filter(has_text="4548-4")).to_contain_text("High")
    expect(page.locator("#follow-up")).to_contain_text("is open")
    review_and_sign_off(page)
    expect(order_status(page)).to_contain_text(f"by {provider.display_name}")

    open_chart(page, patient_ann)
    hba1c = progress_chart(page, "(%)")
    expect(hba1c.locator("svg title").first).to_contain_text("1 value from Mar 2, 2026")
    expect(hba1c.locator('circle[data-value="6.8"][data-date="2026-03-02"]')).to_have_count(1)
    expect(hba1c.get_by_role("table")).to_contain_text("6.8 %")
    cholesterol = progress_chart(page, "Cholesterol")
    expect(cholesterol.first.locator("circle").first).to_be_visible()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
