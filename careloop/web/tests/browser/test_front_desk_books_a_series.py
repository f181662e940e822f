"""Front desk books a member's 6-month monthly series, moves the one visit that clashes to an
alternative, completes the first visit, and the membership card shows one visit fewer left.

The clinic is in New York and the clock stands at Monday June 1 2026, 8:00. Ann enrols in
Active Care that day (2 provider visits a month). Dr. Pat works every day 9:00-17:00 (lunch
12:00-13:00 on weekdays) at Midtown; Bob already has Dr. Pat at 10:00 on Sunday August 2.
"""

from datetime import date

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from careloop.accounts.models import User
from careloop.billing.services.accounts import billing_account_for, payment_method_add
from careloop.memberships.models import MemberRole
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.scheduling.models import Appointment, AppointmentStatus
from careloop.scheduling.tests.builders import local, weekday_hours
from careloop.scheduling.tests.membership_builders import A_LA_CARTE, member_clinic
from careloop.web.tests.browser.steps import sign_in_with_session


def _left(page: Page) -> str:
    row = page.get_by_role("row").filter(has_text="Ann Avery").filter(has_text="Provider visit")
    return row.locator("td").nth(3).inner_text()


def test_front_desk_books_a_monthly_series_around_a_conflict_and_completes_a_visit(
    page: Page,
    live_server: LiveServer,
    admin: User,
    provider: User,
    front_desk: User,
    patient_ann,
    patient_bob,
) -> None:
    clinic = member_clinic(provider)
    weekday_hours(provider, clinic.location, weekdays=range(5, 7), lunch=False)
    payment_method_add(
        actor=None, account=billing_account_for(patient=patient_ann), token="tok_sandbox_success"
    )
    membership_enroll(
        actor=admin,
        plan=clinic.plan,
        interval="monthly",
        payer_patient=patient_ann,
        members=[MemberSpec(patient=patient_ann, role=MemberRole.PRIMARY)],
        start_date=date(2026, 6, 1),
        payment_method_on_file=True,
    )
    clinic.book(front_desk, patient_bob, local(date(2026, 8, 2), 10), acknowledged_price=A_LA_CARTE)
    sign_in_with_session(page, front_desk, base_url=live_server.url)

    page.goto(f"/staff/patients/{patient_ann.pk}/")
    expect(page.get_by_role("heading", name="Visits")).to_be_visible()
    assert _left(page) == "2"

    page.get_by_role("link", name="Book a recurring series").click()
    page.get_by_label("Appointment type").select_option(label="Provider visit (30 min)")
    page.get_by_label("Frequency").select_option(label="Monthly on a date")
    page.get_by_label("First visit").fill("2026-06-02")
    page.get_by_label("Time").fill("10:00")
    page.get_by_label("Number of visits").fill("6")
    page.get_by_role("button", name="Check availability").click()

    expect(page.get_by_role("heading", name="6 visits: 1 needs another time")).to_be_visible()
    clash = page.locator("#occurrence-2")
    expect(clash).to_contain_text("The provider already has a visit then.")
    clash.get_by_label("Sun Aug 2, 2026 10:30 AM").check()
    page.get_by_role("button", name="Book the series with the chosen times").click()

    expect(page.get_by_text("Booked 6 visits for Ann Avery.")).to_be_visible()
    starts = list(
        Appointment.objects.filter(patient=patient_ann)
        .order_by("start_at")
        .values_list("start_at", flat=True)
    )
    assert len(starts) == 6
    assert starts[2] == local(date(2026, 8, 2), 10, 30)
    assert _left(page) == "1"  # June's visit is held for the series

    page.get_by_role("link", name="Tue Jun 2, 2026 10:00 AM").click()
    page.get_by_role("button", name="Check in").click()
    expect(page.locator("#visit-status")).to_have_text("Checked in")
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#visit-status")).to_have_text("Completed")

    page.get_by_role("link", name="Ann Avery").first.click()
    row = page.get_by_role("row").filter(has_text="Ann Avery").filter(has_text="Provider visit")
    cells = row.locator("td")
    assert [cells.nth(index).inner_text() for index in (1, 2, 3)] == ["1", "0", "1"]
    first = Appointment.objects.get(patient=patient_ann, start_at=starts[0])
    assert first.status == AppointmentStatus.COMPLETED
