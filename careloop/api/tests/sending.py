"""Sending JSON to the API from a test client."""

import json
from typing import TYPE_CHECKING, Any

from django.test import Client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response
else:
    Response = Any


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Response:
    if body is None:
        return client.generic(method, url)
    return client.generic(method, url, json.dumps(body), content_type="application/json")
