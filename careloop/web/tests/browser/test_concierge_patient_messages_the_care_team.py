"""Secure messaging end to end: Hana, a Concierge member, writes in the portal; the thread
routes to her primary provider in the clinical team's inbox with a 4-hour target; the
provider adds an internal note and replies; Hana sees the reply but never the note. Ivo,
whose membership has ended, is told why messaging is closed and what to do instead.

The clock stands at Monday March 2 2026, 09:00 in the clinic's zone (the messaging builders'
morning), inside opening hours.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from careloop.accounts.roles import Role
from careloop.memberships.models import Membership
from careloop.messaging.models import MessageKind, ResponseClock, Thread
from careloop.messaging.tests.messaging_builders import (
    care_team_routes,
    concierge,
    member,
    primary_provider,
)
from careloop.testing.factories import make_patient, make_user
from careloop.web.tests.browser.messaging_steps import (
    add_internal_note,
    conversation,
    open_thread_from_my_inbox,
    reply,
    write_to_the_care_team,
)
from careloop.web.tests.browser.steps import sign_in_with_session

QUESTION = "Can I take the new tablets with breakfast?"
NOTE = "Checked her kidney panel from February: fine."
ANSWER = "Yes, with breakfast is best. Drink a full glass of water."


@pytest.mark.browser
def test_a_concierge_patient_writes_and_sees_the_reply_but_not_the_internal_note(
    page: Page, live_server: LiveServer, settings, tmp_path
) -> None:
    settings.MESSAGING_ATTACHMENT_DIR = tmp_path / "attachments"
    admin = make_user(role=Role.ADMIN, username="alex", first_name="Alex", last_name="Tester")
    provider = make_user(role=Role.PROVIDER, username="drkim", first_name="Dana", last_name="Kim")
    clinical = care_team_routes(admin)
    plan = concierge(name="Concierge")
    hana = make_patient(
        given="Hana",
        family="Ito",
        user=make_user(role=Role.PATIENT, username="hana", first_name="Hana", last_name="Ito"),
    )
    member(admin, plan, hana)  # freezes the clock at Monday 09:00 in Chicago
    primary_provider(admin, hana, provider)
    ivo = make_patient(
        given="Ivo",
        family="Novak",
        user=make_user(role=Role.PATIENT, username="ivo", first_name="Ivo", last_name="Novak"),
    )
    member(admin, plan, ivo)
    Membership.objects.filter(members__patient=ivo).update(status="ended")

    # Hana writes from the portal, under the emergency notice and her plan's response time.
    assert hana.user is not None
    sign_in_with_session(page, hana.user, base_url=live_server.url)
    page.goto("/portal/messages/")
    expect(page.get_by_role("note")).to_contain_text("If this is an emergency, call 911.")
    expect(page.locator(".response-target")).to_contain_text(
        "Your Concierge plan: the care team answers within 4 business hours"
    )
    write_to_the_care_team(page, "Clinical question", QUESTION)
    expect(conversation(page)).to_contain_text(QUESTION)
    expect(conversation(page)).to_contain_text("Not yet read")

    # It routed to her primary provider, in the clinical team's inbox, with a 4-hour target.
    thread = Thread.objects.get(patient=hana)
    assert thread.team_id == clinical.pk
    assert thread.assignee_id == provider.pk
    assert ResponseClock.objects.get(thread=thread).target_business_hours == 4

    # The provider sees it in their inbox, unread, due in 4 business hours.
    page.context.clear_cookies()
    sign_in_with_session(page, provider, base_url=live_server.url)
    row = open_thread_from_my_inbox(page, hana)
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Messages 1 unread")
    expect(row).to_contain_text("Unread")
    expect(row).to_contain_text("4 business hours")
    expect(row).to_contain_text("Mar 2, 1:00 PM")
    row.get_by_role("link", name="Hana Ito").click()
    facts = page.locator(".thread-facts")
    expect(facts).to_contain_text("Concierge")
    expect(facts).to_contain_text("4 business hours")
    expect(conversation(page)).to_contain_text(QUESTION)

    # An internal note beside the conversation, then the reply.
    add_internal_note(page, NOTE)
    note = conversation(page).get_by_role("article", name=re.compile("Internal note"))
    expect(note).to_contain_text("Internal — not visible to the patient")
    expect(note).to_contain_text(NOTE)
    reply(page, ANSWER)
    expect(conversation(page)).to_contain_text(ANSWER)
    expect(conversation(page)).to_contain_text("Not yet read by the patient")
    assert [m.kind for m in thread.messages.order_by("id")] == [
        MessageKind.MESSAGE,
        MessageKind.NOTE,
        MessageKind.MESSAGE,
    ]

    # Hana sees the reply, marked new in her list, and never the note.
    page.context.clear_cookies()
    sign_in_with_session(page, hana.user, base_url=live_server.url)
    page.goto("/portal/messages/")
    expect(page.get_by_role("listitem").filter(has_text="Clinical question")).to_contain_text(
        "New reply"
    )
    page.get_by_role("link", name="Clinical question").click()
    expect(conversation(page)).to_contain_text(ANSWER)
    expect(conversation(page)).to_contain_text("Read by the care team")
    expect(page.locator("body")).not_to_contain_text(NOTE)
    expect(page.locator("body")).not_to_contain_text("Internal")

    # Ivo's membership has ended: messaging is closed, with why and what to do instead.
    assert ivo.user is not None
    page.context.clear_cookies()
    sign_in_with_session(page, ivo.user, base_url=live_server.url)
    page.goto("/portal/messages/")
    expect(page.get_by_role("note")).to_contain_text("If this is an emergency, call 911.")
    closed = page.get_by_role("region", name="Messaging is closed")
    expect(closed).to_contain_text("Your Concierge membership has ended")
    expect(closed).to_contain_text("What to do instead:")
    expect(closed).to_contain_text("You can join a plan again to message the care team.")
    expect(page.get_by_role("link", name="Write to the care team")).to_have_count(0)
