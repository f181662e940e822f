"""Secure links that let a payer update their card without signing in.

The link carries the account id signed with the site's key, expires after 14 days and shows
nothing but the card form: no clinical detail, no invoice lines. Its age is measured on
Careloop's clock (careloop/core/links.py).
"""

from django.urls import reverse

from careloop.core.links import absolute_url, link_token, link_value

SALT = "careloop.billing.card-update"
MAX_AGE_SECONDS = 14 * 24 * 60 * 60


def card_update_token(account_id: int) -> str:
    return link_token(account_id, salt=SALT)


def card_update_url(account_id: int) -> str:
    return absolute_url(reverse("pay:card_update", kwargs={"token": card_update_token(account_id)}))


def account_from_token(token: str) -> int | None:
    """The account id a link names, or None when it was altered or has expired."""
    return link_value(token, salt=SALT, max_age_seconds=MAX_AGE_SECONDS)


def links_load() -> None:
    """Load the site's URL patterns now, once per process.

    Building the first link imports every URL pattern of the site and every view behind
    them (1.5 to 2.7 s on the benchmark machine). A billing worker calls this before its
    first batch, outside any transaction, so that the first declined charge's notice does
    not pay it inside the transaction recording its batch's outcomes, holding the batch's
    locks and the audit chain's head (which every other worker waits for) meanwhile.
    """
    reverse("pay:card_update", kwargs={"token": "-"})
