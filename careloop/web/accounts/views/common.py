from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

View = TypeVar("View", bound=Callable[..., HttpResponse])

NEXT_SESSION_KEY = "careloop_next"


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """`candidate` if it points inside Careloop, else the home page."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("web:home")


def signed_in_view(view: View) -> View:
    """Any signed-in person (the security page is everyone's own)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return cast(View, guarded)


def signed_in_staff_view(view: View) -> View:
    """Signed-in staff, for the authenticator-app pages; patients do not use them."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_clinic_staff:
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return cast(View, guarded)
