"""Threads, messages, internal notes, read marks, the thread's lifecycle and attachments.

Messages and new threads are sent as multipart forms (`body`, optional `subject` and `topic`,
and any number of `attachments` files) so files travel with the message they belong to: all
are checked before anything is stored, and a refusal stores nothing.
"""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Schema, Status, UploadedFile

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.api.messaging.common import Limit, Offset, caller, messaging_router, renamed
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from careloop.messaging.access import access_thread
from careloop.messaging.attachments import AttachmentUpload
from careloop.messaging.models import Attachment, Message, Thread
from careloop.messaging.selectors.inbox import (
    Inbox,
    ThreadRow,
    household_shared_threads,
    inbox_threads,
    patient_threads,
    thread_page,
    threads_of_patient,
)
from careloop.messaging.selectors.threads import (
    patient_read_up_to,
    staff_read_up_to,
    thread_messages,
    thread_waiting,
)
from careloop.messaging.services.assignment import (
    thread_assign,
    thread_claim,
    thread_close,
    thread_reassign,
    thread_reopen,
)
from careloop.messaging.services.attachments import attachment_open
from careloop.messaging.services.sharing import thread_share
from careloop.messaging.services.threads import (
    message_send,
    note_add,
    thread_mark_read,
    thread_start,
)
from careloop.patients.access import access_patient
from careloop.patients.models import Patient

# --- output ---------------------------------------------------------------------------------


class ThreadOut(Schema):
    id: int
    patient_id: int
    patient_name: str
    topic: str
    subject: str
    status: str = Field(description="open or closed")
    team_id: int
    team_name: str
    assignee_id: int | None
    assignee_name: str
    created_at: datetime
    last_message_at: datetime
    due_at: datetime | None = Field(
        description="When the oldest message still waiting for a reply is due"
    )
    closed_at: datetime | None
    unread: bool = Field(description="Something the caller has not read yet")
    shared_with_household: bool = Field(
        description="The patient lets the head of their household read this thread"
    )


class ThreadPage(Schema):
    items: list[ThreadOut]
    count: int
    offset: int
    limit: int


class AttachmentOut(Schema):
    id: int
    file_name: str
    content_type: str
    size: int
    download: str = Field(description="The access-checked download")


class MessageOut(Schema):
    id: int
    kind: str = Field(description="message, or note (internal: never shown to the patient)")
    author_id: int
    author_name: str
    from_patient: bool
    body: str = Field(description="Plain text: show it escaped, never as markup")
    sent_at: datetime
    attachments: list[AttachmentOut]


class WaitingOut(Schema):
    since: datetime
    due_at: datetime
    target_business_hours: int


class ChangeOut(Schema):
    action: str
    from_status: str
    to_status: str
    from_assignee_id: int | None
    to_assignee_id: int | None
    recorded_at: datetime
    actor_id: int | None
    reason: str


class ThreadDetailOut(ThreadOut):
    messages: list[MessageOut]
    read_by_patient_up_to: int = Field(description="The last message the patient has read")
    read_by_staff_up_to: int = Field(description="The last message any staff member has read")
    waiting: WaitingOut | None = Field(description="The oldest message still waiting, if any")
    history: list[ChangeOut] | None = Field(None, description="Staff only")


def _thread_fields(thread: Thread, unread: bool) -> dict[str, object]:
    assignee = thread.assignee
    return {
        "id": thread.pk,
        "patient_id": thread.patient_id,
        "patient_name": thread.patient.full_name,
        "topic": thread.topic,
        "subject": thread.subject,
        "status": thread.status,
        "team_id": thread.team_id,
        "team_name": thread.team.name,
        "assignee_id": thread.assignee_id,
        "assignee_name": assignee.get_full_name() if assignee is not None else "",
        "created_at": thread.created_at,
        "last_message_at": thread.last_message_at,
        "due_at": thread.due_at,
        "closed_at": thread.closed_at,
        "unread": unread,
        "shared_with_household": thread.shared_with_household,
    }


def _attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.pk,
        file_name=attachment.file_name,
        content_type=attachment.content_type,
        size=attachment.size,
        download=f"/api/v1/messaging/attachments/{attachment.pk}",
    )


