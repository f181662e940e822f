"""Browser steps for care work, for tests to chain: a protocol an enrollment applies, the
front desk enrolling a patient from the chart, and working the chart's care plan."""

from playwright.sync_api import Locator, Page, expect

from careloop.accounts.models import User
from careloop.care.models import Protocol
from careloop.care.services.activities import ActivitySpec
from careloop.care.services.protocols import protocol_create
from careloop.memberships.models import Plan
from careloop.patients.models import Patient


def a_protocol_carried_by(
    admin: User, plan: Plan, name: str = "Metabolic health", *, labs: bool = False
) -> Protocol:
    """A monthly provider check-in and a fortnightly coaching session (and, with `labs`,
    quarterly labs ordered by the provider), all first due on the day the care plan starts;
    enrolling in `plan` applies it."""
    quarterly_labs = ActivitySpec(
        kind="lab_order", role="provider", repeat="every", every=3, unit="months", order=2
    )
    return protocol_create(
        actor=admin,
        name=name,
        plans=[plan],
        activities=[
            *([quarterly_labs] if labs else []),
            ActivitySpec(
                kind="check_in_visit",
                role="provider",
                repeat="every",
                every=1,
                unit="months",
                service_kind="provider_visit",
                instructions="Review the food diary.",
            ),
            ActivitySpec(
                kind="coaching_session",
                role="coordinator",
                repeat="every",
                every=2,
                unit="weeks",
                order=1,
            ),
        ],
    )


def enroll_from_the_chart(page: Page, patient: Patient, plan_name: str) -> None:
    """Enroll the patient alone in the plan, monthly, with the sandbox card that pays (the
    signed-in person needs membership.enroll)."""
    page.goto(f"/staff/patients/{patient.pk}/")
    page.get_by_role("region", name="Membership").get_by_role("link", name="Enroll").click()
    expect(page.get_by_role("heading", name=f"Enroll {patient.full_name}")).to_be_visible()
    page.get_by_role("radio", name=plan_name).check()
    page.get_by_label("Billing interval").select_option("monthly")
    page.get_by_label("Add a sandbox test card: Visa ending 4242: pays").check()
    page.get_by_role("button", name="Enroll").click()
    expect(page.get_by_role("status")).to_contain_text(f"enrolled in {plan_name}.")


def open_the_care_plan(page: Page, patient: Patient) -> Locator:
    """The chart's Care plan section."""
    page.goto(f"/staff/patients/{patient.pk}/")
    section = page.get_by_role("region", name="Care plan")
    expect(section).to_be_visible()
    return section


def task_row(section: Locator, activity: str) -> Locator:
    return section.get_by_role("row").filter(has_text=activity)


def complete_the_task(page: Page, section: Locator, activity: str) -> None:
    """Press Done on the first unfinished task of that activity; the chart comes back."""
    done = page.get_by_role("button", name="Done")
    task_row(section, activity).filter(has=done).first.get_by_role("button", name="Done").click()
    expect(page.get_by_role("status")).to_contain_text(f"{activity} for")
