"""Starting threads, sending messages and internal notes, and marking threads read.

Each service locks the thread's row (or, for a new thread, the patient's) for its whole
transaction: the status check, the daily limit, the clocks and the notice throttle then see
every message sent before and none sent at the same time. Messages are never edited or
deleted; a correction is a new message.
"""

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from careloop.messaging.access import thread_refusal
from careloop.messaging.attachments import AttachmentUpload
from careloop.messaging.errors import DailyLimitReached, MessagingNotAllowed, ThreadClosed
from careloop.messaging.lifecycle import ThreadAction
from careloop.messaging.models import (
    Message,
    MessageKind,
    ReadState,
    Thread,
    ThreadChange,
    ThreadStatus,
    Topic,
)
from careloop.messaging.selectors.eligibility import Eligibility, messaging_eligibility
from careloop.messaging.services.assignment import thread_cover_if_away
from careloop.messaging.services.attachments import (
    attachments_check,
    attachments_store,
    kept_only_on_success,
)
from careloop.messaging.services.clocks import clock_start, clocks_answer
from careloop.messaging.services.notices import (
    notify_assignee_of_message,
    notify_assignment,
    notify_patient_of_reply,
)
from careloop.messaging.services.routing import thread_route
from careloop.patients.models import Patient


def clean_body(body: str) -> str:
    """The text as it is stored: plain text, surrounding blank space trimmed."""
    text = (body or "").strip()
    if not text:
        raise ValidationFailed.single("body", "Write a message before sending.", "required")
    if len(text) > settings.MESSAGING_BODY_MAX_CHARS:
        raise ValidationFailed.single(
            "body",
            f"A message holds at most {settings.MESSAGING_BODY_MAX_CHARS:,} characters; "
            f"this one has {len(text):,}.",
            "too_long",
        )
    return text


def _own_patient(actor: User) -> Patient:
    patient = Patient.objects.filter(user=actor).first() if actor.is_authenticated else None
    if patient is None or not actor.is_patient or not actor.is_active:
        raise PermissionDenied("Only a patient signed in to the portal starts a thread.")
    return patient


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    zone = clock.clinic_zone()
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def _writable(patient: Patient) -> Eligibility:
    """The patient's eligibility, or MessagingNotAllowed with the reason to show."""
    eligibility = messaging_eligibility(patient=patient)
    if not eligibility.allowed:
        raise MessagingNotAllowed(eligibility)
    return eligibility


def _within_daily_limit(actor: User, eligibility: Eligibility, now: datetime) -> None:
    limit = eligibility.daily_limit
    if limit is None:
        return
    start, end = _day_bounds(now)
    sent = Message.objects.filter(
        author=actor, from_patient=True, sent_at__gte=start, sent_at__lt=end
    ).count()
    if sent >= limit:
        raise DailyLimitReached(
            f"Your {eligibility.plan_name} plan allows {limit} message"
            f"{'' if limit == 1 else 's'} a day, and you have sent {sent} today. "
            f"You can write again tomorrow; for anything urgent, call the clinic."
        )


def _write(
    *, thread: Thread, author: User, from_patient: bool, kind: MessageKind, body: str
) -> Message:
    now = clock.now()
    message = Message.objects.create(
        thread=thread,
        author=author,
        from_patient=from_patient,
        kind=kind,
        body=body,
        sent_at=now,
    )
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now, updated_at=now)
    thread.last_message_at = thread.updated_at = now
    _move_read_mark(thread, author, message, now)
    return message


def _move_read_mark(thread: Thread, reader: User, message: Message, now: datetime) -> bool:
    """Move `reader`'s mark forward to `message`; False when it was already there or past."""
    state, created = ReadState.objects.get_or_create(
        thread=thread,
        reader=reader,
        defaults={"last_read_message": message, "read_at": now},
    )
    if created:
        return True
    return bool(
        ReadState.objects.filter(pk=state.pk, last_read_message_id__lt=message.pk).update(
            last_read_message=message, read_at=now
        )
    )


def _locked(thread: Thread) -> Thread:
    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("patient__user", "team", "assignee")
        .get(pk=thread.pk)
    )


def thread_start(
    *,
    actor: User,
    topic: Topic | str,
    body: str,
    subject: str = "",
    attachments: Sequence[AttachmentUpload] = (),
) -> Thread:
    """A patient opens a thread with its first message; routing decides who answers.

    Refused, with nothing stored, when the body is empty, the topic unknown, the patient may
    not write (MessagingNotAllowed, carrying why and what to do instead), the daily limit is
    reached or no routing rule covers the topic.
    """
    patient = _own_patient(actor)
    errors = []
    if topic not in Topic.values:
        errors.append(
            FieldError("topic", f"Choose a topic ({', '.join(Topic.labels)}).", "invalid")
        )
    subject = (subject or "").strip()
    if len(subject) > 200:
        errors.append(FieldError("subject", "A subject holds at most 200 characters.", "too_long"))
    for check in (lambda: clean_body(body), lambda: attachments_check(attachments)):
        try:
            check()
        except ValidationFailed as refusal:
            errors.extend(refusal.errors)
    if errors:
        raise ValidationFailed(errors)
    text = clean_body(body)
    with kept_only_on_success() as written, transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        eligibility = _writable(patient)
        now = clock.now()
        _within_daily_limit(actor, eligibility, now)
        route = thread_route(patient=patient, topic=Topic(topic), at=now)
        thread = Thread.objects.create(
            patient=patient,
            topic=topic,
            subject=subject,
            team=route.team,
            assignee=route.assignee,
            created_by=actor,
            created_at=now,
            last_message_at=now,
            updated_at=now,
        )
        ThreadChange.objects.create(
            thread=thread,
            action=ThreadAction.OPEN.value,
            from_status="",
            to_status=ThreadStatus.OPEN,
            to_assignee=route.assignee,
            recorded_at=now,
            actor=actor,
            reason=f"Routed by the {Topic(topic).label.lower()} rule: {route.reason}.",
        )
        message = _write(
            thread=thread, author=actor, from_patient=True, kind=MessageKind.MESSAGE, body=text
        )
        attachments_store(message=message, uploads=attachments, now=now, written=written)
        assert eligibility.target_business_hours is not None
        clock_start(
            message=message,
            target_business_hours=eligibility.target_business_hours,
            plan=eligibility.membership.plan if eligibility.membership is not None else None,
            now=now,
        )
        audit_record(
            action="message.thread_start",
            actor=actor,
            patient_id=patient.pk,
            object_type="message_thread",
            object_id=thread.pk,
            detail={
                "topic": str(topic),
                "team": route.team.pk,
                "assignee": route.assignee.pk if route.assignee is not None else None,
                "message": message.pk,
                "attachments": len(attachments),
            },
        )
        if route.assignee is not None:
            notify_assignment(thread, route.assignee)
    return thread


