"""Secure links that let a payer update their card without signing in.

The link carries the account id signed with the site's key, expires after 14 days and shows
nothing but the card form: no clinical detail, no invoice lines. Its age is measured on
Careloop's clock, the one that dates the notice carrying it (a run as of a date, the tests).
"""

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from careloop.core import clock

SALT = "careloop.billing.card-update"
MAX_AGE_SECONDS = 14 * 24 * 60 * 60


class _ClockSigner(signing.TimestampSigner):
    """Django's timestamp signer, with its timestamps from Careloop's clock."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(clock.now().timestamp()))

    def unsign(self, value: str, max_age: Any = None) -> str:
        signed = signing.Signer.unsign(self, value)  # the signature only
        data, stamp = signed.rsplit(self.sep, 1)
        age = clock.now().timestamp() - signing.b62_decode(stamp)
        if max_age is not None and age > max_age:
            raise signing.SignatureExpired(f"Signature age {age} > {max_age} seconds")
        return data


def card_update_token(account_id: int) -> str:
    return _ClockSigner(salt=SALT).sign(str(account_id))


def card_update_url(account_id: int) -> str:
    path = reverse("pay:card_update", kwargs={"token": card_update_token(account_id)})
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


def account_from_token(token: str) -> int | None:
    """The account id a link names, or None when it was altered or has expired."""
    try:
        value = _ClockSigner(salt=SALT).unsign(token, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