def _detail(user: User, thread: Thread) -> ThreadDetailOut:
    thread = Thread.objects.select_related("patient", "team", "assignee").get(pk=thread.pk)
    messages = list(thread_messages(thread=thread, viewer=user).prefetch_related("attachments"))
    own_mark = (
        thread.read_states.filter(reader=user).values_list("last_read_message_id", flat=True)
    ).first() or 0
    waiting = thread_waiting(thread)
    history = None
    if not user.is_patient:
        history = [
            ChangeOut(
                action=change.action,
                from_status=change.from_status,
                to_status=change.to_status,
                from_assignee_id=change.from_assignee_id,
                to_assignee_id=change.to_assignee_id,
                recorded_at=change.recorded_at,
                actor_id=change.actor_id,
                reason=change.reason,
            )
            for change in thread.changes.order_by("recorded_at", "id")
        ]
    unread = any(m.pk > own_mark and m.author_id != user.pk for m in messages)
    return ThreadDetailOut(
        **_thread_fields(thread, unread),  # type: ignore[arg-type]
        messages=[
            MessageOut(
                id=message.pk,
                kind=message.kind,
                author_id=message.author_id,
                author_name=message.author.get_full_name() or message.author.username,
                from_patient=message.from_patient,
                body=message.body,
                sent_at=message.sent_at,
                attachments=[_attachment_out(a) for a in message.attachments.all()],
            )
            for message in messages
        ],
        read_by_patient_up_to=patient_read_up_to(thread),
        read_by_staff_up_to=staff_read_up_to(thread),
        waiting=WaitingOut(
            since=waiting.since,
            due_at=waiting.due_at,
            target_business_hours=waiting.target_business_hours,
        )
        if waiting is not None
        else None,
        history=history,
    )


# --- listing --------------------------------------------------------------------------------


def _own_patient(user: User) -> Patient:
    patient = Patient.objects.filter(user=user).first()
    if patient is None:
        raise NotFound("Not found.")
    return patient


@messaging_router.get(
    "/threads",
    response=ThreadPage,
    summary="Threads: a staff inbox (mine, team, unassigned, overdue) or one patient's; "
    "a patient gets their own, or with shared=true those their household's members shared "
    "with them as its head",
    openapi_extra=needs(Capability.MESSAGE_VIEW),
)
def thread_list(
    request: HttpRequest,
    inbox: Literal["mine", "team", "unassigned", "overdue"] = "team",
    patient_id: int | None = None,
    shared: bool = False,
    limit: Limit = 25,
    offset: Offset = 0,
) -> ThreadPage:
    user = caller(request)
    rows: QuerySet[ThreadRow]
    if user.is_patient:
        own = _own_patient(user)
        if patient_id is not None and patient_id != own.pk:
            raise NotFound("Not found.")
        if shared:
            rows = household_shared_threads(head=own).select_related("assignee")
        else:
            rows = patient_threads(patient=own).select_related("patient", "assignee")
    elif patient_id is not None:
        patient = access_patient(
            user, patient_id, capability=Capability.MESSAGE_VIEW, action="message.thread_list"
        )
        rows = threads_of_patient(user=user, patient=patient).select_related("patient")
    else:
        rows = inbox_threads(user=user, inbox=Inbox(inbox))
    found = thread_page(rows, offset=offset, limit=limit)
    page = found.threads
    audit_record(
        action="message.thread_list",
        actor=user,
        object_type="message_thread",
        detail={"patient_ids": sorted({thread.patient_id for thread in page})},
    )
    return ThreadPage(
        items=[ThreadOut(**_thread_fields(t, t.unread)) for t in page],  # type: ignore[arg-type]
        count=found.count,
        offset=offset,
        limit=limit,
    )


def _uploads(files: list[UploadedFile] | None) -> list[AttachmentUpload]:
    # One byte past the limit is enough to refuse a file as too large without reading it all.
    most = settings.MESSAGING_ATTACHMENT_MAX_BYTES + 1
    return [
        AttachmentUpload(
            file_name=upload.name or "",
            content_type=(upload.content_type or "").split(";")[0].strip(),
            data=upload.read(most),
        )
        for upload in files or []
    ]


@messaging_router.post(
    "/threads",
    response={201: ThreadDetailOut},
    summary="A patient starts a thread on a topic with its first message (multipart, with "
    "optional attachments); routing decides who answers",
    openapi_extra=needs(Capability.PORTAL_USE),
)
def thread_start_view(
    request: HttpRequest,
    topic: Form[str],
    body: Form[str],
    subject: Form[str] = "",
    attachments: File[list[UploadedFile] | None] = None,
) -> Status[ThreadDetailOut]:
    user = caller(request)
    thread = thread_start(
        actor=user, topic=topic, body=body, subject=subject, attachments=_uploads(attachments)
    )
    return Status(201, _detail(user, thread))


