from typing import Any

from django.conf import settings
from django.http import HttpRequest

from careloop.core.selectors import clinic_settings


def careloop(request: HttpRequest) -> dict[str, Any]:
    return {"clinic": clinic_settings(), "demo_mode": settings.DEMO_MODE}
