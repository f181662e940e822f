from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from careloop.audit.context import current_ip


class RequestContextMiddleware:
    """Remembers the client address of the request being served, for audit rows.

    Careloop trusts REMOTE_ADDR only; a deployment behind a proxy sets it correctly there
    (see docs/configuration.md).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
