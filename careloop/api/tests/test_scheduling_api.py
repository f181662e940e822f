"""Scheduling through the API: calendar reads and settings, availability, the membership
effect, booking (and its refusals naming the field, with nothing booked), status actions,
listing, and series."""

from datetime import timedelta
from urllib.parse import quote

import pytest

from careloop.api.tests.sending import send
from careloop.memberships.models import EntitlementEntry, EntryKind
from careloop.scheduling.models import Appointment, AppointmentSeries
from careloop.scheduling.tests.builders import MONDAY, TUESDAY, local
from careloop.scheduling.tests.membership_builders import (
    A_LA_CARTE,
    MEMBER_PRICE,
    MemberClinic,
    member_clinic,
)
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(provider) -> MemberClinic:
    return member_clinic(provider)


def _q(moment) -> str:
    return quote(moment.isoformat())


def _booking(clinic, patient, start, **extra):
    return {
        "patient_id": patient.id,
        "provider_id": clinic.provider.id,
        "location_id": clinic.location.id,
        "appointment_type_id": clinic.visit.id,
        "start_at": start.isoformat(),
        **extra,
    }


def _fields(response) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def test_front_desk_reads_locations_hours_and_types(clinic, front_desk):
    client = signed_in_client(front_desk)

    locations = send(client, "GET", "/api/v1/scheduling/locations").json()
    hours = send(
        client, "GET", f"/api/v1/scheduling/working-hours?provider_id={clinic.provider.id}"
    ).json()
    kinds = send(client, "GET", "/api/v1/scheduling/appointment-types").json()

    assert [location["name"] for location in locations] == ["Midtown"]
    assert [(row["weekday"], row["start_time"], row["end_time"]) for row in hours][:2] == [
        (0, "09:00:00", "17:00:00"),
        (1, "09:00:00", "17:00:00"),
    ]
    assert [(kind["name"], kind["service_kind"], kind["plans_allowed"]) for kind in kinds] == [
        ("Provider visit", "provider_visit", [])
    ]


def test_an_admin_adds_hours_and_bad_hours_are_refused_naming_the_field(clinic, admin):
    client = signed_in_client(admin)
    body = {
        "provider_id": clinic.provider.id,
        "location_id": clinic.location.id,
        "weekday": 5,
        "start_time": "12:00",
        "end_time": "10:00",
    }

    refused = send(client, "POST", "/api/v1/scheduling/working-hours", body)
    added = send(
        client, "POST", "/api/v1/scheduling/working-hours", {**body, "start_time": "08:00"}
    )

    assert refused.status_code == 422
    assert ("end_time", "before_start") in _fields(refused) or any(
        field == "end_time" for field, _ in _fields(refused)
    )
    assert added.status_code == 201
    assert added.json()["weekday"] == 5


def test_availability_lists_free_slots_and_refuses_a_reversed_range(clinic, front_desk):
    client = signed_in_client(front_desk)
    base = f"/api/v1/scheduling/availability?appointment_type_id={clinic.visit.id}"

    slots = send(client, "GET", f"{base}&first_day={TUESDAY}&last_day={TUESDAY}").json()
    reversed_range = send(client, "GET", f"{base}&first_day={TUESDAY}&last_day={MONDAY}")

    assert slots[0]["start"] == "2026-06-02T13:00:00Z"
    assert len(slots) == 26  # 9:00-11:30 and 13:00-16:30 every 15 minutes, 30 minutes long
    assert reversed_range.status_code == 422
    assert _fields(reversed_range) == [("last_day", "before_start")]


def test_the_booking_effect_shows_coverage_before_booking(clinic, front_desk, patient_ann):
    clinic.enroll(patient_ann)
    url = (
        f"/api/v1/scheduling/booking-effect?patient_id={patient_ann.id}"
        f"&appointment_type_id={clinic.visit.id}&location_id={clinic.location.id}"
        f"&start_at={_q(local(TUESDAY, 10))}"
    )

    body = send(signed_in_client(front_desk), "GET", url).json()

    assert (body["outcome"], body["allowed"], body["price"], body["left_after"]) == (
        "covered",
        True,
        0,
        1,
    )
    assert body["plan_name"] == "Active Care"


