"""The admin's scheduling settings page: each form adds through its service, refusals show
beside the field and save nothing (synthetic data only)."""

import pytest
from django.urls import reverse

from careloop.memberships.tests.ledger_builders import make_plan
from careloop.scheduling.models import (
    AppointmentType,
    Break,
    Location,
    PriorityCapacity,
    SchedulingSettings,
    TimeOff,
    WorkingHours,
)
from careloop.scheduling.tests.builders import clinic_in_new_york
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db
URL = reverse("staff:scheduling_settings")


@pytest.fixture
def client(admin):
    clinic_in_new_york()
    return signed_in_client(admin)


def _post(client, form, **fields):
    data = {"form": form, **{f"{form}-{name}": value for name, value in fields.items()}}
    return client.post(URL, data, follow=True)


def test_an_admin_sets_up_a_location_hours_a_break_time_off_and_a_type(client, provider):
    _post(client, "location", name="Midtown", address="1 Example Plaza", time_zone="")
    midtown = Location.objects.get()
    _post(
        client,
        "hours",
        provider=provider.pk,
        location=midtown.pk,
        weekday=0,
        start_time="09:00",
        end_time="17:00",
    )
    _post(
        client,
        "hours",
        provider=provider.pk,
        location=midtown.pk,
        weekday=0,
        start_time="12:00",
        end_time="13:00",
        is_break="on",
    )
    _post(
        client,
        "time_off",
        provider=provider.pk,
        start_at="2026-07-06T00:00",
        end_at="2026-07-11T00:00",
        reason="Conference",
    )
    page = _post(
        client,
        "type",
        name="Follow-up",
        duration_minutes=30,
        buffer_minutes=5,
        mode="in_person",
        service_kind="provider_visit",
        lead_time_minutes=60,
        late_cancel_window_hours=24,
        late_cancel_fee="40.00",
        no_show_fee="75",
    ).content.decode()

    hours = WorkingHours.objects.get()
    assert (hours.provider, hours.location, hours.weekday) == (provider, midtown, 0)
    assert Break.objects.get().start_time.hour == 12
    away = TimeOff.objects.get()
    assert away.reason == "Conference"
    assert away.start_at.isoformat() == "2026-07-06T04:00:00+00:00"  # midnight in New York
    kind = AppointmentType.objects.get()
    assert (kind.late_cancel_fee, kind.no_show_fee, kind.buffer_minutes) == (4000, 7500, 5)
    assert "Appointment type Follow-up added." in page
    assert "$40.00" in page


def test_the_policy_is_saved_and_bad_hours_are_refused_beside_the_field(client):
    page = _post(client, "policy", reminder_hours="72, 2", lapsed_membership_booking="block")
    assert "Booking policy saved." in page.content.decode()
    saved = SchedulingSettings.objects.get()
    assert (saved.reminder_hours, saved.lapsed_membership_booking) == ([72, 2], "block")

    for bad, message in (("two days", "whole numbers"), ("0, 48", "1 to 336 hours")):
        refused = _post(client, "policy", reminder_hours=bad, lapsed_membership_booking="warn")
        assert message in refused.content.decode()
        assert 'id="policy-reminder_hours-errors"' in refused.content.decode()
    saved.refresh_from_db()
    assert (saved.reminder_hours, saved.lapsed_membership_booking) == ([72, 2], "block")


def test_hours_that_overlap_are_refused_and_nothing_is_added(client, provider):
    _post(client, "location", name="Midtown")
    midtown = Location.objects.get()
    hours = {"provider": provider.pk, "location": midtown.pk, "weekday": 0}
    _post(client, "hours", **hours, start_time="09:00", end_time="17:00")
    refused = _post(client, "hours", **hours, start_time="16:00", end_time="18:00")
    assert "Nothing was saved" in refused.content.decode()
    assert WorkingHours.objects.count() == 1


def test_an_admin_limits_a_type_and_holds_slots_then_stops_the_hold(client):
    concierge = make_plan(name="Concierge")
    kind = AppointmentType.objects.create(name="Same-day visit", duration_minutes=30)

    _post(client, "type_plans", appointment_type=kind.pk, plan_ids=[concierge.pk])
    assert list(kind.plans_allowed.all()) == [concierge]

    refused = _post(
        client,
        "priority",
        name="Same-day Concierge",
        plan_ids=[concierge.pk],
        start_time="17:00",
        end_time="13:00",
        release_time="08:00",
        release_days_before=0,
    )
    assert 'id="priority-end_time-errors"' in refused.content.decode()
    assert not PriorityCapacity.objects.exists()

    page = _post(
        client,
        "priority",
        name="Same-day Concierge",
        plan_ids=[concierge.pk],
        start_time="13:00",
        end_time="17:00",
        release_time="08:00",
        release_days_before=0,
    ).content.decode()
    rule = PriorityCapacity.objects.get()
    assert list(rule.plans.all()) == [concierge]
    assert "13:00\u201317:00 held for Concierge until 08:00 on the day" in page

    client.post(reverse("staff:priority_rule_stop", kwargs={"rule_id": rule.pk}))
    rule.refresh_from_db()
    assert rule.active is False

    _post(client, "type_plans", appointment_type=kind.pk)
    assert not kind.plans_allowed.exists()


def test_each_section_is_on_the_page_once_and_the_title_is_plain_text(client):
    page = client.get(URL).content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Scheduling settings")
    assert "<" not in title
    assert page.count('id="who-heading"') == 1
