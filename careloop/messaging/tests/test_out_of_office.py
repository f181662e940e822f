"""While an assignee is out of office, a patient's new message in their thread passes it to
their cover (or back to the team's pool); staff end their own absence early, admins anyone's."""

from datetime import UTC, datetime, timedelta

import pytest

from careloop.accounts.roles import Role
from careloop.core import clock
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.messaging.models import OutOfOffice, ThreadChange
from careloop.messaging.services.routing import out_of_office_add, out_of_office_end
from careloop.messaging.services.threads import message_send
from careloop.notifications.models import OutboxMessage
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday_morning():
    clock.freeze(datetime(2026, 3, 2, 15, tzinfo=UTC))


def _away(actor, staff, *, cover=None, starts=-1, ends=48):
    now = clock.now()
    return out_of_office_add(
        actor=actor,
        staff=staff,
        starts_at=now + timedelta(hours=starts),
        ends_at=now + timedelta(hours=ends),
        cover=cover,
    )


def test_a_new_message_to_an_away_assignee_goes_to_their_cover(ann_thread, provider):
    cover = make_user(role=Role.PROVIDER, username="provider_quinn")
    assert ann_thread.assignee == provider
    _away(provider, provider, cover=cover)

    message_send(actor=ann_thread.patient.user, thread=ann_thread, body="Any news?")

    ann_thread.refresh_from_db()
    assert ann_thread.assignee == cover
    change = ThreadChange.objects.filter(thread=ann_thread).latest("id")
    assert (change.action, change.from_assignee, change.to_assignee, change.actor) == (
        "reassign",
        provider,
        cover,
        None,
    )
    assert (
        change.reason == f"{provider.display_name} is out of office; {cover.display_name} covers."
    )
    assert OutboxMessage.objects.filter(recipient=cover.email, kind="messaging.assigned").exists()


def test_without_a_cover_the_thread_goes_back_to_the_teams_pool(ann_thread, provider):
    _away(provider, provider)

    message_send(actor=ann_thread.patient.user, thread=ann_thread, body="Any news?")

    ann_thread.refresh_from_db()
    assert ann_thread.assignee is None
    assert (
        ThreadChange.objects.filter(thread=ann_thread)
        .latest("id")
        .reason.endswith("back to the team's pool.")
    )


def test_an_assignee_who_is_in_keeps_the_thread(ann_thread, provider):
    _away(provider, provider, starts=24, ends=48)  # away from tomorrow only
    message_send(actor=ann_thread.patient.user, thread=ann_thread, body="Any news?")
    ann_thread.refresh_from_db()
    assert ann_thread.assignee == provider


def test_ending_an_absence_under_way_ends_it_now_and_a_future_one_is_withdrawn(provider):
    current = _away(provider, provider)
    future = _away(provider, provider, starts=72, ends=96)

    ended = out_of_office_end(actor=provider, away=current)
    withdrawn = out_of_office_end(actor=provider, away=future)

    assert ended is not None
    assert ended.ends_at == clock.now()
    assert withdrawn is None
    assert list(OutOfOffice.objects.values_list("pk", flat=True)) == [current.pk]


def test_an_absence_already_over_cannot_be_ended(provider):
    past = _away(provider, provider, starts=-48, ends=-24)
    with pytest.raises(ValidationFailed) as refused:
        out_of_office_end(actor=provider, away=past)
    assert refused.value.errors[0].field == "ends_at"


def test_only_admins_end_someone_elses_absence(provider, coach, admin):
    away = _away(provider, provider)
    with pytest.raises(PermissionDenied):
        out_of_office_end(actor=coach, away=away)
    assert OutOfOffice.objects.get().ends_at == away.ends_at
    out_of_office_end(actor=admin, away=away)
    assert OutOfOffice.objects.get().ends_at == clock.now()
