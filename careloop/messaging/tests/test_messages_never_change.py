"""A sent message is never edited or deleted: the services offer no way to, and the database
refuses an UPDATE (and, on PostgreSQL, a DELETE). Corrections are new messages."""

import pytest
from django.db import DatabaseError, connection, transaction

from careloop.messaging.models import Message
from careloop.messaging.services.threads import message_send


def test_the_database_refuses_to_edit_a_sent_message(ann_thread):
    message = Message.objects.get(thread=ann_thread)
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(body="Something else entirely.")
    message.refresh_from_db()
    assert message.body == "Is it fine to take my dose with food?"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets the test runner delete rows"
)
def test_the_database_refuses_to_delete_a_sent_message(ann_thread):
    # Raw SQL: the ORM would stop first at the read marks and clocks that protect the row.
    with (
        pytest.raises(DatabaseError, match="never changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM messaging_message WHERE thread_id = %s", [ann_thread.pk])
    assert Message.objects.filter(thread=ann_thread).count() == 1


def test_a_correction_is_a_new_message_beside_the_original(ann_thread, patient_ann):
    message_send(actor=patient_ann.user, thread=ann_thread, body="Correction: with breakfast.")
    bodies = list(Message.objects.filter(thread=ann_thread).values_list("body", flat=True))
    assert bodies == ["Is it fine to take my dose with food?", "Correction: with breakfast."]
