"""Session rules for staff: time limits, and nothing but sign-in pages before the second factor."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from careloop.accounts import sessions
from careloop.accounts.selectors import has_confirmed_totp_device
from careloop.accounts.services import sign_out_record

API_PREFIX = "/api/"
# Reachable by a staff session that has passed the password step but not the second factor.
SIGN_IN_URL_NAMES = frozenset(
    {
        "login",
        "logout",
        "mfa_verify",
        "mfa_enroll",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
    }
)


def _problem(request: HttpRequest, *, code: str, title: str, detail: str) -> JsonResponse:
    """The same problem-details shape as careloop.api.problems, for requests refused here."""
    body = {
        "type": f"https://careloop.invalid/problems/{code}",
        "title": title,
        "status": 401,
        "detail": detail,
        "code": code,
        "instance": request.path,
    }
    return JsonResponse(body, status=401, content_type="application/problem+json")


def _to_page(request: HttpRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        # htmx would otherwise swap the sign-in page into a fragment of the current page.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _is_staff_session(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_clinic_staff)


class SessionLimitsMiddleware:
    """Ends a staff session after SESSION_IDLE_TIMEOUT_SECONDS without a request, or
    SESSION_ABSOLUTE_TIMEOUT_SECONDS after sign-in, measured with the clock."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_staff_session(request):
            reason = sessions.expiry_reason(request.session)
            if reason is not None:
                return self._sign_out(request, reason)
            sessions.touch(request.session)
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        sign_out_record(user=request.user, reason=f"{reason}_timeout")  # type: ignore[arg-type]
        logout(request)
        if reason == "idle":
            minutes = settings.SESSION_IDLE_TIMEOUT_SECONDS // 60
            message = f"You were signed out after {minutes} minutes without activity."
        else:
            hours = settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS // 3600
            message = f"You were signed out because sessions last at most {hours} hours."
        if request.path_info.startswith(API_PREFIX):
            return _problem(
                request,
                code="session_expired",
                title="Session expired",
                detail=f"{message} Sign in again, or use an API token.",
            )
        messages.warning(request, f"{message} Sign in again to continue.")
        login_url = redirect_to_login(request.get_full_path())["Location"]
        return _to_page(request, login_url)


class SecondFactorRequiredMiddleware:
    """A staff session that has not passed the second factor reaches only the sign-in pages.

    Staff without a confirmed authenticator app are sent to set one up; the rest to the code
    step. Static files are served before this by WhiteNoise, and are let through besides.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            _is_staff_session(request)
            and not sessions.is_second_factor_verified(request.session)
            and not self._is_allowed(request)
        ):
            if request.path_info.startswith(API_PREFIX):
                return _problem(
                    request,
                    code="second_factor_required",
                    title="Unauthenticated",
                    detail="Finish signing in with your authenticator app code first.",
                )
            step = (
                "accounts:mfa_verify"
                if has_confirmed_totp_device(user=request.user)  # type: ignore[arg-type]
                else "accounts:mfa_enroll"
            )
            login_url = redirect_to_login(request.get_full_path(), reverse(step))["Location"]
            return _to_page(request, login_url)
        return self.get_response(request)

    @staticmethod
    def _is_allowed(request: HttpRequest) -> bool:
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.namespace == "accounts" and match.url_name in SIGN_IN_URL_NAMES
