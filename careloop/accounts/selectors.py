from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from careloop.accounts import totp
from careloop.accounts.models import ApiToken, RecoveryCode, SignInThrottle, TotpDevice, User
from careloop.accounts.roles import STAFF_ROLES, Role
from careloop.accounts.secrets import decrypt_secret
from careloop.core import clock
from careloop.core.errors import NotFound


def normalize_username(username: str) -> str:
    return username.strip().casefold()


def user_for_username(username: str) -> User | None:
    """The user whose username matches, ignoring case; an exact match wins a tie."""
    candidates = list(User.objects.filter(username__iexact=username.strip()).order_by("id")[:5])
    for candidate in candidates:
        if candidate.username == username.strip():
            return candidate
    return candidates[0] if candidates else None


def sign_in_is_locked(*, username: str) -> bool:
    return SignInThrottle.objects.filter(
        username=normalize_username(username), locked_until__gt=clock.now()
    ).exists()


def confirmed_totp_device(*, user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def has_confirmed_totp_device(*, user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def totp_current_code(*, user: User) -> str:
    """The code the user's authenticator app shows now (for the demo clinic's `demo codes`)."""
    device = confirmed_totp_device(user=user)
    if device is None:
        raise NotFound(f"{user.username} has no confirmed authenticator app.")
    secret = decrypt_secret(device.encrypted_secret)
    return totp.code_for_step(secret, totp.time_step(clock.now()))


def recovery_codes_remaining(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


@dataclass(frozen=True)
class StaffRow:
    """A staff member as the team list shows them."""

    user: User
    has_authenticator_app: bool


def staff_members() -> list[StaffRow]:
    """Every staff member, active ones first, then by name."""
    confirmed = TotpDevice.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False)
    users = (
        User.objects.filter(role__in=STAFF_ROLES)
        .annotate(has_app=Exists(confirmed))
        .order_by("-is_active", "last_name", "first_name", "username")
    )
    return [StaffRow(user=user, has_authenticator_app=user.has_app) for user in users]


def staff_member(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id, role__in=STAFF_ROLES).first()
    if user is None:
        raise NotFound("No such staff member.")
    return user


def active_admin_count() -> int:
    return User.objects.filter(role=Role.ADMIN, is_active=True).count()
