from datetime import date

import pytest

from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.memberships.models import MemberRole
from careloop.memberships.services.lifecycle import membership_cancel, membership_downgrade
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    give_visits,
    make_household,
    make_plan,
    make_reason,
)
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(admin):
    freeze_on(date(2026, 1, 1))
    essentials = make_plan(code="essentials", rank=1, name="Essentials")
    active_care = make_plan(code="active-care", rank=2, name="Active Care")
    give_visits(active_care, per_month=2)
    return essentials, active_care


def test_the_list_filters_by_status_plan_and_patient_with_a_total(admin, provider, plans):
    essentials, active_care = plans
    head, partner, _ = family()
    household = enroll(admin, active_care, head, (partner, MemberRole.ADULT))
    single = enroll(admin, essentials, make_patient(given="Sol", family="Single"))
    pending = enroll(admin, essentials, make_patient(given="Pia", family="Pending"), active=False)
    client = signed_in_client(provider)

    def ids(query):
        response = send(client, "GET", f"/api/v1/memberships{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]], response.json()["total"]

    assert ids("")[1] == 3
    assert set(ids("")[0]) == {household.id, single.id, pending.id}
    assert ids("?status=pending") == ([pending.id], 1)
    assert ids(f"?plan_id={essentials.id}")[1] == 2
    assert ids(f"?patient_id={partner.id}") == ([household.id], 1)
    assert ids(f"?plan_id={essentials.id}&status=active") == ([single.id], 1)
    first_page, total = ids("?limit=2&offset=0")
    second_page, _ = ids("?limit=2&offset=2")
    assert (total, len(first_page), len(second_page)) == (3, 2, 1)
    assert set(first_page + second_page) == {household.id, single.id, pending.id}


def test_an_unknown_status_filter_is_a_422_naming_it(provider, plans):
    response = send(signed_in_client(provider), "GET", "/api/v1/memberships?status=frozen")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def test_listing_is_audited_with_the_patients_shown(admin, provider, plans):
    head, partner, _ = family()
    enroll(admin, plans[1], head, (partner, MemberRole.ADULT))
    send(signed_in_client(provider), "GET", "/api/v1/memberships")
    event = AuditEvent.objects.filter(action="membership.list", actor_id=provider.id).get()
    assert sorted(event.detail["patient_ids"]) == sorted([head.id, partner.id])


def test_one_membership_shows_members_period_renewal_benefits_and_scheduled_changes(
    admin, front_desk, plans
):
    essentials, active_care = plans
    head, partner, _ = family()
    membership = enroll(admin, active_care, head, (partner, MemberRole.ADULT))
    membership_downgrade(actor=admin, membership=membership, plan=essentials, at_period_end=True)
    response = send(signed_in_client(front_desk), "GET", f"/api/v1/memberships/{membership.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["payer_name"] == "Frances Fairbanks"
    assert [m["name"] for m in body["members"]] == ["Frances Fairbanks", "Felix Fairbanks"]
    assert body["current_period"] == {"start": "2026-01-01", "end": "2026-02-01"}
    assert body["next_renewal"] == "2026-02-01"
    assert body["covering"] is True
    [benefit] = body["benefits"]
    assert benefit["allowance_text"] == "2 a month"
    assert [b["available"] for b in benefit["balances"]] == [2, 2]
    [change] = body["scheduled_changes"]
    assert (change["kind"], change["effective_on"], change["summary"]) == (
        "plan_change",
        "2026-02-01",
        "Downgrade to Essentials",
    )
    for patient in (head, partner):
        assert AuditEvent.objects.filter(
            action="membership.view", actor_id=front_desk.id, patient_id=patient.id
        ).exists()


def test_an_unknown_membership_is_not_found(provider, plans):
    response = send(signed_in_client(provider), "GET", "/api/v1/memberships/987654")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_history_lists_every_action_with_who_and_why(admin, billing, plans):
    head, _, _ = family()
    membership = enroll(admin, plans[1], head)
    membership_cancel(actor=admin, membership=membership, reason=make_reason())
    response = send(
        signed_in_client(billing), "GET", f"/api/v1/memberships/{membership.id}/history"
    )
    assert response.status_code == 200
    history = [
        (item["action"], item["from_status"], item["to_status"], item["reason"])
        for item in response.json()
    ]
    assert history == [
        ("enroll", "", "active", ""),
        ("cancel", "active", "cancelled", "Moving away"),
    ]
    assert response.json()[1]["actor_name"] == admin.get_full_name()


def test_a_patient_reads_the_membership_that_covers_them_but_not_anothers(
    admin, patient_ann, patient_bob, plans
):
    make_household(patient_ann)
    make_household(patient_bob)
    own = enroll(admin, plans[1], patient_ann)
    other = enroll(admin, plans[1], patient_bob)
    client = signed_in_client(patient_ann.user)
    assert send(client, "GET", f"/api/v1/memberships/{own.id}").status_code == 200
    assert send(client, "GET", f"/api/v1/memberships/{other.id}").status_code == 404
    # The list and the history are staff pages: not there for a patient.
    assert send(client, "GET", "/api/v1/memberships").status_code == 404
    assert send(client, "GET", f"/api/v1/memberships/{own.id}/history").status_code == 404
