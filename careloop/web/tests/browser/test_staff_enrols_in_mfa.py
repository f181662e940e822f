from playwright.sync_api import Page, expect

from careloop.accounts.models import TotpDevice
from careloop.accounts.roles import Role
from careloop.testing.factories import make_user
from careloop.web.tests.browser.steps import enter_password
from careloop.web.tests.browser.totp_app import AuthenticatorApp


def test_new_staff_set_up_an_authenticator_app_get_recovery_codes_and_reach_patient_search(
    page: Page,
) -> None:
    coach = make_user(role=Role.COORDINATOR, username="casey", first_name="Casey", last_name="Cho")

    enter_password(page, "casey")

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    app = AuthenticatorApp(page.locator("#totp-secret").inner_text())
    assert len(app.secret) >= 32
    page.get_by_label("6-digit code").fill(app.code())
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_text("Your authenticator app is set up.")).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert len(set(codes.all_inner_texts())) == 10
    assert TotpDevice.objects.get(user=coach).is_confirmed

    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_label("Find a patient")).to_be_visible()
    # Care coordinators find patients but do not register them.
    expect(page.get_by_role("link", name="Register a patient")).to_have_count(0)
