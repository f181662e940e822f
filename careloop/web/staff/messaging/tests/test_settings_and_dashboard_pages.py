"""Admins' routing and reply template pages, and the response-time dashboard."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from careloop.accounts.roles import Role
from careloop.core import clock
from careloop.messaging.models import (
    LapsedMembershipMessaging,
    MessagingTeam,
    ReplyTemplate,
    RoutingRule,
    Topic,
)
from careloop.messaging.selectors.eligibility import past_due_messaging
from careloop.messaging.services.routing import messaging_team_save
from careloop.messaging.services.threads import message_send
from careloop.messaging.tests.messaging_builders import snapshot
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def test_the_routing_page_lists_every_topic_and_saves_a_rule(clinical, admin):
    client = signed_in_client(admin)
    page = client.get(reverse("staff:messaging_routing")).content.decode()
    for topic in Topic:
        assert f"Save {topic.label.lower()} routing" in page
    response = client.post(
        reverse("staff:messaging_routing"),
        {
            "topic": "refill",
            "refill-topic": "refill",
            "refill-target": "team",
            "refill-team": clinical.pk,
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(topic="refill")
    assert rule.team_id == clinical.pk


def test_a_rule_pointing_at_a_team_nobody_staffs_is_refused_naming_the_team(clinical, admin):
    billing_team = messaging_team_save(actor=admin, name="Billing desk", role=Role.BILLING)
    before = snapshot()
    response = signed_in_client(admin).post(
        reverse("staff:messaging_routing"),
        {
            "topic": "billing",
            "billing-topic": "billing",
            "billing-target": "team",
            "billing-team": billing_team.pk,
        },
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Team: The rule for Billing points at Billing desk, which has no active billing" in body
    assert "Nothing was changed." in body
    assert snapshot()["rules"] == before["rules"]


def test_an_admin_creates_a_team_and_a_nameless_team_is_refused(admin, front_desk):
    client = signed_in_client(admin)
    response = client.post(
        reverse("staff:messaging_team_create"),
        {
            "team-name": "Front desk",
            "team-role": "front_desk",
            "team-assignment": "round_robin",
            "team-lead": front_desk.pk,
        },
    )
    assert response.status_code == 302
    team = MessagingTeam.objects.get()
    assert (team.role, team.assignment, team.lead_id) == (
        "front_desk",
        "round_robin",
        front_desk.pk,
    )
    assert "Front desk" in client.get(reverse("staff:messaging_routing")).content.decode()
    refused = client.post(
        reverse("staff:messaging_team_create"),
        {"team-name": " ", "team-role": "billing", "team-assignment": "claim"},
    )
    assert refused.status_code == 422
    assert "Team name: Name the team." in refused.content.decode()
    assert MessagingTeam.objects.count() == 1


def test_an_admin_changes_a_teams_assignment_and_lead_and_a_taken_name_is_refused(
    admin, provider, clinical
):
    other = messaging_team_save(actor=admin, name="Billing", role=Role.BILLING)
    client = signed_in_client(admin)
    url = reverse("staff:messaging_team_edit", args=[clinical.pk])
    assert clinical.name in client.get(url).content.decode()

    saved = client.post(
        url,
        {"name": "Clinical care", "role": "provider", "assignment": "claim", "lead": provider.pk},
    )

    assert saved.status_code == 302
    clinical.refresh_from_db()
    assert (clinical.name, clinical.assignment, clinical.lead) == (
        "Clinical care",
        "claim",
        provider,
    )
    before = snapshot()
    refused = client.post(
        url, {"name": other.name, "role": "provider", "assignment": "round_robin"}
    )
    assert refused.status_code == 422
    assert "There is already a team named Billing." in refused.content.decode()
    clinical.refresh_from_db()
    assert clinical.name == "Clinical care"
    assert snapshot() == before


def test_an_admin_blocks_messaging_for_past_due_members(admin):
    client = signed_in_client(admin)
    page = client.get(reverse("staff:messaging_routing")).content.decode()
    assert re.search(r'<input[^>]*value="warn"[^>]*checked', page)  # the default

    saved = client.post(reverse("staff:messaging_policy"), {"past_due_messaging": "block"})

    assert saved.status_code == 302
    assert past_due_messaging() == LapsedMembershipMessaging.BLOCK
    refused = client.post(reverse("staff:messaging_policy"), {"past_due_messaging": "maybe"})
    assert refused.status_code == 422
    assert past_due_messaging() == LapsedMembershipMessaging.BLOCK


def test_a_reply_template_is_created_and_a_nameless_one_refused(admin):
    client = signed_in_client(admin)
    response = client.post(
        reverse("staff:messaging_templates"),
        {"name": "Refill ready", "topic": "refill", "body": "Your refill is ready."},
    )
    assert response.status_code == 302
    template = ReplyTemplate.objects.get()
    assert template.topic == "refill"
    refused = client.post(reverse("staff:messaging_templates"), {"name": "", "body": "x"})
    assert refused.status_code == 422
    assert "Name: Name the template." in refused.content.decode()
    assert ReplyTemplate.objects.count() == 1
    edit = client.post(
        reverse("staff:messaging_template_edit", args=[template.pk]),
        {"name": "Refill ready", "topic": "", "body": "Ready at the desk."},
    )
    assert edit.status_code == 302
    template.refresh_from_db()
    assert (template.topic, template.body) == ("", "Ready at the desk.")


def test_the_dashboard_shows_figures_per_plan_and_per_person(ann_thread, provider, admin):
    clock.freeze(clock.now() + timedelta(hours=1))
    message_send(actor=provider, thread=ann_thread, body="Answered.")
    clock.freeze(clock.now() + timedelta(hours=1))
    response = signed_in_client(admin).get(
        reverse("staff:message_dashboard"), {"start": "2026-03-01", "end": "2026-03-02"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Per plan" in body
    assert "Per person" in body
    assert "Concierge" in body
    assert provider.display_name in body
    assert "100% (1 of 1)" in body


def test_a_backwards_date_range_is_refused_beside_its_field(admin):
    response = signed_in_client(admin).get(
        reverse("staff:message_dashboard"), {"start": "2026-03-05", "end": "2026-03-01"}
    )
    assert response.status_code == 422
    assert "The range ends before it starts." in response.content.decode()
