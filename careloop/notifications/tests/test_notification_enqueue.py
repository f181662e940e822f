import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from careloop.notifications import services
from careloop.notifications.models import Channel, OutboxMessage, Status
from careloop.notifications.services import notification_enqueue

pytestmark = pytest.mark.django_db


def _enqueue():
    return notification_enqueue(
        channel=Channel.SMS, recipient="+15125550100", body="See you at 3 pm.", kind="test"
    )


def test_a_committed_message_is_pending_and_its_delivery_is_enqueued(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _enqueue()
    assert OutboxMessage.objects.get().status == Status.PENDING
    task = DBTaskResult.objects.get()
    assert task.task_path == "careloop.notifications.tasks.deliver_notification"
    assert task.args_kwargs == {"args": [str(message.id)], "kwargs": {}}


def test_a_rolled_back_transaction_leaves_no_message_and_no_task(
    django_capture_on_commit_callbacks,
):
    def change_that_fails():
        with transaction.atomic():
            _enqueue()
            raise RuntimeError("the change failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        change_that_fails()
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_failed_enqueue_is_logged_and_does_not_reach_the_caller(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    class BrokenTask:
        def enqueue(self, *args):
            raise ConnectionError("task store unavailable")

    monkeypatch.setattr(services, "deliver_notification", BrokenTask())
    with django_capture_on_commit_callbacks(execute=True):
        message = _enqueue()
    assert OutboxMessage.objects.get().id == message.id
    assert DBTaskResult.objects.count() == 0
    assert f"Could not enqueue delivery of outbox message {message.id}" in caplog.text
