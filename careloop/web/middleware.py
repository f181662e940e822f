from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from careloop.web.context_processors import clinic_for_request


class ClinicTimeZoneMiddleware:
    """Render every time in the clinic's time zone; Careloop stores UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(ZoneInfo(clinic_for_request(request).time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
