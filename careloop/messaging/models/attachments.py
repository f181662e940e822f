"""Files sent with a message: stored outside the database under unguessable names."""

from django.db import models
from django.db.models import Q

from careloop.messaging.models.threads import Message, Thread


class Attachment(models.Model):
    """A file sent with a message, kept like the message: never changed or deleted.

    The bytes live in CARELOOP_MESSAGING_ATTACHMENT_DIR under `storage_name`, 256 random
    bits, never the name the sender gave; `sha256` lets the download refuse a file changed on
    disk. They are served only through `attachment_open`, which checks access.
    """

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="attachments")
    file_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=64, unique=True)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["message", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_is_not_empty"),
        ]

    def __str__(self) -> str:
        return f"attachment {self.pk} of message {self.message_id}"
