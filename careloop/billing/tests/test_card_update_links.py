"""A card-update link lasts 14 days on Careloop's clock, the one that dated its notice.

A notice sent by a run as of March 1 2027 carries a link that opens until March 15 and is
refused after; a link whose text was altered is refused at once.
"""

from datetime import date

from careloop.billing.links import account_from_token, card_update_token
from careloop.memberships.tests.lifecycle_builders import freeze_on


def test_a_link_opens_for_fourteen_days_from_the_notice_and_not_after():
    freeze_on(date(2027, 3, 1))
    token = card_update_token(42)

    freeze_on(date(2027, 3, 14))
    opened_before = account_from_token(token)
    freeze_on(date(2027, 3, 16))
    opened_after = account_from_token(token)

    assert (opened_before, opened_after) == (42, None)


def test_an_altered_link_is_refused():
    freeze_on(date(2027, 3, 1))
    token = card_update_token(42)
    _, _, rest = token.partition(":")

    assert account_from_token(f"43:{rest}") is None
    assert account_from_token(token) == 42