@messaging_router.get(
    "/threads/{thread_id}",
    response=ThreadDetailOut,
    summary="A thread with its messages (internal notes and history for staff only), read "
    "receipts and the message waiting for a reply",
    openapi_extra=needs(Capability.MESSAGE_VIEW),
)
def thread_detail(request: HttpRequest, thread_id: int) -> ThreadDetailOut:
    user = caller(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_VIEW)
    return _detail(user, thread)


# --- writing --------------------------------------------------------------------------------


@messaging_router.post(
    "/threads/{thread_id}/messages",
    response={201: MessageOut},
    summary="Send a message in an open thread (multipart: body and optional attachments)",
    openapi_extra=needs(Capability.MESSAGE_REPLY),
)
def message_send_view(
    request: HttpRequest,
    thread_id: int,
    body: Form[str],
    attachments: File[list[UploadedFile] | None] = None,
) -> Status[MessageOut]:
    user = caller(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_REPLY, action="message.send")
    message = message_send(actor=user, thread=thread, body=body, attachments=_uploads(attachments))
    return Status(201, _message_out(message))


def _message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.pk,
        kind=message.kind,
        author_id=message.author_id,
        author_name=message.author.get_full_name() or message.author.username,
        from_patient=message.from_patient,
        body=message.body,
        sent_at=message.sent_at,
        attachments=[_attachment_out(a) for a in message.attachments.all()],
    )


class InternalNoteIn(Schema):
    body: str


@messaging_router.post(
    "/threads/{thread_id}/notes",
    response={201: MessageOut},
    summary="Add an internal note beside the conversation (never shown to the patient)",
    openapi_extra=needs(Capability.MESSAGE_REPLY),
)
def note_add_view(
    request: HttpRequest, thread_id: int, payload: InternalNoteIn
) -> Status[MessageOut]:
    user = _staff(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_REPLY, action="message.note_add")
    message = note_add(actor=user, thread=thread, body=payload.body)
    return Status(201, _message_out(message))


class ReadIn(Schema):
    up_to_message_id: int | None = Field(None, description="The last message visible when empty")


class ReadOut(Schema):
    moved: bool = Field(description="False when the mark was already there or past")
    read_up_to: int


@messaging_router.post(
    "/threads/{thread_id}/read",
    response=ReadOut,
    summary="Mark the thread read, up to a message or to the end; the mark never moves back",
    openapi_extra=needs(Capability.MESSAGE_VIEW),
)
def thread_read(request: HttpRequest, thread_id: int, payload: ReadIn) -> ReadOut:
    user = caller(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_VIEW)
    up_to = None
    if payload.up_to_message_id is not None:
        up_to = (
            thread_messages(thread=thread, viewer=user).filter(pk=payload.up_to_message_id).first()
        )
        if up_to is None:
            raise ValidationFailed.single(
                "up_to_message_id", "There is no such message in this thread.", "not_found"
            )
    moved = thread_mark_read(actor=user, thread=thread, up_to=up_to)
    mark = thread.read_states.filter(reader=user).values_list("last_read_message_id", flat=True)
    return ReadOut(moved=moved, read_up_to=mark.first() or 0)


class SharingIn(Schema):
    shared: bool = Field(description="True to share with the household's head, false to stop")


@messaging_router.post(
    "/threads/{thread_id}/sharing",
    response=ThreadOut,
    summary="The thread's patient shares it with the head of their household (read only for "
    "them), or stops sharing it",
    openapi_extra=needs(Capability.PORTAL_USE),
)
def thread_sharing(request: HttpRequest, thread_id: int, payload: SharingIn) -> ThreadOut:
    user = caller(request)
    if not has_capability(user, Capability.PORTAL_USE):
        raise PermissionDenied("Only the patient decides who else reads their thread.")
    thread = access_thread(user, thread_id, Capability.MESSAGE_VIEW)
    thread = thread_share(actor=user, thread=thread, shared=payload.shared)
    return ThreadOut(**_thread_fields(thread, unread=False))  # type: ignore[arg-type]


# --- lifecycle ------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    """Staff only: a patient is told there is nothing here, as for anyone else's thread."""
    user = caller(request)
    if user.is_patient:
        raise NotFound("No such thread.")
    return user


def _staff_thread(
    request: HttpRequest, thread_id: int, capability: Capability, action: str
) -> tuple[User, Thread]:
    user = _staff(request)
    return user, access_thread(user, thread_id, capability, action=f"message.thread_{action}")


