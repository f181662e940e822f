"""Front desk upgrades a member with a preview; a declined renewal is recovered from the queue."""

import re

from playwright.sync_api import Page, expect

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.billing.models import Invoice, InvoiceStatus
from careloop.billing.proration import add_months
from careloop.billing.services.accounts import billing_account_for, payment_method_add
from careloop.core import clock
from careloop.memberships.models import MemberRole, Membership, Plan, ServiceKind
from careloop.memberships.services.catalog import service_create
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.patients.models import Patient
from careloop.testing.factories import make_patient
from careloop.web.tests.browser.steps import a_plan_on_sale, sign_in_staff, staff_with_app


def a_paying_member(
    admin: User, plan: Plan, patient: Patient, token: str, *, months_ago: int = 0
) -> Membership:
    payment_method_add(actor=None, account=billing_account_for(patient=patient), token=token)
    return membership_enroll(
        actor=admin,
        plan=plan,
        interval="monthly",
        payer_patient=patient,
        members=[MemberSpec(patient=patient, role=MemberRole.PRIMARY)],
        start_date=add_months(clock.today(), -months_ago),
        payment_method_on_file=True,
    )


def test_an_upgrade_is_previewed_and_paid_and_a_declined_card_is_replaced(page: Page) -> None:
    staff_with_app(Role.ADMIN, "alex", "Alex")
    front_desk_app = staff_with_app(Role.FRONT_DESK, "fran", "Fran")
    billing_app = staff_with_app(Role.BILLING, "bea", "Bea")
    admin = User.objects.get(username="alex")
    visit = service_create(
        actor=admin,
        code="provider-visit",
        name="Provider visit",
        kind=ServiceKind.PROVIDER_VISIT,
        a_la_carte_price=15_000,
    )
    essentials = a_plan_on_sale(
        admin, visit, code="essentials", name="Essentials", rank=1, amount=9_900, visits=1
    )
    a_plan_on_sale(
        admin, visit, code="active-care", name="Active Care", rank=2, amount=20_000, visits=2
    )
    hana = make_patient(given="Hana", family="Ito")
    upgrading = a_paying_member(admin, essentials, hana, "tok_sandbox_success")
    assert Invoice.objects.get(membership=upgrading).status == InvoiceStatus.PAID

    # The front desk previews the upgrade, then confirms it.
    sign_in_staff(page, "fran", front_desk_app)
    page.goto(f"/staff/memberships/{upgrading.id}/")
    page.get_by_role("link", name="Upgrade or downgrade").click()
    page.get_by_label("New plan").select_option(label="Active Care (upgrade, $200.00 monthly)")
    page.get_by_role("button", name="Preview what it will bill").click()
    preview = page.get_by_role("region", name="What it will bill")
    expect(preview).to_contain_text("Unused days, Hana Ito")
    expect(preview.get_by_role("row").filter(has_text="Unused days")).to_contain_text("-$99.00")
    expect(preview.get_by_role("row").filter(has_text="Active Care, Hana Ito")).to_contain_text(
        "$200.00"
    )
    expect(preview).to_contain_text(re.compile(r"Charged now\s*\$101\.00"))
    page.screenshot(
        path="test-artifacts/browser/test_an_upgrade_is_previewed_and_paid_and_a_declined_card"
        "_is_replaced-preview.png",
        full_page=True,
    )
    upgrading.refresh_from_db()
    assert upgrading.plan == essentials  # a preview changes nothing
    page.get_by_role("button", name="Change plan").click()

    change = Invoice.objects.filter(membership=upgrading).order_by("-id").first()
    assert change is not None
    expect(page.get_by_role("heading", name=f"Invoice {change.number}")).to_contain_text("Paid")
    expect(page.get_by_role("status")).to_contain_text("The membership is now on Active Care.")
    expect(page.get_by_role("status")).to_contain_text(
        f"Invoice {change.number} ($101.00): paid with Visa ending 4242."
    )
    change.refresh_from_db()
    assert (change.status, change.amount_paid) == (InvoiceStatus.PAID, 10_100)
    page.get_by_role("button", name="Sign out").click()

    # A member whose card now declines is due today; billing staff run billing.
    ken = make_patient(given="Ken", family="Sato")
    renewing = a_paying_member(admin, essentials, ken, "tok_sandbox_success", months_ago=1)
    payment_method_add(
        actor=None,
        account=billing_account_for(patient=ken),
        token="tok_sandbox_insufficient_funds",
    )
    sign_in_staff(page, "bea", billing_app)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    expect(page.get_by_role("region", name="Failed payments")).to_contain_text(
        "No failed payments."
    )
    page.get_by_role("button", name="Run billing now").click()
    expect(page.get_by_role("status")).to_contain_text("0 paid, 1 failed.")
    queue = page.get_by_role("region", name="Failed payments")
    row = queue.get_by_role("row").filter(has_text="Ken Sato")
    expect(row).to_contain_text("$99.00")
    expect(row).to_contain_text("The card was declined: insufficient funds.")
    failed = Invoice.objects.filter(membership=renewing).order_by("-id").first()
    assert failed is not None
    assert failed.status == InvoiceStatus.OPEN

    # Billing staff save the payer's new card from the chart; the retry runs at once.
    row.get_by_role("link", name="Ken Sato").click()
    billing_section = page.get_by_role("region", name="Billing")
    billing_section.get_by_text("Add a card").click()
    billing_section.get_by_label("Visa ending 4242: pays").check()
    billing_section.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{failed.number}: Paid $99.00 with Visa ending 4242."
    )
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    expect(page.get_by_role("region", name="Failed payments")).to_contain_text(
        "No failed payments."
    )
    failed.refresh_from_db()
    assert failed.status == InvoiceStatus.PAID
    renewing.refresh_from_db()
    assert renewing.status == "active"
