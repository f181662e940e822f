"""Adding staff members, changing their role, deactivating them and resetting their second factor.

A new staff member gets no password: they choose one through a set-password link (the same
token and page as a password reset), emailed through the outbox, and set up an authenticator
app at their first sign-in.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, require_capability
from careloop.accounts.roles import STAFF_ROLES, Role
from careloop.accounts.selectors import user_for_username
from careloop.accounts.services.totp import totp_device_remove
from careloop.audit.services import audit_record
from careloop.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from careloop.core.selectors import clinic_settings
from careloop.notifications.models import Channel
from careloop.notifications.services import notification_enqueue

# Builds the absolute set-password link from (uidb64, token); the caller knows the URL.
SetPasswordLink = Callable[[str, str], str]

USERNAME_MAX_LENGTH = 150
NAME_MAX_LENGTH = 150
CREDENTIALS_MAX_LENGTH = 40
_username_validator = UnicodeUsernameValidator()


@dataclass(frozen=True)
class StaffDetails:
    first_name: str
    last_name: str
    email: str
    credentials: str


def set_password_link_parts(user: User) -> tuple[str, str]:
    """(uidb64, token) for a one-time set-password link, valid for PASSWORD_RESET_TIMEOUT.

    The token is Django's password reset token: it stops working once a password is set.
    """
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def _link_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


def _clean_details(
    *, first_name: str, last_name: str, email: str, credentials: str
) -> tuple[StaffDetails, list[FieldError]]:
    errors: list[FieldError] = []
    details = StaffDetails(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        credentials=credentials.strip(),
    )
    for field, value, label, limit in (
        ("first_name", details.first_name, "First name", NAME_MAX_LENGTH),
        ("last_name", details.last_name, "Last name", NAME_MAX_LENGTH),
    ):
        if not value:
            errors.append(FieldError(field, f"{label} is required.", "required"))
        elif len(value) > limit:
            errors.append(FieldError(field, f"Use at most {limit} characters.", "too_long"))
    if not details.email:
        errors.append(
            FieldError("email", "Email is required: the invitation is sent there.", "required")
        )
    else:
        try:
            validate_email(details.email)
        except ValidationError:
            errors.append(
                FieldError("email", "Enter an email address such as name@example.org.", "format")
            )
    if len(details.credentials) > CREDENTIALS_MAX_LENGTH:
        errors.append(
            FieldError(
                "credentials", f"Use at most {CREDENTIALS_MAX_LENGTH} characters.", "too_long"
            )
        )
    return details, errors


def _clean_role(role: str) -> tuple[Role | None, list[FieldError]]:
    if role in {staff_role.value for staff_role in STAFF_ROLES}:
        return Role(role), []
    choices = ", ".join(label for value, label in Role.choices if value in STAFF_ROLES)
    return None, [FieldError("role", f"Choose a staff role: {choices}.", "invalid_role")]


def _clean_username(username: str) -> tuple[str, list[FieldError]]:
    cleaned = username.strip()
    if not cleaned:
        return cleaned, [FieldError("username", "Username is required.", "required")]
    if len(cleaned) > USERNAME_MAX_LENGTH:
        return cleaned, [
            FieldError("username", f"Use at most {USERNAME_MAX_LENGTH} characters.", "too_long")
        ]
    try:
        _username_validator(cleaned)
    except ValidationError:
        return cleaned, [
            FieldError(
                "username",
                "Use only letters, digits and the characters . @ + - _ (no spaces).",
                "format",
            )
        ]
    if user_for_username(cleaned) is not None:
        return cleaned, [FieldError("username", f"“{cleaned}” is already taken.", "duplicate")]
    return cleaned, []


def _invitation_body(*, user: User, actor: User | None, link: str, clinic_name: str) -> str:
    hours = _link_hours()
    inviter = f"{actor.display_name} added you" if actor else "You were added"
    return (
        f"Hello {user.first_name},\n\n"
        f"{inviter} to the {clinic_name} team on Careloop as "
        f"{user.get_role_display()}. Your username is {user.username}.\n\n"
        f"To choose your password, open this link within {hours} hour"
        f"{'s' if hours != 1 else ''}:\n\n{link}\n\n"
        "After that, sign in and set up an authenticator app on your phone; Careloop asks "
        "for a code from it at every sign-in.\n\n"
        "If the link has expired, ask your practice admin to send a new invitation.\n"
    )


def _enqueue_invitation(
    *, user: User, actor: User | None, set_password_link: SetPasswordLink
) -> None:
    clinic_name = clinic_settings().name
    link = set_password_link(*set_password_link_parts(user))
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=user.email,
        subject=f"You have been added to the {clinic_name} team on Careloop",
        body=_invitation_body(user=user, actor=actor, link=link, clinic_name=clinic_name),
        kind="staff_invitation",
    )


def _create_user(
    *,
    actor: User | None,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    credentials: str,
) -> User:
    cleaned_username, errors = _clean_username(username)
    details, detail_errors = _clean_details(
        first_name=first_name, last_name=last_name, email=email, credentials=credentials
    )
    cleaned_role, role_errors = _clean_role(role)
    errors += detail_errors + role_errors
    if errors or cleaned_role is None:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            user = User(
                username=cleaned_username,
                first_name=details.first_name,
                last_name=details.last_name,
                email=details.email,
                credentials=details.credentials,
                role=cleaned_role,
                is_active=True,
            )
            user.set_unusable_password()
            user.save()
    except IntegrityError as error:
        raise ValidationFailed.single(
            "username", f"“{cleaned_username}” is already taken.", "duplicate"
        ) from error
    audit_record(
        action="staff.create",
        actor=actor,
        object_type="user",
        object_id=user.pk,
        detail={"role": user.role, "fields": ["username", "name", "email", "credentials"]},
    )
    return user


def staff_create(
    *,
    actor: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    credentials: str,
    set_password_link: SetPasswordLink,
) -> User:
    """Add an active staff member without a password and email them a set-password link."""
    require_capability(actor, Capability.STAFF_MANAGE)
    with transaction.atomic():
        user = _create_user(
            actor=actor,
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            role=role,
            credentials=credentials,
        )
        _enqueue_invitation(user=user, actor=actor, set_password_link=set_password_link)
    return user


def staff_create_first_admin(*, username: str, email: str, first_name: str, last_name: str) -> User:
    """A practice admin made from the command line on a fresh install; no email is sent.

    The caller shows the set-password link (set_password_link_parts) to the operator.
    """
    with transaction.atomic():
        return _create_user(
            actor=None,
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            role=Role.ADMIN,
            credentials="",
        )


def _locked_staff(user_id: int) -> User:
    """The staff member, row-locked for the rest of the caller's transaction."""
    user = User.objects.select_for_update().filter(pk=user_id, role__in=STAFF_ROLES).first()
    if user is None:
        raise NotFound("No such staff member.")
    return user