class ThreadAssignIn(Schema):
    assignee_id: int
    reason: str = ""


class ThreadReassignIn(Schema):
    assignee_id: int | None = Field(description="Empty: back to the team's pool")
    reason: str = Field(description="Required: kept in the thread's history")


class ThreadReasonIn(Schema):
    reason: str = ""


def _assignee(assignee_id: int) -> User:
    found = User.objects.filter(id=assignee_id).first()
    if found is None:
        raise ValidationFailed.single(
            "assignee_id", f"There is no staff member with id {assignee_id}.", "not_found"
        )
    return found


@messaging_router.post(
    "/threads/{thread_id}/claim",
    response=ThreadDetailOut,
    summary="Take an unassigned thread of your team",
    openapi_extra=needs(Capability.MESSAGE_REPLY),
)
def thread_claim_view(request: HttpRequest, thread_id: int) -> ThreadDetailOut:
    user, thread = _staff_thread(request, thread_id, Capability.MESSAGE_REPLY, "claim")
    return _detail(user, thread_claim(actor=user, thread=thread))


@messaging_router.post(
    "/threads/{thread_id}/assign",
    response=ThreadDetailOut,
    summary="Give an unassigned thread to a staff member",
    openapi_extra=needs(Capability.MESSAGE_ASSIGN),
)
def thread_assign_view(
    request: HttpRequest, thread_id: int, payload: ThreadAssignIn
) -> ThreadDetailOut:
    user, thread = _staff_thread(request, thread_id, Capability.MESSAGE_ASSIGN, "assign")
    assignee = _assignee(payload.assignee_id)
    try:
        thread = thread_assign(actor=user, thread=thread, assignee=assignee, reason=payload.reason)
    except ValidationFailed as error:
        raise renamed(error, {"assignee": "assignee_id"}) from None
    return _detail(user, thread)


@messaging_router.post(
    "/threads/{thread_id}/reassign",
    response=ThreadDetailOut,
    summary="Move an assigned thread to someone else or back to the pool, with a reason",
    openapi_extra=needs(Capability.MESSAGE_ASSIGN),
)
def thread_reassign_view(
    request: HttpRequest, thread_id: int, payload: ThreadReassignIn
) -> ThreadDetailOut:
    # The assignee may hand their own thread on with message.reply; the service decides.
    user, thread = _staff_thread(request, thread_id, Capability.MESSAGE_REPLY, "reassign")
    assignee = _assignee(payload.assignee_id) if payload.assignee_id is not None else None
    try:
        thread = thread_reassign(
            actor=user, thread=thread, assignee=assignee, reason=payload.reason
        )
    except ValidationFailed as error:
        raise renamed(error, {"assignee": "assignee_id"}) from None
    return _detail(user, thread)


@messaging_router.post(
    "/threads/{thread_id}/close",
    response=ThreadDetailOut,
    summary="Close a thread (its waiting response clocks stop)",
    openapi_extra=needs(Capability.MESSAGE_REPLY),
)
def thread_close_view(
    request: HttpRequest, thread_id: int, payload: ThreadReasonIn
) -> ThreadDetailOut:
    user, thread = _staff_thread(request, thread_id, Capability.MESSAGE_REPLY, "close")
    return _detail(user, thread_close(actor=user, thread=thread, reason=payload.reason))


@messaging_router.post(
    "/threads/{thread_id}/reopen",
    response=ThreadDetailOut,
    summary="Reopen a closed thread",
    openapi_extra=needs(Capability.MESSAGE_REPLY),
)
def thread_reopen_view(
    request: HttpRequest, thread_id: int, payload: ThreadReasonIn
) -> ThreadDetailOut:
    user, thread = _staff_thread(request, thread_id, Capability.MESSAGE_REPLY, "reopen")
    return _detail(user, thread_reopen(actor=user, thread=thread, reason=payload.reason))


# --- attachments ----------------------------------------------------------------------------


@messaging_router.get(
    "/attachments/{attachment_id}",
    summary="Download an attachment (for whoever may read its thread; never a file on an "
    "internal note for a patient)",
    openapi_extra=needs(Capability.MESSAGE_VIEW)
    | {
        "responses": {
            200: {
                "description": "The file, as a download",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    user = caller(request)
    opened = attachment_open(actor=user, attachment_id=attachment_id)
    response = HttpResponse(opened.data, content_type=opened.content_type)
    response["Content-Disposition"] = content_disposition_header(True, opened.file_name) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
