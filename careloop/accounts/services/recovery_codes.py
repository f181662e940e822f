import secrets

from django.db import transaction

from careloop.accounts.models import RecoveryCode, TotpDevice, User
from careloop.accounts.secrets import recovery_code_hash
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import NotFound, ValidationFailed

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper and typed by hand.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_HALF_LENGTH = 5


def normalize_recovery_code(code: str) -> str:
    return "".join(character for character in code.casefold() if character.isalnum())


def _new_code() -> str:
    halves = ("".join(secrets.choice(_ALPHABET) for _ in range(_HALF_LENGTH)) for _ in range(2))
    return "-".join(halves)


def recovery_codes_replace(*, user: User) -> list[str]:
    """Delete the user's recovery codes and make RECOVERY_CODE_COUNT new ones.

    Returns the codes in plain text, to be shown once; only their keyed hashes are stored.
    Runs inside the caller's transaction.
    """
    now = clock.now()
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(
            user=user, code_hash=recovery_code_hash(normalize_recovery_code(code)), created_at=now
        )
        for code in codes
    )
    return codes


def recovery_code_redeem(*, user: User, code: str) -> bool:
    """Use up one of the user's recovery codes; False if it is unknown or already used.

    The conditional update lets only one of two concurrent uses of the same code succeed.
    """
    normalized = normalize_recovery_code(code)
    if not normalized:
        return False
    used = RecoveryCode.objects.filter(
        user=user, code_hash=recovery_code_hash(normalized), used_at__isnull=True
    ).update(used_at=clock.now())
    return used == 1


def recovery_codes_regenerate(*, user: User, code: str) -> list[str]:
    """New recovery codes for a user who proves they hold the authenticator app right now."""
    from careloop.accounts.services.totp import totp_device_accept_code

    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise NotFound("Set up an authenticator app first.")
    with transaction.atomic():
        if not totp_device_accept_code(device=device, code=code):
            raise ValidationFailed.single(
                "code",
                "That code did not match. Enter the 6-digit code your authenticator app "
                "shows now (each code works once).",
                code="code_mismatch",
            )
        codes = recovery_codes_replace(user=user)
        audit_record(
            action="auth.recovery_codes_regenerate",
            actor=user,
            object_type="user",
            object_id=user.pk,
            detail={"count": len(codes)},
        )
    return codes
