import re
from datetime import date

from playwright.sync_api import Page, expect

from careloop.accounts.roles import Role
from careloop.patients.services import care_team_assign, household_create
from careloop.testing.factories import make_patient, make_user
from careloop.web.tests.browser.steps import enter_password


def test_a_patient_signs_in_with_a_password_and_sees_only_their_own_record(page: Page) -> None:
    front_desk = make_user(role=Role.FRONT_DESK)
    provider = make_user(role=Role.PROVIDER, first_name="Maya", last_name="Reyes", credentials="MD")
    ann = make_patient(
        given="Ann",
        family="Avery",
        date_of_birth=date(1984, 2, 9),
        mobile_phone="+15125550123",
        email="ann.avery@example.invalid",
        user=make_user(role=Role.PATIENT, username="ann", first_name="Ann", last_name="Avery"),
    )
    bob = make_patient(
        given="Bob",
        family="Baker",
        email="bob.baker@example.invalid",
        user=make_user(role=Role.PATIENT, username="bob", first_name="Bob", last_name="Baker"),
    )
    household_create(actor=front_desk, name="Avery household", head=ann)
    household_create(actor=front_desk, name="Baker household", head=bob)
    care_team_assign(actor=front_desk, patient=ann, staff=provider, role="primary_provider")

    enter_password(page, "ann")

    expect(page).to_have_url(re.compile(r"^http://[^/]+/portal/$"))
    expect(page.get_by_role("heading", name="Hello, Ann")).to_be_visible()
    about = page.get_by_role("region", name="About you")
    expect(about).to_contain_text("Ann Avery")
    expect(about).to_contain_text("February 9, 1984")
    expect(about).to_contain_text("(512) 555-0123")
    expect(about).to_contain_text("ann.avery@example.invalid")
    expect(page.get_by_role("region", name="Household")).to_contain_text("Avery household")
    expect(page.get_by_role("region", name="Your care team")).to_contain_text(
        "Maya Reyes, MD · Primary provider"
    )

    for chart in (bob, ann):
        response = page.goto(f"/staff/patients/{chart.id}/")
        assert response is not None
        assert response.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("Baker")

    for url in ("/portal/", f"/portal/?patient={bob.id}", f"/portal/?patient_id={bob.id}"):
        page.goto(url)
        expect(page.get_by_role("heading", name="Hello, Ann")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("Baker")
        expect(page.locator("body")).not_to_contain_text("bob.baker@example.invalid")