def test_booking_holds_the_allowance_and_returns_the_visit(clinic, front_desk, patient_ann):
    clinic.enroll(patient_ann)

    response = send(
        signed_in_client(front_desk),
        "POST",
        "/api/v1/scheduling/appointments",
        _booking(clinic, patient_ann, local(TUESDAY, 10)),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["coverage"], body["quoted_price"]) == ("scheduled", "covered", 0)
    assert body["start_at"] == "2026-06-02T14:00:00Z"
    hold = EntitlementEntry.objects.get(kind=EntryKind.HOLD)
    assert hold.source_id == str(body["id"])


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (local(MONDAY, 7), [("start_at", "in_the_past")]),
        (local(TUESDAY, 7), [("start_at", "outside_hours")]),
        (local(TUESDAY, 12), [("start_at", "outside_hours")]),
    ],
)
def test_a_booking_in_the_past_or_outside_hours_is_refused_naming_the_field(
    clinic, front_desk, patient_ann, start, expected
):
    response = send(
        signed_in_client(front_desk),
        "POST",
        "/api/v1/scheduling/appointments",
        _booking(clinic, patient_ann, start),
    )

    assert response.status_code == 422
    assert _fields(response) == expected
    assert not Appointment.objects.exists()


def test_a_type_the_plan_may_not_book_and_an_unacknowledged_price_book_nothing(
    clinic, front_desk, patient_ann, patient_bob
):
    from careloop.memberships.tests.ledger_builders import make_plan

    clinic.enroll(patient_ann)
    clinic.visit.plans_allowed.add(make_plan(name="Concierge"))
    client = signed_in_client(front_desk)

    not_allowed = send(
        client,
        "POST",
        "/api/v1/scheduling/appointments",
        _booking(clinic, patient_ann, local(TUESDAY, 10)),
    )
    clinic.visit.plans_allowed.clear()
    unacknowledged = send(
        client,
        "POST",
        "/api/v1/scheduling/appointments",
        _booking(clinic, patient_bob, local(TUESDAY, 10)),
    )

    assert _fields(not_allowed) == [("appointment_type", "not_allowed_for_plan")]
    assert _fields(unacknowledged) == [("acknowledged_price", "price_not_acknowledged")]
    assert str(A_LA_CARTE // 100) in unacknowledged.json()["errors"][0]["message"]
    assert not Appointment.objects.exists()


def test_the_member_price_books_once_acknowledged(clinic, front_desk, patient_ann):
    clinic.enroll(patient_ann)
    clinic.book(front_desk, patient_ann, local(TUESDAY, 9))
    clinic.book(front_desk, patient_ann, local(TUESDAY, 10))

    response = send(
        signed_in_client(front_desk),
        "POST",
        "/api/v1/scheduling/appointments",
        _booking(clinic, patient_ann, local(TUESDAY, 11), acknowledged_price=MEMBER_PRICE),
    )

    assert response.status_code == 201
    assert (response.json()["coverage"], response.json()["quoted_price"]) == (
        "member_price",
        MEMBER_PRICE,
    )


def test_status_actions_move_the_visit_and_illegal_ones_change_nothing(
    clinic, front_desk, patient_ann
):
    from careloop.core import clock

    clinic.enroll(patient_ann)
    visit = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    client = signed_in_client(front_desk)
    url = f"/api/v1/scheduling/appointments/{visit.id}"

    confirmed = send(client, "POST", f"{url}/confirm")
    too_early = send(client, "POST", f"{url}/complete")
    clock.freeze(local(TUESDAY, 10, 2))
    client = signed_in_client(front_desk)  # a new session on the visit's day
    checked_in = send(client, "POST", f"{url}/check-in")
    completed = send(client, "POST", f"{url}/complete")
    cancelled = send(client, "POST", f"{url}/cancel", {"reason": "Changed mind"})

    assert confirmed.json()["status"] == "confirmed"
    assert (too_early.status_code, too_early.json()["code"]) == (409, "illegal_transition")
    assert checked_in.json()["status"] == "checked_in"
    assert completed.json()["status"] == "completed"
    assert (cancelled.status_code, cancelled.json()["code"]) == (409, "illegal_transition")
    visit.refresh_from_db()
    assert visit.status == "completed"
    uses = EntitlementEntry.objects.filter(source_id=str(visit.pk)).order_by("id")
    assert list(uses.values_list("kind", flat=True)) == [EntryKind.HOLD, EntryKind.CONSUME]


def test_cancel_and_no_show_through_the_api(clinic, front_desk, patient_ann):
    from careloop.core import clock

    clinic.enroll(patient_ann)
    first = clinic.book(front_desk, patient_ann, local(TUESDAY, 9))
    second = clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    client = signed_in_client(front_desk)

    cancelled = send(client, "POST", f"/api/v1/scheduling/appointments/{first.id}/cancel")
    early = send(client, "POST", f"/api/v1/scheduling/appointments/{second.id}/no-show")
    clock.freeze(local(TUESDAY, 10, 30))
    client = signed_in_client(front_desk)
    no_show = send(client, "POST", f"/api/v1/scheduling/appointments/{second.id}/no-show")

    assert cancelled.json()["status"] == "cancelled"
    assert _fields(early) == [("status", "too_early")]
    assert no_show.json()["status"] == "no_show"


def test_appointments_list_by_provider_patient_and_range(
    clinic, front_desk, patient_ann, patient_bob
):
    clinic.enroll(patient_ann)
    ann = clinic.book(front_desk, patient_ann, local(TUESDAY, 9))
    clinic.book(front_desk, patient_bob, local(TUESDAY, 10), acknowledged_price=A_LA_CARTE)
    client = signed_in_client(front_desk)
    day = f"start={_q(local(TUESDAY, 0))}&end={_q(local(TUESDAY + timedelta(days=1), 0))}"

    everyone = send(client, "GET", f"/api/v1/scheduling/appointments?{day}").json()
    only_ann = send(
        client, "GET", f"/api/v1/scheduling/appointments?{day}&patient_id={patient_ann.id}"
    ).json()
    by_provider = send(
        client, "GET", f"/api/v1/scheduling/appointments?{day}&provider_id={clinic.provider.id}"
    ).json()
    reversed_range = send(
        client,
        "GET",
        f"/api/v1/scheduling/appointments?start={_q(local(TUESDAY, 10))}"
        f"&end={_q(local(TUESDAY, 9))}",
    )
    one = send(client, "GET", f"/api/v1/scheduling/appointments/{ann.id}").json()

    assert len(everyone) == 2
    assert len(by_provider) == 2
    assert [row["id"] for row in only_ann] == [ann.id]
    assert _fields(reversed_range) == [("end", "before_start")]
    assert one["patient_id"] == patient_ann.id


def _series_body(clinic, patient, **extra):
    return {
        "patient_id": patient.id,
        "provider_id": clinic.provider.id,
        "location_id": clinic.location.id,
        "appointment_type_id": clinic.visit.id,
        "frequency": "weekly",
        "start_date": TUESDAY.isoformat(),
        "local_start_time": "10:00",
        "count": 3,
        **extra,
    }


def test_a_series_is_checked_then_booked_and_a_conflict_lists_alternatives(
    clinic, front_desk, patient_ann, patient_bob
):
    clinic.enroll(patient_ann)
    clinic.book(
        front_desk,
        patient_bob,
        local(TUESDAY + timedelta(days=7), 10),
        acknowledged_price=A_LA_CARTE,
    )
    client = signed_in_client(front_desk)

    checked = send(
        client, "POST", "/api/v1/scheduling/series/check", _series_body(clinic, patient_ann)
    )
    refused = send(client, "POST", "/api/v1/scheduling/series", _series_body(clinic, patient_ann))
    moved_to = checked.json()["occurrences"][1]["alternatives"][0]
    booked = send(
        client,
        "POST",
        "/api/v1/scheduling/series",
        _series_body(clinic, patient_ann, moved={"1": moved_to}, acknowledged_price=MEMBER_PRICE),
    )

    assert [o["free"] for o in checked.json()["occurrences"]] == [True, False, True]
    assert (refused.status_code, refused.json()["code"]) == (409, "series_has_conflicts")
    assert refused.json()["occurrences"][1]["problem"] == "slot_taken"
    assert booked.status_code == 201, booked.content
    assert len(booked.json()["appointment_ids"]) == 3
    coverage = Appointment.objects.filter(series__isnull=False).order_by("start_at")
    assert [visit.coverage for visit in coverage] == ["covered", "covered", "member_price"]
    assert AppointmentSeries.objects.count() == 1


def test_a_series_without_an_end_is_refused_naming_the_count(clinic, front_desk, patient_ann):
    response = send(
        signed_in_client(front_desk),
        "POST",
        "/api/v1/scheduling/series",
        _series_body(clinic, patient_ann, count=None),
    )

    assert response.status_code == 422
    assert [field for field, _ in _fields(response)] == ["count"]
    assert not Appointment.objects.exists()


def test_patients_and_billing_staff_cannot_reach_the_schedule(clinic, billing, patient_ann):
    portal_user = patient_ann.user
    as_billing = send(signed_in_client(billing), "GET", "/api/v1/scheduling/locations")
    as_patient = send(signed_in_client(portal_user), "GET", "/api/v1/scheduling/locations")

    assert as_billing.status_code == 403
    assert as_patient.status_code == 404


def test_a_series_is_moved_from_one_occurrence_on_and_then_cancelled(
    clinic, front_desk, patient_ann
):
    clinic.enroll(patient_ann)
    client = signed_in_client(front_desk)
    booked = send(
        client,
        "POST",
        "/api/v1/scheduling/series",
        _series_body(clinic, patient_ann, acknowledged_price=MEMBER_PRICE),
    ).json()
    url = f"/api/v1/scheduling/series/{booked['series_id']}"

    moved = send(
        client,
        "POST",
        f"{url}/move",
        {"scope": "following", "occurrence_index": 1, "local_start_time": "15:00"},
    )
    missing = send(client, "POST", f"{url}/move", {"scope": "one", "local_start_time": "15:00"})
    cancelled = send(client, "POST", f"{url}/cancel", {"scope": "all"})

    assert [row["start_at"] for row in moved.json()] == [
        "2026-06-09T19:00:00Z",
        "2026-06-16T19:00:00Z",
    ]
    assert _fields(missing) == [("occurrence_index", "required")]
    assert [row["status"] for row in cancelled.json()] == ["cancelled"] * 3


def test_availability_for_a_patient_follows_priority_capacity(
    clinic, front_desk, patient_ann, patient_bob
):
    from datetime import time

    from careloop.core import clock
    from careloop.scheduling.models import PriorityCapacity

    clinic.enroll(patient_ann)
    rule = PriorityCapacity.objects.create(
        name="Active Care mornings", start_time=time(9), end_time=time(12), release_time=time(8)
    )
    rule.plans.add(clinic.plan)
    clock.freeze(local(TUESDAY, 7))
    client = signed_in_client(front_desk)
    base = (
        f"/api/v1/scheduling/availability?appointment_type_id={clinic.visit.id}"
        f"&first_day={TUESDAY}&last_day={TUESDAY}"
    )

    ann = send(client, "GET", f"{base}&patient_id={patient_ann.id}").json()
    bob = send(client, "GET", f"{base}&patient_id={patient_bob.id}").json()

    assert ann[0]["start"] == "2026-06-02T13:00:00Z"
    assert bob[0]["start"] == "2026-06-02T17:00:00Z"
    assert len(ann) - len(bob) == 11
