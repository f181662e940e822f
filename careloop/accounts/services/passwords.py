from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from careloop.accounts.models import User
from careloop.accounts.services.throttle import sign_in_throttle_clear
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.selectors import clinic_settings
from careloop.notifications.models import Channel
from careloop.notifications.services import notification_enqueue

ResetLink = Callable[[str, str], str]


def _reset_email_body(*, user: User, link: str, clinic_name: str) -> str:
    hours = max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
    return (
        f"Hello {user.first_name or user.username},\n\n"
        f"Someone asked to reset the password of your {clinic_name} account on Careloop. "
        f"To choose a new password, open this link within {hours} hour"
        f"{'s' if hours != 1 else ''}:\n\n{link}\n\n"
        "If you did not ask for this, ignore this email; your password stays as it is.\n"
    )


def password_reset_request(*, email: str, reset_link: ResetLink) -> int:
    """Email a reset link to every active account with this address, through the outbox.

    Returns how many were queued, for tests; callers must answer the same whatever it is, so
    nobody can learn which addresses have accounts. `reset_link(uidb64, token)` builds the
    absolute link.
    """
    address = email.strip()
    # Staff invited without a password are included: if their invitation link expired, this
    # is how they get a new one, and it proves the same thing (they hold the mailbox).
    users = list(User.objects.filter(email__iexact=address, is_active=True).order_by("id"))
    clinic_name = clinic_settings().name
    with transaction.atomic():
        for user in users:
            link = reset_link(
                urlsafe_base64_encode(force_bytes(user.pk)),
                default_token_generator.make_token(user),
            )
            notification_enqueue(
                channel=Channel.EMAIL,
                recipient=user.email,
                subject=f"Reset your {clinic_name} password",
                body=_reset_email_body(user=user, link=link, clinic_name=clinic_name),
                kind="password_reset",
            )
            audit_record(
                action="auth.password_reset_request",
                actor=user,
                object_type="user",
                object_id=user.pk,
            )
        if not users:
            audit_record(
                action="auth.password_reset_request",
                actor=None,
                outcome=Outcome.FAILED,
                detail={"reason": "no_matching_account"},
            )
    return len(users)


def user_password_set(*, user: User, password: str, via: str) -> None:
    """Store a new password (already validated by the form); `via` is "reset" or "change".

    A successful reset also lifts a sign-in lockout: whoever reset it controls the mailbox.
    """
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        sign_in_throttle_clear(username=user.username)
        audit_record(
            action="auth.password_change",
            actor=user,
            object_type="user",
            object_id=user.pk,
            detail={"via": via},
        )
