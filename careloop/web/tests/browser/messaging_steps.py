"""Steps of the secure messaging browser tests: the patient's portal pages and the staff
thread page."""

from playwright.sync_api import Locator, Page, expect

from careloop.patients.models import Patient


def write_to_the_care_team(page: Page, topic: str, body: str) -> None:
    """From the portal's messages page: start a thread on `topic` and send it."""
    page.goto("/portal/messages/")
    page.get_by_role("link", name="Write to the care team").click()
    page.get_by_label("Topic").select_option(label=topic)
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status")).to_contain_text("Message sent")


def conversation(page: Page) -> Locator:
    return page.get_by_role("region", name="Conversation")


def open_thread_from_my_inbox(page: Page, patient: Patient) -> Locator:
    """The inbox row of the patient's thread, after opening the inbox; then the thread."""
    page.goto("/staff/messages/")
    row = page.get_by_role("row").filter(has_text=patient.full_name)
    expect(row).to_have_count(1)
    return row


def add_internal_note(page: Page, body: str) -> None:
    page.get_by_label("Internal note").fill(body)
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status")).to_contain_text("Internal note added")


def reply(page: Page, body: str) -> None:
    page.get_by_label("Reply", exact=True).fill(body)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent")
