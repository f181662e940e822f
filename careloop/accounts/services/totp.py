from django.db import transaction
from django.db.models import Q

from careloop.accounts import totp
from careloop.accounts.models import TotpDevice, User
from careloop.accounts.secrets import decrypt_secret, encrypt_secret
from careloop.accounts.services.recovery_codes import recovery_codes_replace
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import Conflict, ValidationFailed

# 32 base32 characters are 160 bits, the seed length RFC 4226 recommends.
MINIMUM_SECRET_LENGTH = 32


def totp_device_accept_code(*, device: TotpDevice, code: str) -> bool:
    """True if `code` is valid now (within one step of drift) and newer than any code used before.

    Recording the accepted step is a conditional update, so the same code presented twice,
    even by two requests at once, is accepted once.
    """
    step = totp.matching_step(decrypt_secret(device.encrypted_secret), code, clock.now())
    if step is None:
        return False
    accepted = (
        TotpDevice.objects.filter(pk=device.pk)
        .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
        .update(last_used_step=step)
    )
    if accepted:
        device.last_used_step = step
    return accepted == 1


def totp_device_start_enrolment(*, user: User) -> str:
    """The seed the user is enrolling: a new unconfirmed device, or the one already started.

    Reusing an unconfirmed device keeps the QR code the same when the page is reloaded.
    """
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.is_confirmed:
            raise Conflict("An authenticator app is already set up for this account.")
        if device is not None:
            return decrypt_secret(device.encrypted_secret)
        secret = totp.new_secret()
        TotpDevice.objects.create(
            user=user, encrypted_secret=encrypt_secret(secret), created_at=clock.now()
        )
        audit_record(
            action="auth.mfa_enrolment_start", actor=user, object_type="user", object_id=user.pk
        )
    return secret


def totp_device_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the device being enrolled with its current code; returns new recovery codes.

    Enrolment happens right after the password step, so confirming also completes sign-in.
    """
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=True)
            .first()
        )
        if device is None:
            raise Conflict("There is no authenticator app waiting to be confirmed.")
        if not totp.looks_like_totp_code(code):
            raise ValidationFailed.single(
                "code", "Enter the 6-digit code from your authenticator app.", code="format"
            )
        if not totp_device_accept_code(device=device, code=code):
            raise ValidationFailed.single(
                "code",
                "That code did not match. Check that your phone's clock is set automatically "
                "and enter the code it shows now.",
                code="code_mismatch",
            )
        device.confirmed_at = clock.now()
        device.save(update_fields=["confirmed_at"])
        codes = recovery_codes_replace(user=user)
        audit_record(
            action="auth.mfa_enroll",
            actor=user,
            object_type="user",
            object_id=user.pk,
            detail={"method": "totp", "recovery_codes": len(codes)},
        )
        audit_record(
            action="auth.sign_in",
            actor=user,
            object_type="user",
            object_id=user.pk,
            detail={"method": "password+totp_enrolment"},
        )
    return codes


def totp_device_create_confirmed(*, user: User, secret: str) -> TotpDevice:
    """Give `user` a confirmed authenticator app with a known base32 seed (the demo clinic's).

    Replaces any device the user had.
    """
    normalized = "".join(secret.split()).upper()
    try:
        if len(normalized) < MINIMUM_SECRET_LENGTH:
            raise ValueError("too short")
        totp.code_for_step(normalized, 0)
    except (ValueError, TypeError) as error:
        raise ValidationFailed.single(
            "secret",
            "The seed must be base32 (letters A-Z and digits 2-7), at least 32 characters long.",
            code="format",
        ) from error
    now = clock.now()
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        device = TotpDevice.objects.create(
            user=user, encrypted_secret=encrypt_secret(normalized), created_at=now, confirmed_at=now
        )
        audit_record(
            action="auth.mfa_enroll",
            actor=user,
            object_type="user",
            object_id=user.pk,
            detail={"method": "totp", "provisioned": True},
        )
    return device


def totp_device_remove(*, user: User, actor: User | None) -> bool:
    """Remove a user's authenticator app and recovery codes (a lost phone); False if none.

    At the next sign-in the user is asked to set up an app again. `actor` is whoever asked
    (None from the command line).
    """
    with transaction.atomic():
        removed, _ = TotpDevice.objects.filter(user=user).delete()
        user.recovery_codes.all().delete()
        if removed:
            audit_record(
                action="auth.mfa_reset",
                actor=actor,
                object_type="user",
                object_id=user.pk,
                detail={"username": user.username},
            )
    return bool(removed)
