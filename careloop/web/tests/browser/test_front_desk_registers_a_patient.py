import re

import pyotp
from playwright.sync_api import Page, expect

from careloop.accounts.roles import Role
from careloop.accounts.services import totp_device_create_confirmed
from careloop.patients.models import Patient
from careloop.testing.factories import make_user
from careloop.web.tests.browser.steps import sign_in_staff
from careloop.web.tests.browser.totp_app import AuthenticatorApp


def register(page: Page, *, email: str) -> None:
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Legal given name").fill("June")
    page.get_by_label("Legal family name").fill("Okafor")
    page.get_by_label("Date of birth").fill("1990-03-14")
    page.get_by_label("Sex at birth").select_option(label="Female")
    page.get_by_label("Mobile phone").fill("(512) 555-0142")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Register patient").click()


def test_front_desk_registers_a_patient_and_is_warned_about_a_likely_duplicate(
    page: Page,
) -> None:
    front_desk = make_user(role=Role.FRONT_DESK, username="fran")
    app = AuthenticatorApp(pyotp.random_base32())
    totp_device_create_confirmed(user=front_desk, secret=app.secret)
    sign_in_staff(page, "fran", app)

    register(page, email="june.okafor@example.invalid")

    expect(page.get_by_role("status")).to_contain_text("June Okafor is registered.")
    banner = page.get_by_role("region", name="Patient")
    expect(banner).to_contain_text("June Okafor")
    expect(banner).to_contain_text("born 1990-03-14")
    expect(banner).to_contain_text("(512) 555-0142")
    first = Patient.objects.get()
    assert first.mobile_phone == "+15125550142"
    expect(page).to_have_url(re.compile(rf"^http://[^/]+/staff/patients/{first.id}/$"))

    register(page, email="june.o@example.invalid")

    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("This may be a patient who is already registered.")
    expect(warning).to_contain_text("born 1990-03-14, (512) 555-0142, june.okafor@example.invalid")
    expect(warning.get_by_role("link", name="June Okafor")).to_have_attribute(
        "href", f"/staff/patients/{first.id}/"
    )
    expect(page.get_by_role("button", name="Create anyway")).to_be_visible()
    assert Patient.objects.count() == 1
