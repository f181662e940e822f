from playwright.sync_api import Page, expect

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.memberships.models import Membership, ServiceKind
from careloop.memberships.services.catalog import (
    service_create,
)
from careloop.patients.services import household_add_member, household_create
from careloop.testing.factories import make_patient
from careloop.web.tests.browser.steps import a_plan_on_sale, sign_in_staff, staff_with_app


def test_front_desk_enrolls_a_household_and_an_admin_schedules_a_downgrade(page: Page) -> None:
    admin_app = staff_with_app(Role.ADMIN, "alex", "Alex")
    front_desk_app = staff_with_app(Role.FRONT_DESK, "fran", "Fran")
    admin = User.objects.get(username="alex")
    visit = service_create(
        actor=admin,
        code="provider-visit",
        name="Provider visit",
        kind=ServiceKind.PROVIDER_VISIT,
        a_la_carte_price=15_000,
    )
    a_plan_on_sale(
        admin, visit, code="essentials", name="Essentials", rank=1, amount=9_900, visits=1
    )
    a_plan_on_sale(
        admin, visit, code="active-care", name="Active Care", rank=2, amount=20_000, visits=2
    )
    hana = make_patient(given="Hana", family="Ito")
    ken = make_patient(given="Ken", family="Ito")
    household = household_create(actor=admin, name="Ito family", head=hana)
    household_add_member(actor=admin, household=household, patient=ken)

    sign_in_staff(page, "fran", front_desk_app)
    page.goto(f"/staff/patients/{hana.id}/")
    card = page.get_by_role("region", name="Membership")
    expect(card).to_contain_text("Not a member.")
    card.get_by_role("link", name="Enroll").click()

    expect(page.get_by_role("heading", name="Enroll Hana Ito")).to_be_visible()
    page.get_by_label("Ken Ito", exact=True).check()
    page.get_by_label("Role of Ken Ito").select_option("adult")
    page.get_by_role("radio", name="Active Care").check()
    page.get_by_label("Billing interval").select_option("monthly")
    page.get_by_label("Add a sandbox test card: Visa ending 4242: pays").check()
    page.get_by_role("button", name="Enroll").click()

    expect(page.get_by_role("status")).to_contain_text("Hana Ito, Ken Ito enrolled in Active Care.")
    expect(page.get_by_role("region", name="Patient")).to_contain_text("Active Care · Active")
    card = page.get_by_role("region", name="Membership")
    expect(card).to_contain_text("Active Care")
    expect(card).to_contain_text("$300.00 monthly")
    visits = card.get_by_role("row").filter(has_text="Ken Ito")
    expect(visits).to_contain_text("Ken Ito")
    expect(card).to_contain_text("Provider visit")
    expect(card).to_contain_text("2 a month")
    expect(card.get_by_role("cell", name="2", exact=True)).to_have_count(2)  # left, per member
    membership = Membership.objects.get()

    page.get_by_role("button", name="Sign out").click()
    sign_in_staff(page, "alex", admin_app)
    page.goto(f"/staff/patients/{ken.id}/")
    page.get_by_role("region", name="Membership").get_by_role(
        "link", name="Open the membership"
    ).click()
    expect(page.get_by_role("heading", name=f"Membership #{membership.id}")).to_be_visible()
    page.get_by_role("link", name="Upgrade or downgrade").click()
    expect(page.get_by_text("What will happen:")).to_be_visible()
    page.get_by_label("New plan").select_option(label="Essentials (downgrade, $99.00 monthly)")
    page.get_by_label("At the end of the period").check()
    page.get_by_role("button", name="Change plan").click()

    expect(page.get_by_role("status")).to_contain_text("Downgrade to Essentials.")
    page.goto(f"/staff/patients/{hana.id}/")
    card = page.get_by_role("region", name="Membership")
    expect(card).to_contain_text("Scheduled changes")
    expect(card.get_by_role("listitem").filter(has_text="Downgrade to Essentials")).to_be_visible()
    expect(card.get_by_role("button", name="Revoke: Downgrade to Essentials")).to_be_visible()
    membership.refresh_from_db()
    assert membership.plan.name == "Active Care"
    assert membership.scheduled_changes.get().kind == "plan_change"
