"""The booking policy, priority capacity and a provider's calendar feed through the API: read
and change the reminder hours (refusals name the field and change nothing), add, list and stop
a priority rule, make, renew and end a feed."""

import pytest
from django.test import Client

from careloop.api.tests.sending import send
from careloop.memberships.tests.ledger_builders import make_plan
from careloop.scheduling.models import CalendarFeed, SchedulingSettings
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def test_the_default_policy_reminds_48_and_2_hours_before(front_desk):
    response = send(signed_in_client(front_desk), "GET", "/api/v1/scheduling/settings")
    assert response.json() == {"reminder_hours": [48, 2], "lapsed_membership_booking": "warn"}


def test_an_admin_changes_the_reminder_hours(admin):
    client = signed_in_client(admin)
    response = send(client, "PATCH", "/api/v1/scheduling/settings", {"reminder_hours": [2, 72, 24]})
    assert response.status_code == 200
    assert response.json()["reminder_hours"] == [72, 24, 2]
    assert SchedulingSettings.objects.get().lapsed_membership_booking == "warn"


def test_bad_settings_are_refused_naming_each_field_and_change_nothing(admin):
    response = send(
        signed_in_client(admin),
        "PATCH",
        "/api/v1/scheduling/settings",
        {"reminder_hours": [0, 48], "lapsed_membership_booking": "sometimes"},
    )
    assert response.status_code == 422
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [
        ("reminder_hours", "invalid"),
        ("lapsed_membership_booking", "invalid_choice"),
    ]
    assert not SchedulingSettings.objects.exists()


def test_a_provider_makes_renews_and_ends_their_feed(provider):
    client = signed_in_client(provider)
    first = send(client, "POST", "/api/v1/scheduling/calendar-feed")
    second = send(client, "POST", "/api/v1/scheduling/calendar-feed")
    assert (first.status_code, second.status_code) == (201, 201)
    old, new = (
        response.json()["url"].split("127.0.0.1:8000", 1)[1] for response in (first, second)
    )
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200

    assert send(client, "DELETE", "/api/v1/scheduling/calendar-feed").status_code == 204
    assert Client().get(new).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_front_desk_has_no_feed_to_make(front_desk):
    response = send(signed_in_client(front_desk), "POST", "/api/v1/scheduling/calendar-feed")
    assert response.status_code == 403
    assert not CalendarFeed.objects.exists()


def test_an_admin_adds_lists_and_stops_a_priority_rule_through_the_api(admin):
    concierge = make_plan(name="Concierge")
    client = signed_in_client(admin)
    body = {
        "name": "Same-day Concierge",
        "plan_ids": [concierge.pk],
        "start_time": "13:00",
        "end_time": "17:00",
        "release_time": "08:00",
    }
    refused = send(
        client, "POST", "/api/v1/scheduling/priority-capacity", {**body, "end_time": "12:00"}
    )
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["end_time"]

    created = send(client, "POST", "/api/v1/scheduling/priority-capacity", body)
    assert created.status_code == 201
    rule = created.json()
    assert (rule["plan_ids"], rule["active"]) == ([concierge.pk], True)
    listed = send(client, "GET", "/api/v1/scheduling/priority-capacity").json()
    assert [row["name"] for row in listed] == ["Same-day Concierge"]
    stopped = send(client, "POST", f"/api/v1/scheduling/priority-capacity/{rule['id']}/stop")
    assert stopped.json()["active"] is False
