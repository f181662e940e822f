"""Steps for browser tests of the lab, note and progress pages (the provider's half of care;
care_steps.py holds the coordinator's)."""

from playwright.sync_api import Locator, Page, expect

from careloop.patients.models import Patient


def open_chart(page: Page, patient: Patient) -> None:
    page.goto(f"/staff/patients/{patient.pk}/")
    expect(page.get_by_role("region", name="Patient")).to_be_visible()


def chart_section(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name=title)


def open_lab_order(page: Page, number: str) -> None:
    """From the chart's lab orders, open one by its number."""
    chart_section(page, "Lab orders").get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"Lab order {number}")).to_be_visible()


def order_status(page: Page) -> Locator:
    return page.locator("#order-status")


def record_specimen_collected(page: Page) -> None:
    page.get_by_role("button", name="Record the specimen collected").click()
    expect(order_status(page)).to_contain_text("Specimen collected")


def enter_results(page: Page, values: dict[str, str]) -> None:
    """Type each value (by LOINC code) in the entry form, keeping the catalog's unit, and save."""
    form = page.locator("#enter-results")
    for loinc, value in values.items():
        form.locator(f"#value-{loinc}").fill(value)
    form.get_by_role("button", name="Save results").click()
    expect(order_status(page)).to_contain_text("Resulted")


def review_and_sign_off(page: Page) -> None:
    page.get_by_role("button", name="Review and sign off").click()
    expect(order_status(page)).to_contain_text("Reviewed")


def progress_chart(page: Page, label: str) -> Locator:
    """One chart of the chart's progress section, found by its measure's name."""
    return chart_section(page, "Progress").locator("figure").filter(has_text=label)
