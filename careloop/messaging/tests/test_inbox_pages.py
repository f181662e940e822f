"""An inbox page: the list's order and count, each row with its unread flag, however the
page is read (ids first, then the rows)."""

from datetime import timedelta

from careloop.core import clock
from careloop.messaging.selectors.inbox import Inbox, inbox_threads, thread_page
from careloop.messaging.services.threads import thread_mark_read
from careloop.messaging.tests.messaging_builders import start


def test_a_page_keeps_the_inbox_order_and_counts_the_whole_inbox(ann_in_concierge, provider):
    threads = []
    for number in range(5):
        clock.freeze(clock.now() + timedelta(minutes=10))
        threads.append(start(ann_in_concierge, f"Question {number}"))
    thread_mark_read(actor=provider, thread=threads[3])

    inbox = inbox_threads(user=provider, inbox=Inbox.MINE)
    first = thread_page(inbox, offset=0, limit=2)
    second = thread_page(inbox, offset=2, limit=2)

    newest_first = [thread.pk for thread in reversed(threads)]
    assert [row.pk for row in first.threads + second.threads] == newest_first[:4]
    assert (first.count, second.count) == (5, 5)
    assert [row.unread for row in first.threads + second.threads] == [True, False, True, True]
