from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts import services
from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.accounts.roles import Role
from careloop.accounts.selectors import (
    active_admin_count,
    has_confirmed_totp_device,
    staff_member,
    staff_members,
)
from careloop.core.errors import Conflict, ValidationFailed
from careloop.web.decorators import staff_view
from careloop.web.staff.team.forms import StaffCreateForm, StaffDetailsForm, StaffRoleForm


def set_password_link(uidb64: str, token: str) -> str:
    """The absolute link to the set-password page (the password reset page, reused)."""
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_view lets only signed-in staff through
    return user


def _link_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


@staff_view(Capability.STAFF_MANAGE)
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/team/list.html", {"rows": staff_members()})


@staff_view(Capability.STAFF_MANAGE)
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_create(
                actor=_acting_user(request),
                username=form.cleaned_data["username"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                credentials=form.cleaned_data["credentials"],
                set_password_link=set_password_link,
            )
        except ValidationFailed as error:
            form.show_errors(error)
        else:
            messages.success(
                request,
                f"{user.display_name} was added. An invitation to choose a password is on its "
                f"way to {user.email}; its link works for {_link_hours()} hour(s).",
            )
            return redirect("staff:staff_detail", user_id=user.pk)
    return render(
        request,
        "staff/team/create.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def _detail_page(
    request: HttpRequest,
    user: User,
    *,
    details_form: StaffDetailsForm | None = None,
    role_form: StaffRoleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = _acting_user(request)
    return render(
        request,
        "staff/team/detail.html",
        {
            "member": user,
            "is_self": user.pk == actor.pk,
            "details_form": details_form
            or StaffDetailsForm(
                initial={
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "email": user.email,
                    "credentials": user.credentials,
                }
            ),
            "role_form": role_form or StaffRoleForm(initial={"role": user.role}),
            "has_authenticator_app": has_confirmed_totp_device(user=user),
            "has_password": user.has_usable_password(),
            "only_admin": user.role == Role.ADMIN and user.is_active and active_admin_count() == 1,
        },
        status=status,
    )


@staff_view(Capability.STAFF_MANAGE)
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    user = staff_member(user_id=user_id)
    if request.method != "POST":
        return _detail_page(request, user)
    form = StaffDetailsForm(request.POST)
    if form.is_valid():
        try:
            services.staff_update_details(
                actor=_acting_user(request),
                user_id=user.pk,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                credentials=form.cleaned_data["credentials"],
            )
        except ValidationFailed as error:
            form.show_errors(error)
        else:
            messages.success(request, "Details saved.")
            return redirect("staff:staff_detail", user_id=user.pk)
    return _detail_page(request, user, details_form=form, status=422)


@require_POST
@staff_view(Capability.STAFF_MANAGE)
def staff_role(request: HttpRequest, user_id: int) -> HttpResponse:
    user = staff_member(user_id=user_id)
    form = StaffRoleForm(request.POST)
    if form.is_valid():
        try:
            updated = services.staff_update_role(
                actor=_acting_user(request), user_id=user.pk, role=form.cleaned_data["role"]
            )
        except ValidationFailed as error:
            form.show_errors(error)
        except Conflict as error:
            form.add_error("role", error.message)
        else:
            messages.success(
                request, f"{updated.display_name} is now {updated.get_role_display()}."
            )
            return redirect("staff:staff_detail", user_id=user.pk)
    return _detail_page(request, user, role_form=form, status=422)


def _confirmed_action(
    request: HttpRequest, user_id: int, *, template: str, act: str
) -> HttpResponse:
    """GET asks for confirmation; POST does it and returns to the staff member's page."""
    user = staff_member(user_id=user_id)
    if request.method != "POST":
        return render(
            request, template, {"member": user, "is_self": user.pk == _acting_user(request).pk}
        )
    actor = _acting_user(request)
    try:
        if act == "deactivate":
            services.staff_deactivate(actor=actor, user_id=user.pk)
            messages.success(
                request,
                f"{user.display_name} is deactivated: they are signed out and cannot sign in "
                "or use their API tokens.",
            )
        elif services.staff_mfa_reset(actor=actor, user_id=user.pk):
            messages.success(
                request,
                f"The authenticator app and recovery codes of {user.display_name} were removed. "
                "They set up a new app at their next sign-in.",
            )
        else:
            messages.info(
                request, f"{user.display_name} had no authenticator app; nothing changed."
            )
    except Conflict as error:
        messages.error(request, error.message)
    return redirect("staff:staff_detail", user_id=user.pk)


@staff_view(Capability.STAFF_MANAGE)
def staff_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _confirmed_action(
        request, user_id, template="staff/team/confirm_deactivate.html", act="deactivate"
    )


@staff_view(Capability.STAFF_MANAGE)
def staff_mfa_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    return _confirmed_action(
        request, user_id, template="staff/team/confirm_mfa_reset.html", act="mfa_reset"
    )


@require_POST
@staff_view(Capability.STAFF_MANAGE)
def staff_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = services.staff_reactivate(actor=_acting_user(request), user_id=user_id)
    messages.success(request, f"{user.display_name} can sign in again.")
    return redirect("staff:staff_detail", user_id=user.pk)


@require_POST
@staff_view(Capability.STAFF_MANAGE)
def staff_invitation_send(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        user = services.staff_invitation_send(
            actor=_acting_user(request), user_id=user_id, set_password_link=set_password_link
        )
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"A new invitation is on its way to {user.email}; its link works for "
            f"{_link_hours()} hour(s).",
        )
    return redirect("staff:staff_detail", user_id=user_id)
