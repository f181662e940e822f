from django.contrib.auth.models import AbstractUser
from django.db import models

from careloop.accounts.roles import STAFF_ROLES, Role


class User(AbstractUser):
    """A person who signs in: a staff member in one role, or a patient using the portal."""

    role = models.CharField(max_length=20, choices=Role.choices)
    credentials = models.CharField(
        max_length=40,
        blank=True,
        help_text="Professional credentials shown after the name, e.g. MD, NP.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[choice.value for choice in Role]),
                name="user_role_is_known",
            )
        ]

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name


class TotpDevice(models.Model):
    """A user's authenticator app: the TOTP seed, encrypted with Fernet, and its replay guard.

    A device is unconfirmed until the user proves it works with one code. `last_used_step` is
    the newest 30-second time step already accepted; a code for that step or an older one is
    refused, so a code seen over someone's shoulder cannot be used again.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    encrypted_secret = models.TextField(help_text="The base32 seed, encrypted with Fernet.")
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "not confirmed"
        return f"Authenticator app of user {self.user_id} ({state})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A single-use code for signing in without the authenticator app; only its keyed hash is kept.

    The hash is keyed (see careloop.accounts.secrets), so a copy of the table alone reveals none.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Recovery code of user {self.user_id}"


class ApiToken(models.Model):
    """A named bearer token for the REST API.

    Only the SHA-256 of the token is stored (tokens carry 256 random bits, so a fast hash is
    enough); the short `prefix` lets people tell their tokens apart without revealing them.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SignInThrottle(models.Model):
    """Failed sign-in attempts for one username (normalized), known to Careloop or not.

    Tracking unknown usernames too keeps the responses identical, so nobody can learn which
    usernames exist. The row is locked while it changes, so concurrent failures all count.
    """

    username = models.CharField(max_length=150, unique=True)
    failure_count = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sign-in attempts for {self.username}"