def message_send(
    *,
    actor: User,
    thread: Thread,
    body: str,
    attachments: Sequence[AttachmentUpload] = (),
) -> Message:
    """A message in an open thread: from its patient (starting a response clock) or a staff
    reply (answering every waiting clock, and telling the patient, throttled)."""
    text = clean_body(body)
    attachments_check(attachments)
    with kept_only_on_success() as written, transaction.atomic():
        locked = _locked(thread)
        refusal = thread_refusal(actor, locked, Capability.MESSAGE_REPLY)
        if refusal is not None:
            raise refusal
        if locked.status != ThreadStatus.OPEN:
            raise ThreadClosed(
                "This thread is closed. Start a new thread to write again."
                if actor.is_patient
                else "This thread is closed; reopen it to reply."
            )
        now = clock.now()
        if actor.is_patient:
            # The daily limit counts across threads: the patient's row serializes their sends.
            Patient.objects.select_for_update().filter(pk=locked.patient_id).first()
            eligibility = _writable(locked.patient)
            _within_daily_limit(actor, eligibility, now)
            message = _write(
                thread=locked,
                author=actor,
                from_patient=True,
                kind=MessageKind.MESSAGE,
                body=text,
            )
            assert eligibility.target_business_hours is not None
            clock_start(
                message=message,
                target_business_hours=eligibility.target_business_hours,
                plan=eligibility.membership.plan if eligibility.membership is not None else None,
                now=now,
            )
            thread_cover_if_away(locked, now)
            notify_assignee_of_message(locked)
        else:
            message = _write(
                thread=locked,
                author=actor,
                from_patient=False,
                kind=MessageKind.MESSAGE,
                body=text,
            )
            clocks_answer(thread=locked, reply=message, now=now)
            notify_patient_of_reply(locked)
        attachments_store(message=message, uploads=attachments, now=now, written=written)
        audit_record(
            action="message.send",
            actor=actor,
            patient_id=locked.patient_id,
            object_type="message",
            object_id=message.pk,
            detail={
                "thread": locked.pk,
                "from_patient": message.from_patient,
                "attachments": len(attachments),
            },
        )
    thread.refresh_from_db()
    return message


def note_add(*, actor: User, thread: Thread, body: str) -> Message:
    """An internal note beside the conversation: staff only, never shown to the patient, no
    clock, no notice. Allowed on a closed thread too (documentation after the fact)."""
    text = clean_body(body)
    with transaction.atomic():
        locked = _locked(thread)
        if actor.is_authenticated and actor.is_patient:
            raise NotFound("No such thread.")
        refusal = thread_refusal(actor, locked, Capability.MESSAGE_REPLY)
        if refusal is not None:
            raise refusal
        message = _write(
            thread=locked, author=actor, from_patient=False, kind=MessageKind.NOTE, body=text
        )
        audit_record(
            action="message.note_add",
            actor=actor,
            patient_id=locked.patient_id,
            object_type="message",
            object_id=message.pk,
            detail={"thread": locked.pk},
        )
    thread.refresh_from_db()
    return message


def thread_mark_read(*, actor: User, thread: Thread, up_to: Message | None = None) -> bool:
    """Move the reader's mark to the last message they can see (or `up_to`); never back.

    A patient's mark counts messages only: internal notes are invisible to them. The head of
    a household reading a thread a member shared leaves no mark: read receipts belong to the
    patient and the care team. True when the mark moved.
    """
    refusal = thread_refusal(actor, thread, Capability.MESSAGE_VIEW)
    if refusal is not None:
        raise refusal
    if actor.is_patient and thread.patient.user_id != actor.pk:
        return False
    visible = Message.objects.filter(thread=thread)
    if actor.is_patient:
        visible = visible.filter(kind=MessageKind.MESSAGE)
    if up_to is not None:
        if up_to.thread_id != thread.pk:
            raise ValidationFailed.single("up_to", "That message is in another thread.")
        visible = visible.filter(pk__lte=up_to.pk)
    last = visible.order_by("-id").first()
    if last is None:
        return False
    with transaction.atomic():
        moved = _move_read_mark(thread, actor, last, clock.now())
        if moved:
            audit_record(
                action="message.thread_read",
                actor=actor,
                patient_id=thread.patient_id,
                object_type="message_thread",
                object_id=thread.pk,
                detail={"up_to": last.pk},
            )
    return moved
