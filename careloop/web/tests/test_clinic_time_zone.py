from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from careloop.core.models import ClinicSettings
from careloop.web.middleware import ClinicTimeZoneMiddleware

pytestmark = pytest.mark.django_db


def test_pages_show_times_in_the_clinic_time_zone():
    ClinicSettings.objects.create(time_zone="America/Chicago")
    instant = datetime(2026, 3, 2, 3, 9, tzinfo=UTC)

    def render(request):
        from django.http import HttpResponse

        return HttpResponse(Template("{{ at|date:'Y-m-d H:i' }}").render(Context({"at": instant})))

    response = ClinicTimeZoneMiddleware(render)(RequestFactory().get("/"))
    # 03:09 UTC on March 2nd is 21:09 on March 1st in Chicago (CST, UTC-6).
    assert response.content.decode() == "2026-03-01 21:09"
