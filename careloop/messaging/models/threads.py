"""Threads, their messages (never edited or deleted), read state, history and notices."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.messaging.models.routing import MessagingTeam, Topic


class ThreadStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Thread(models.Model):
    """A secure conversation between one patient and the care team.

    `due_at` is the due time of the oldest patient message still waiting for a reply (none
    when nothing waits); it repeats the response clocks' answer so the overdue inbox is one
    index range. Services set it in the same transaction as the clocks they start and stop.
    `last_message_at` orders the inboxes; internal notes move it too.
    `shared_with_household` is the patient's choice to let the head of their household read
    the thread in the portal (never write in it); only the patient changes it.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="message_threads"
    )
    topic = models.CharField(max_length=20, choices=Topic.choices)
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ThreadStatus.choices, default="open")
    team = models.ForeignKey(MessagingTeam, on_delete=models.PROTECT, related_name="threads")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="message_threads",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    shared_with_household = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in ThreadStatus]),
                name="thread_status_is_known",
            ),
            models.CheckConstraint(
                condition=Q(topic__in=[choice.value for choice in Topic]),
                name="thread_topic_is_known",
            ),
        ]
        # The inboxes read open threads, newest activity first (overdue: soonest due first).
        # Each partial index holds open threads only and ends with the sort columns, so a
        # page is an index range without a sort, however many closed threads pile up.
        indexes = [
            models.Index(
                fields=["assignee", "-last_message_at", "-id"],
                condition=Q(status="open"),
                name="thread_open_assignee",
            ),
            models.Index(
                fields=["team", "-last_message_at", "-id"],
                condition=Q(status="open"),
                name="thread_open_team",
            ),
            models.Index(
                fields=["team", "-last_message_at", "-id"],
                condition=Q(status="open", assignee__isnull=True),
                name="thread_open_unassigned",
            ),
            models.Index(
                fields=["team", "due_at", "id"],
                condition=Q(status="open", due_at__isnull=False),
                name="thread_open_due",
            ),
            models.Index(fields=["patient", "-last_message_at"], name="thread_patient_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} thread {self.pk} of patient {self.patient_id}"


class MessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    NOTE = "note", "Internal note"


class Message(models.Model):
    """One message or internal note; plain text, never edited or deleted.

    A correction is a new message. The database refuses an empty body and a note written by
    the patient; on PostgreSQL a trigger refuses UPDATE and DELETE (migration 0002).
    """

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_patient = models.BooleanField()
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    body = models.TextField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["thread", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="message_has_a_body"),
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in MessageKind]),
                name="message_kind_is_known",
            ),
            models.CheckConstraint(
                condition=Q(kind="message") | Q(from_patient=False),
                name="message_note_is_staff_only",
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "id"], name="message_thread_order"),
            models.Index(
                fields=["author", "sent_at"],
                condition=Q(from_patient=True),
                name="message_patient_daily",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} in thread {self.thread_id}"


class ReadState(models.Model):
    """How far one reader has read one thread: the last message they saw.

    Unread counts are derived from it (messages after the mark, not their own, and for
    patients not notes), never kept as a counter. The mark only moves forward.
    """

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "reader"], name="read_state_once"),
        ]

    def __str__(self) -> str:
        return f"user {self.reader_id} read thread {self.thread_id}"


class ThreadChange(models.Model):
    """History of a thread: opening, assignment, claims, closing and reopening; who, when, why."""

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, choices=ThreadStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ThreadStatus.choices)
    from_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["thread", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on thread {self.thread_id}"


class ThreadNotice(models.Model):
    """A notification about a thread sent to one person; the throttle reads the latest."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["thread", "recipient", "sent_at"], name="thread_notice_latest")
        ]

    def __str__(self) -> str:
        return f"{self.kind} to user {self.recipient_id}"
