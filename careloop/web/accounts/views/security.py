"""The signed-in person's Security page: second factor, recovery codes, password, API tokens."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.accounts.selectors import (
    api_tokens_of,
    confirmed_totp_device,
    recovery_codes_remaining,
)
from careloop.accounts.services import (
    api_token_create,
    api_token_revoke,
    recovery_codes_regenerate,
    user_password_set,
)
from careloop.core.errors import NotFound, ValidationFailed
from careloop.web.accounts.forms import (
    ApiTokenCreateForm,
    PasswordChangeForm,
    TotpCodeForm,
    add_service_errors,
)
from careloop.web.accounts.views.common import signed_in_staff_view, signed_in_view
from careloop.web.decorators import staff_view

LOW_RECOVERY_CODES = 3


def _render_security(
    request: HttpRequest, *, status: int = 200, **forms_by_name: forms.Form
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, Any] = {
        "base_template": "staff/base.html" if user.is_clinic_staff else "accounts/base.html",
        "password_form": forms_by_name.get("password_form") or PasswordChangeForm(user),
        "can_manage_tokens": has_capability(user, Capability.API_TOKEN_MANAGE),
    }
    if user.is_clinic_staff:
        device = confirmed_totp_device(user=user)
        remaining = recovery_codes_remaining(user=user)
        context.update(
            device=device,
            recovery_codes_remaining=remaining,
            recovery_codes_low=remaining <= LOW_RECOVERY_CODES,
            regenerate_form=forms_by_name.get("regenerate_form") or TotpCodeForm(),
        )
    if context["can_manage_tokens"]:
        context.update(
            tokens=list(api_tokens_of(user=user)),
            token_form=forms_by_name.get("token_form") or ApiTokenCreateForm(),
        )
    return render(request, "accounts/security.html", context, status=status)


@never_cache
@signed_in_view
def security(request: HttpRequest) -> HttpResponse:
    return _render_security(request)


@sensitive_post_parameters()
@require_POST
@signed_in_view
def password_change(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordChangeForm(user, request.POST)
    if not form.is_valid():
        # The form checks the current password against the user object; reload it so a
        # failed check leaves nothing half-set on the request's user.
        user.refresh_from_db()
        return _render_security(request, status=422, password_form=form)
    user_password_set(user=user, password=form.cleaned_data["new_password1"], via="change")
    update_session_auth_hash(request, user)
    messages.success(request, "Your password is changed.")
    return redirect("accounts:security")


@sensitive_post_parameters("code")
@never_cache
@signed_in_staff_view
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """POST makes new recovery codes (with a current code) and shows them once."""
    if request.method != "POST":
        return redirect("accounts:security")
    user: User = request.user  # type: ignore[assignment]
    form = TotpCodeForm(request.POST)
    if form.is_valid():
        try:
            codes = recovery_codes_regenerate(user=user, code=form.cleaned_data["code"])
        except ValidationFailed as error:
            add_service_errors(form, error)
        except NotFound as error:
            raise Http404(error.message) from error
        else:
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "first_time": False, "continue_url": ""},
            )
    return _render_security(request, status=422, regenerate_form=form)


@never_cache
@require_POST
@staff_view(Capability.API_TOKEN_MANAGE)
def token_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ApiTokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, raw = api_token_create(user=user, name=form.cleaned_data["name"])
        except ValidationFailed as error:
            add_service_errors(form, error)
        else:
            return render(
                request, "accounts/token_created.html", {"token": token, "raw_token": raw}
            )
    return _render_security(request, status=422, token_form=form)


@require_POST
@staff_view(Capability.API_TOKEN_MANAGE)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
    messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("accounts:security")
