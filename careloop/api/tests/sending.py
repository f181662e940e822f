"""Sending JSON to the API from a test client."""

import json
from typing import Any

from django.http import HttpResponse
from django.test import Client


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> HttpResponse:
    if body is None:
        return client.generic(method, url)  # type: ignore[return-value]
    return client.generic(  # type: ignore[return-value]
        method, url, json.dumps(body), content_type="application/json"
    )
