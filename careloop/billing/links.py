"""Secure links that let a payer update their card without signing in.

The link carries the account id signed with the site's key, expires after 14 days and shows
nothing but the card form: no clinical detail, no invoice lines.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "careloop.billing.card-update"
MAX_AGE_SECONDS = 14 * 24 * 60 * 60


def card_update_token(account_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(account_id))


def card_update_url(account_id: int) -> str:
    path = reverse("pay:card_update", kwargs={"token": card_update_token(account_id)})
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


def account_from_token(token: str) -> int | None:
    """The account id a link names, or None when it was altered or has expired."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
