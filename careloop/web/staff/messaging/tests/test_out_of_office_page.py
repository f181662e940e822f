"""The out-of-office page: staff record their own absence with a cover and end it early;
admins record anyone's; an end before the start is refused beside its field."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from careloop.accounts.roles import Role
from careloop.core import clock
from careloop.messaging.models import OutOfOffice
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday_morning():
    # 09:00 in Chicago, the test clinic's zone.
    clock.freeze(datetime(2026, 3, 2, 15, tzinfo=UTC))


def test_a_provider_records_their_absence_with_a_cover_and_ends_it_early(provider):
    cover = make_user(role=Role.PROVIDER, username="provider_quinn", first_name="Quinn")
    client = signed_in_client(provider)
    page = client.get(reverse("staff:messaging_out_of_office")).content.decode()
    assert "Who is away" not in page  # their own absence only

    saved = client.post(
        reverse("staff:messaging_out_of_office"),
        {"starts_at": "2026-03-02T08:00", "ends_at": "2026-03-06T17:00", "cover": cover.pk},
    )

    assert saved.status_code == 302
    away = OutOfOffice.objects.get()
    assert (away.staff, away.cover) == (provider, cover)
    assert away.starts_at == datetime(2026, 3, 2, 14, tzinfo=UTC)
    listed = client.get(reverse("staff:messaging_out_of_office")).content.decode()
    assert "Away now" in listed
    assert cover.display_name in listed
    ended = client.post(reverse("staff:messaging_out_of_office_end", args=[away.pk]))
    assert ended.status_code == 302
    assert OutOfOffice.objects.get().ends_at == clock.now()


def test_an_admin_records_someone_elses_absence(admin, coach):
    response = signed_in_client(admin).post(
        reverse("staff:messaging_out_of_office"),
        {"staff": coach.pk, "starts_at": "2026-03-09T08:00", "ends_at": "2026-03-13T17:00"},
    )
    assert response.status_code == 302
    away = OutOfOffice.objects.get()
    assert (away.staff, away.cover) == (coach, None)


def test_an_end_before_the_start_is_refused_beside_its_field(provider):
    response = signed_in_client(provider).post(
        reverse("staff:messaging_out_of_office"),
        {"starts_at": "2026-03-06T08:00", "ends_at": "2026-03-02T17:00"},
    )
    assert response.status_code == 422
    assert "Back at: The end must be after the start." in response.content.decode()
    assert not OutOfOffice.objects.exists()
