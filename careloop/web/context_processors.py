from typing import Any

from django.conf import settings
from django.http import HttpRequest

from careloop.core.selectors import clinic_settings
from careloop.web.navigation import staff_nav


def careloop(request: HttpRequest) -> dict[str, Any]:
    return {
        "clinic": clinic_settings(),
        "demo_mode": settings.DEMO_MODE,
        "staff_nav": staff_nav(request),
    }
