import uuid

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class Status(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up"


class OutboxMessage(models.Model):
    """A message to a person, written in the same transaction as the change that causes it.

    The worker delivers it after commit. `id` doubles as the stable message id given to the
    provider (the email Message-ID), so a repeat after a crash between the provider accepting
    and Careloop recording can be dropped by the provider. Bodies carry no clinical detail.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    kind = models.CharField(max_length=60, help_text="What caused it, e.g. password_reset.")
    patient_id = models.BigIntegerField(null=True, blank=True)
    # One text attachment for email (an appointment's .ics); SMS leaves it out.
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} ({self.status})"
