import re

import pyotp
from playwright.sync_api import Page, expect

from careloop.accounts.roles import Role
from careloop.accounts.services import totp_device_create_confirmed
from careloop.audit.models import AuditEvent
from careloop.patients.services import care_team_assign, household_add_member, household_create
from careloop.testing.factories import make_patient, make_user
from careloop.web.tests.browser.steps import sign_in_staff
from careloop.web.tests.browser.totp_app import AuthenticatorApp


def test_front_desk_signs_in_with_a_code_finds_a_patient_by_name_and_opens_the_chart(
    page: Page,
) -> None:
    front_desk = make_user(
        role=Role.FRONT_DESK, username="fran", first_name="Fran", last_name="Diaz"
    )
    app = AuthenticatorApp(pyotp.random_base32())
    totp_device_create_confirmed(user=front_desk, secret=app.secret)
    provider = make_user(role=Role.PROVIDER, first_name="Maya", last_name="Reyes", credentials="MD")
    coach = make_user(role=Role.COORDINATOR, first_name="Sam", last_name="Lee")
    hana = make_patient(given="Hana", family="Ito")
    ken = make_patient(given="Ken", family="Ito")
    make_patient(given="Kenya", family="Brooks")
    household = household_create(actor=front_desk, name="Ito family", head=hana)
    household_add_member(actor=front_desk, household=household, patient=ken)
    care_team_assign(actor=front_desk, patient=ken, staff=provider, role="primary_provider")
    care_team_assign(actor=front_desk, patient=ken, staff=coach, role="coach")

    sign_in_staff(page, "fran", app)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    page.get_by_label("Find a patient").press_sequentially("ken")
    results = page.locator("#patient-results")
    expect(results.get_by_role("link", name="Ito, Ken")).to_be_visible()
    expect(results.get_by_role("link", name="Brooks, Kenya")).to_be_visible()
    expect(results.get_by_role("link", name="Ito, Hana")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/staff/patients/\?q=ken$"))

    results.get_by_role("link", name="Ito, Ken").click()
    expect(page.get_by_role("region", name="Patient")).to_contain_text("Ken Ito")
    household_section = page.get_by_role("region", name="Household")
    expect(household_section.get_by_role("link", name="Ito family")).to_be_visible()
    expect(household_section.get_by_role("listitem").filter(has_text="Hana Ito")).to_contain_text(
        "Head"
    )
    care_team = page.get_by_role("region", name="Care team").get_by_role("listitem")
    expect(care_team.nth(0)).to_contain_text("Maya Reyes, MD · Primary provider")
    expect(care_team.nth(1)).to_contain_text("Sam Lee · Health coach")
    assert AuditEvent.objects.filter(
        action="patient.view", actor_id=front_desk.id, patient_id=ken.id
    ).exists()
