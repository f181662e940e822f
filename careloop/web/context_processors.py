from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from careloop.core.selectors import clinic_settings
from careloop.web.navigation import staff_nav

_CLINIC_ATTRIBUTE = "_careloop_clinic"


def clinic_for_request(request: HttpRequest) -> Any:
    """The settings row, read at most once per request however many templates render."""
    cached = getattr(request, _CLINIC_ATTRIBUTE, None)
    if cached is None:
        cached = clinic_settings()
        setattr(request, _CLINIC_ATTRIBUTE, cached)
    return cached


def careloop(request: HttpRequest) -> dict[str, Any]:
    return {
        "clinic": SimpleLazyObject(lambda: clinic_for_request(request)),
        "demo_mode": settings.DEMO_MODE,
        "staff_nav": staff_nav(request),
    }