def _lock_active_admins() -> list[User]:
    """Lock every active admin in id order, so two admins demoting each other at once
    cannot both succeed and leave the clinic with none."""
    return list(
        User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True).order_by("id")
    )


def _refuse_losing_last_admin(user: User, *, change: str) -> None:
    admins = _lock_active_admins()
    if user.role == Role.ADMIN and user.is_active and [a.pk for a in admins] == [user.pk]:
        raise Conflict(
            f"{user.display_name} is the only active practice admin. Make someone else a "
            f"practice admin first, then {change}.",
            code="last_admin",
        )


def staff_update_details(
    *, actor: User, user_id: int, first_name: str, last_name: str, email: str, credentials: str
) -> User:
    require_capability(actor, Capability.STAFF_MANAGE)
    details, errors = _clean_details(
        first_name=first_name, last_name=last_name, email=email, credentials=credentials
    )
    with transaction.atomic():
        user = _locked_staff(user_id)
        if errors:
            raise ValidationFailed(errors)
        changed = [
            field
            for field in ("first_name", "last_name", "email", "credentials")
            if getattr(user, field) != getattr(details, field)
        ]
        for field in changed:
            setattr(user, field, getattr(details, field))
        if changed:
            user.save(update_fields=changed)
            audit_record(
                action="staff.update",
                actor=actor,
                object_type="user",
                object_id=user.pk,
                detail={"fields": changed},
            )
    return user


def staff_update_role(*, actor: User, user_id: int, role: str) -> User:
    """Give a staff member another staff role. Refused for your own role (ask another admin)
    and for the last active practice admin."""
    require_capability(actor, Capability.STAFF_MANAGE)
    cleaned_role, errors = _clean_role(role)
    with transaction.atomic():
        user = _locked_staff(user_id)
        if errors or cleaned_role is None:
            raise ValidationFailed(errors)
        if user.role == cleaned_role:
            return user
        if user.pk == actor.pk:
            raise Conflict(
                "You cannot change your own role. Ask another practice admin.", code="own_role"
            )
        if cleaned_role != Role.ADMIN:
            _refuse_losing_last_admin(user, change="change this role")
        previous = user.role
        user.role = cleaned_role
        user.save(update_fields=["role"])
        audit_record(
            action="staff.role_change",
            actor=actor,
            object_type="user",
            object_id=user.pk,
            detail={"from": previous, "to": user.role},
        )
    return user


def staff_deactivate(*, actor: User, user_id: int) -> User:
    """Stop a staff member from signing in; their sessions and API tokens stop working too.

    Nothing is deleted: their name stays on the records they touched, and reactivating them
    restores access as it was.
    """
    require_capability(actor, Capability.STAFF_MANAGE)
    with transaction.atomic():
        user = _locked_staff(user_id)
        if user.pk == actor.pk:
            raise Conflict(
                "You cannot deactivate yourself. Ask another practice admin.",
                code="own_account",
            )
        if not user.is_active:
            return user
        _refuse_losing_last_admin(user, change="deactivate this account")
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(action="staff.deactivate", actor=actor, object_type="user", object_id=user.pk)
    return user


def staff_reactivate(*, actor: User, user_id: int) -> User:
    require_capability(actor, Capability.STAFF_MANAGE)
    with transaction.atomic():
        user = _locked_staff(user_id)
        if user.is_active:
            return user
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(action="staff.reactivate", actor=actor, object_type="user", object_id=user.pk)
    return user


def staff_invitation_send(*, actor: User, user_id: int, set_password_link: SetPasswordLink) -> User:
    """Email a fresh set-password link to a staff member who has not chosen a password yet."""
    require_capability(actor, Capability.STAFF_MANAGE)
    with transaction.atomic():
        user = _locked_staff(user_id)
        if user.has_usable_password():
            raise Conflict(
                f"{user.display_name} has already chosen a password. If they forgot it, "
                "they can reset it from the sign-in page.",
                code="password_set",
            )
        if not user.is_active:
            raise Conflict("Reactivate this account before inviting them again.", code="inactive")
        _enqueue_invitation(user=user, actor=actor, set_password_link=set_password_link)
        audit_record(
            action="staff.invitation_send", actor=actor, object_type="user", object_id=user.pk
        )
    return user


def staff_mfa_reset(*, actor: User, user_id: int) -> bool:
    """Remove a staff member's authenticator app and recovery codes (a lost phone).

    They set up a new app at their next sign-in. False if they had none.
    """
    require_capability(actor, Capability.STAFF_MANAGE)
    with transaction.atomic():
        user = _locked_staff(user_id)
        return totp_device_remove(user=user, actor=actor)
