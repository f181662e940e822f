"""Sign-in: the password step, the second factor or its enrolment, and sign-out."""

import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from careloop.accounts import sessions, totp
from careloop.accounts.errors import SignInLocked, SignInRefused
from careloop.accounts.models import User
from careloop.accounts.selectors import has_confirmed_totp_device
from careloop.accounts.services import (
    sign_in_check_password,
    sign_in_check_second_factor,
    sign_out_record,
    totp_device_confirm,
    totp_device_start_enrolment,
)
from careloop.core.errors import Conflict, ValidationFailed
from careloop.core.selectors import clinic_settings
from careloop.web.accounts.forms import (
    SecondFactorForm,
    SignInForm,
    TotpCodeForm,
    add_service_errors,
)
from careloop.web.accounts.views.common import NEXT_SESSION_KEY, safe_next, signed_in_staff_view

# Django's ModelBackend would match the username exactly; Careloop matches it ignoring case
# in sign_in_check_password and then records which backend signed the user in.
AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _fully_signed_in(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    return not user.is_clinic_staff or sessions.is_second_factor_verified(request.session)


def _continue(request: HttpRequest) -> HttpResponse:
    return redirect(safe_next(request, request.session.pop(NEXT_SESSION_KEY, None)))


@sensitive_post_parameters("password")
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if _fully_signed_in(request):
        return redirect(safe_next(request, next_url))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = sign_in_check_password(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except SignInRefused as error:
            form.add_error(None, error.message)
        else:
            auth_login(request, user, backend=AUTH_BACKEND)
            sessions.mark_signed_in(request.session, second_factor_verified=False)
            request.session[NEXT_SESSION_KEY] = safe_next(request, next_url)
            if not user.is_clinic_staff:
                return _continue(request)
            if has_confirmed_totp_device(user=user):
                return redirect("accounts:mfa_verify")
            return redirect("accounts:mfa_enroll")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        sign_out_record(user=request.user, reason="requested")
    auth_logout(request)
    messages.success(request, "You are signed out.")
    return redirect("accounts:login")


def _finish_second_factor(request: HttpRequest) -> None:
    # A new session key for the now fully trusted session, so a key seen before the second
    # factor is worth nothing afterwards.
    request.session.cycle_key()
    sessions.mark_second_factor_verified(request.session)


@sensitive_post_parameters("code")
@never_cache
@signed_in_staff_view
def mfa_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if sessions.is_second_factor_verified(request.session):
        return _continue(request)
    if not has_confirmed_totp_device(user=user):
        return redirect("accounts:mfa_enroll")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = sign_in_check_second_factor(user=user, code=form.cleaned_data["code"])
        except SignInLocked as error:
            auth_logout(request)
            messages.error(request, error.message)
            return redirect("accounts:login")
        except SignInRefused as error:
            form.add_error("code", error.message)
        else:
            _finish_second_factor(request)
            if method == "recovery_code":
                messages.warning(
                    request,
                    "You signed in with a recovery code; it cannot be used again. "
                    "Make new codes on your Security page if you are running low.",
                )
            return _continue(request)
    return render(request, "accounts/mfa_verify.html", {"form": form})


def _qr_svg(uri: str) -> str:
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#1d2733")
    # segno writes the SVG itself; nothing from the request reaches it except via the URI,
    # which segno encodes as modules, not text.
    return mark_safe(svg)  # noqa: S308


def _groups_of_four(secret: str) -> list[str]:
    return [secret[index : index + 4] for index in range(0, len(secret), 4)]


@sensitive_post_parameters("code")
@never_cache
@signed_in_staff_view
def mfa_enroll(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if has_confirmed_totp_device(user=user):
        if sessions.is_second_factor_verified(request.session):
            return redirect("accounts:security")
        return redirect("accounts:mfa_verify")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_device_confirm(user=user, code=form.cleaned_data["code"])
        except ValidationFailed as error:
            add_service_errors(form, error)
        except Conflict:
            return redirect("accounts:mfa_enroll")
        else:
            _finish_second_factor(request)
            return render(
                request,
                "accounts/recovery_codes.html",
                {
                    "codes": codes,
                    "first_time": True,
                    "continue_url": safe_next(request, request.session.pop(NEXT_SESSION_KEY, None)),
                },
            )
    secret = totp_device_start_enrolment(user=user)
    uri = totp.provisioning_uri(secret, account=user.username, issuer=clinic_settings().name)
    return render(
        request,
        "accounts/mfa_enroll.html",
        {"form": form, "qr_svg": _qr_svg(uri), "secret_groups": _groups_of_four(secret)},
    )
