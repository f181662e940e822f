"""The two sign-in steps: password, then (for staff) a TOTP or recovery code.

Failed attempts are counted per username, whether or not it exists, and the message is the
same either way, so the sign-in form cannot be used to find out who has an account.
"""

from django.conf import settings
from django.db import transaction

from careloop.accounts import totp
from careloop.accounts.errors import SignInLocked, SignInRefused
from careloop.accounts.models import TotpDevice, User
from careloop.accounts.selectors import normalize_username, sign_in_is_locked, user_for_username
from careloop.accounts.services.recovery_codes import recovery_code_redeem
from careloop.accounts.services.throttle import sign_in_failure_record, sign_in_throttle_clear
from careloop.accounts.services.totp import totp_device_accept_code
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.errors import Conflict

PASSWORD_MISMATCH = "That username and password do not match. Check both and try again."  # noqa: S105
CODE_MISMATCH = (
    "That code did not work. Enter the current 6-digit code from your authenticator app, "
    "or one of your unused recovery codes."
)


def locked_message() -> str:
    minutes = settings.LOGIN_LOCKOUT_SECONDS // 60
    return (
        f"Too many failed attempts. Sign-in for this username is paused for {minutes} minutes. "
        "Try again later, or reset your password."
    )


def _password_matches(username: str, password: str) -> User | None:
    user = user_for_username(username)
    if user is None:
        # Hash anyway, so an unknown username takes as long to refuse as a wrong password.
        User().set_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def _refuse_locked(*, username: str, user: User | None, step: str) -> SignInLocked:
    audit_record(
        action="auth.sign_in",
        actor=user,
        outcome=Outcome.DENIED,
        detail={"username": normalize_username(username), "step": step, "reason": "locked"},
    )
    return SignInLocked(locked_message())


def sign_in_check_password(*, username: str, password: str) -> User:
    """The user whose username (any case) and password match; raises SignInRefused otherwise.

    Patients are signed in by this step alone; staff go on to the second factor.
    """
    if sign_in_is_locked(username=username):
        raise _refuse_locked(username=username, user=None, step="password")
    # The password hash runs outside the transaction: it is slow on purpose, and on SQLite a
    # transaction holds the database's write lock.
    user = _password_matches(username, password)
    with transaction.atomic():
        if user is None:
            known = user_for_username(username)
            locked = sign_in_failure_record(username=username, user=known)
            audit_record(
                action="auth.sign_in",
                actor=known,
                outcome=Outcome.FAILED,
                detail={"username": normalize_username(username), "step": "password"},
            )
        else:
            sign_in_throttle_clear(username=username)
            audit_record(
                action="auth.sign_in" if user.is_patient else "auth.password_verified",
                actor=user,
                object_type="user",
                object_id=user.pk,
                detail={"method": "password"},
            )
            return user
    raise SignInLocked(locked_message()) if locked else SignInRefused(PASSWORD_MISMATCH)


def sign_in_check_second_factor(*, user: User, code: str) -> str:
    """Check a TOTP code or an unused recovery code; returns which one it was.

    A wrong code counts towards the username's lockout like a wrong password.
    """
    if sign_in_is_locked(username=user.username):
        raise _refuse_locked(username=user.username, user=user, step="second_factor")
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise Conflict("Set up an authenticator app first.")
    with transaction.atomic():
        method = ""
        if totp.looks_like_totp_code(code):
            if totp_device_accept_code(device=device, code=code):
                method = "totp"
        elif recovery_code_redeem(user=user, code=code):
            method = "recovery_code"
        if method:
            sign_in_throttle_clear(username=user.username)
            if method == "recovery_code":
                remaining = user.recovery_codes.filter(used_at__isnull=True).count()
                audit_record(
                    action="auth.recovery_code_use",
                    actor=user,
                    object_type="user",
                    object_id=user.pk,
                    detail={"remaining": remaining},
                )
            audit_record(
                action="auth.sign_in",
                actor=user,
                object_type="user",
                object_id=user.pk,
                detail={"method": f"password+{method}"},
            )
            return method
        locked = sign_in_failure_record(username=user.username, user=user)
        audit_record(
            action="auth.sign_in",
            actor=user,
            outcome=Outcome.FAILED,
            object_type="user",
            object_id=user.pk,
            detail={"step": "second_factor"},
        )
    raise SignInLocked(locked_message()) if locked else SignInRefused(CODE_MISMATCH)


def sign_out_record(*, user: User, reason: str) -> None:
    """Audit a sign-out: asked for by the user, or forced by the idle or absolute limit."""
    audit_record(
        action="auth.sign_out",
        actor=user,
        object_type="user",
        object_id=user.pk,
        detail={"reason": reason},
    )
