"""Signed links that let a person act without signing in (update a card, confirm a visit).

A link carries a value signed with the site's key and a salt naming its purpose, and stops
working after an age measured on Careloop's clock, the one that dates the message carrying it
(a billing run as of a date, the tests).
"""

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from careloop.core import clock


class ClockSigner(signing.TimestampSigner):
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


def link_token(value: int, *, salt: str) -> str:
    return ClockSigner(salt=salt).sign(str(value))


def link_value(token: str, *, salt: str, max_age_seconds: int) -> int | None:
    """The id a link names, or None when it was altered, made for another purpose or expired."""
    try:
        value = ClockSigner(salt=salt).unsign(token, max_age=max_age_seconds)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def absolute_url(path: str) -> str:
    """`path` on the address patients and staff reach Careloop at (CARELOOP_BASE_URL)."""
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


LINKS_URLCONF = "careloop.link_urls"


def link_url(name: str, **kwargs: str) -> str:
    """The full address of a page a link opens (careloop/link_urls.py), by its URL name."""
    return absolute_url(reverse(name, urlconf=LINKS_URLCONF, kwargs=kwargs))
