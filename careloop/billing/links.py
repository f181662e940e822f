"""Secure links that let a payer update their card without signing in.

The link carries the account id signed with the site's key, expires after 14 days and shows
nothing but the card form: no clinical detail, no invoice lines. Its age is measured on
Careloop's clock (careloop/core/links.py).
"""

from careloop.core.links import link_token, link_url, link_value

SALT = "careloop.billing.card-update"
MAX_AGE_SECONDS = 14 * 24 * 60 * 60


def card_update_token(account_id: int) -> str:
    return link_token(account_id, salt=SALT)


def card_update_url(account_id: int) -> str:
    return link_url("pay:card_update", token=card_update_token(account_id))


def account_from_token(token: str) -> int | None:
    """The account id a link names, or None when it was altered or has expired."""
    return link_value(token, salt=SALT, max_age_seconds=MAX_AGE_SECONDS)
