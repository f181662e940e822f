"""Notifications about threads, through the outbox, with no clinical detail.

A notice never carries a message's text, a topic or a patient's name: it says that there is
something to read and where. New-message notices are throttled to one per thread and person
per CARELOOP_MESSAGING_NOTIFY_EVERY_MINUTES (ThreadNotice rows, read and written under the
thread's lock, which the sending service holds); assignments, warnings and breaches are not
throttled (each happens once).
"""

from datetime import datetime, timedelta

from django.conf import settings

from careloop.accounts.models import User
from careloop.core import clock
from careloop.core.selectors import clinic_settings
from careloop.messaging.models import Thread, ThreadNotice
from careloop.notifications.contacts import patient_contact
from careloop.notifications.models import Channel
from careloop.notifications.services import notification_enqueue


def _recently_notified(thread: Thread, recipient: User, now: datetime) -> bool:
    window = timedelta(minutes=settings.MESSAGING_NOTIFY_EVERY_MINUTES)
    if window <= timedelta(0):
        return False
    return ThreadNotice.objects.filter(
        thread=thread, recipient=recipient, sent_at__gt=now - window
    ).exists()


def _record(thread: Thread, recipient: User, kind: str, now: datetime) -> None:
    ThreadNotice.objects.create(thread=thread, recipient=recipient, kind=kind, sent_at=now)


def _staff_notice(thread: Thread, recipient: User, kind: str, subject: str, lead: str) -> None:
    if not recipient.email:
        return
    now = clock.now()
    body = f"{lead}\n\nOpen thread #{thread.pk} in Careloop: {settings.PORTAL_BASE_URL}/staff/"
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=recipient.email,
        subject=subject,
        body=body,
        kind=kind,
        patient_id=thread.patient_id,
    )
    _record(thread, recipient, kind, now)


def notify_patient_of_reply(thread: Thread) -> bool:
    """Tell the patient a reply is waiting, unless told about this thread very recently."""
    patient = thread.patient
    if patient.user is None:
        return False
    now = clock.now()
    if _recently_notified(thread, patient.user, now):
        return False
    contact = patient_contact(patient)
    if contact is None:
        return False
    channel, address = contact
    clinic = clinic_settings().name
    notification_enqueue(
        channel=channel,
        recipient=address,
        subject=f"New secure message from {clinic}",
        body=(
            f"You have a new secure message from {clinic}. Sign in to your patient portal "
            f"to read it: {settings.PORTAL_BASE_URL}/portal/"
        ),
        kind="messaging.reply",
        patient_id=patient.pk,
    )
    _record(thread, patient.user, "messaging.reply", now)
    return True


def notify_assignee_of_message(thread: Thread) -> bool:
    """Tell the assignee a patient wrote, unless told about this thread very recently."""
    assignee = thread.assignee
    if assignee is None or not assignee.is_active:
        return False
    if _recently_notified(thread, assignee, clock.now()):
        return False
    _staff_notice(
        thread,
        assignee,
        "messaging.patient_message",
        "New patient message",
        f"A patient wrote in secure message thread #{thread.pk}, assigned to you.",
    )
    return True


def notify_assignment(thread: Thread, assignee: User) -> None:
    _staff_notice(
        thread,
        assignee,
        "messaging.assigned",
        "Secure message thread assigned to you",
        f"Secure message thread #{thread.pk} was assigned to you.",
    )


def notify_response_warning(thread: Thread, recipient: User, due_at: datetime) -> None:
    due = due_at.astimezone(clock.clinic_zone()).strftime("%Y-%m-%d %H:%M %Z")
    _staff_notice(
        thread,
        recipient,
        "messaging.response_warning",
        "Secure message reply due soon",
        f"A patient's message in thread #{thread.pk} is due for a reply by {due}.",
    )


def notify_response_breach(thread: Thread, recipient: User, due_at: datetime) -> None:
    due = due_at.astimezone(clock.clinic_zone()).strftime("%Y-%m-%d %H:%M %Z")
    _staff_notice(
        thread,
        recipient,
        "messaging.response_breach",
        "Secure message reply overdue",
        f"A patient's message in thread #{thread.pk} was due for a reply by {due} and "
        "has none yet.",
    )
