"""Each journal entry posts once per key, whether or not the caller looks it up first.

An ordinary post of a key already posted returns the first entry. A caller that holds the
lock making its key new (an invoice it just created, a pending attempt it locked) skips the
look-up; should that ever be wrong, the unique key refuses the second entry and nothing of
it is written.
"""

import pytest
from django.db import IntegrityError, transaction

from careloop.billing.models import EntryKind, JournalEntry, JournalLine, Ledger
from careloop.billing.services.accounts import billing_account_for
from careloop.billing.services.journal import Posting, journal_post
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def _post(account, *, new_key: bool) -> JournalEntry:
    return journal_post(
        kind=EntryKind.PAYMENT,
        key="outside_payment:1",
        new_key=new_key,
        currency="USD",
        memo="Cheque at the desk",
        postings=[Posting(Ledger.CASH, 2_500), Posting(Ledger.RECEIVABLE, -2_500, account)],
    )


def test_posting_a_key_again_returns_the_first_entry():
    account = billing_account_for(patient=make_patient())
    first = _post(account, new_key=False)

    assert _post(account, new_key=False) == first
    assert JournalLine.objects.count() == 2


def test_a_key_said_to_be_new_that_was_posted_is_refused_and_writes_nothing():
    account = billing_account_for(patient=make_patient())
    first = _post(account, new_key=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        _post(account, new_key=True)

    assert list(JournalEntry.objects.all()) == [first]
    assert JournalLine.objects.count() == 2
