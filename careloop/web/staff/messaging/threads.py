"""One thread in the staff app: the conversation with internal notes beside it, reply (with
saved reply templates and files), note, claim, assign, reassign, close, reopen, the PDF for
the record and access-checked attachment downloads.

A refusal shows the thread page again with the error beside its field and "Nothing was
changed"; the services check access and status again inside their transaction.
"""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.accounts.roles import STAFF_ROLES
from careloop.core import clock
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.messaging.access import access_thread
from careloop.messaging.lifecycle import THREAD_TRANSITIONS, ThreadAction
from careloop.messaging.models import Attachment, ReplyTemplate, Thread, ThreadStatus
from careloop.messaging.selectors.eligibility import messaging_eligibility
from careloop.messaging.selectors.inbox import reply_templates
from careloop.messaging.selectors.threads import (
    patient_read_up_to,
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
from careloop.messaging.services.export import thread_export
from careloop.messaging.services.threads import message_send, note_add, thread_mark_read
from careloop.web.decorators import staff_view
from careloop.web.messaging import attachment_response
from careloop.web.staff.messaging.forms import (
    ACTIONS,
    NoteForm,
    ReplyForm,
    ThreadActionForm,
    add_message_errors,
    uploads,
)
from careloop.web.staff.patients.views.common import acting_user


def assignable_staff() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, role__in=[role.value for role in STAFF_ROLES]
    ).order_by("first_name", "last_name", "id")


def _allowed_actions(user: User, thread: Thread) -> list[tuple[str, str]]:
    status = ThreadStatus(thread.status)
    allowed = []
    for action, label in ACTIONS.items():
        if status not in THREAD_TRANSITIONS[action]:
            continue
        if action == ThreadAction.CLAIM and thread.assignee_id is not None:
            continue
        if action == ThreadAction.ASSIGN and (
            thread.assignee_id is not None or not has_capability(user, Capability.MESSAGE_ASSIGN)
        ):
            continue
        if action == ThreadAction.REASSIGN and (
            thread.assignee_id is None
            or (
                thread.assignee_id != user.pk
                and not has_capability(user, Capability.MESSAGE_ASSIGN)
            )
        ):
            continue
        allowed.append((action.value, label))
    return allowed


def _thread_page(
    request: HttpRequest,
    thread: Thread,
    *,
    reply: ReplyForm | None = None,
    note: NoteForm | None = None,
    act: ThreadActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = acting_user(request)
    staff = assignable_staff()
    if reply is None:
        initial: dict[str, Any] = {}
        chosen = request.GET.get("template", "")
        if chosen.isdigit():
            template = ReplyTemplate.objects.filter(pk=int(chosen), active=True).first()
            if template is not None:
                initial["body"] = template.body
        reply = ReplyForm(initial=initial)
    shown = list(thread_messages(thread=thread, viewer=user))
    attachments: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(thread=thread).order_by("id"):
        attachments.setdefault(attachment.message_id, []).append(attachment)
    eligibility = messaging_eligibility(patient=thread.patient)
    membership = eligibility.membership
    context = {
        "thread": thread,
        "messages_shown": [(message, attachments.get(message.pk, [])) for message in shown],
        "patient_read_up_to": patient_read_up_to(thread),
        "waiting": thread_waiting(thread),
        "now": clock.now(),
        "plan": membership.plan if membership is not None else None,
        "eligibility": eligibility,
        "reply": reply,
        "note": note or NoteForm(prefix="note"),
        "act": act or ThreadActionForm(staff=staff),
        "actions": _allowed_actions(user, thread),
        "can_write": has_capability(user, Capability.MESSAGE_REPLY),
        "templates": reply_templates(topic=thread.topic),
        "history": thread.changes.select_related("actor", "from_assignee", "to_assignee"),
    }
    return render(request, "staff/messaging/thread.html", context, status=status)


@staff_view(Capability.MESSAGE_VIEW)
def message_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The thread; opening it marks it read for the viewer (the patient sees "read")."""
    user = acting_user(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_VIEW)
    thread_mark_read(actor=user, thread=thread)
    return _thread_page(request, thread)


def _back(thread: Thread) -> HttpResponse:
    return redirect(reverse("staff:message_thread", args=[thread.pk]))


@require_POST
@staff_view(Capability.MESSAGE_REPLY)
def message_reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    user = acting_user(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_REPLY, action="message.send")
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _thread_page(request, thread, reply=form, status=422)
    try:
        message_send(
            actor=user,
            thread=thread,
            body=form.cleaned_data["body"],
            attachments=uploads(form.cleaned_data["attachments"]),
        )
    except ValidationFailed as error:
        add_message_errors(form, error)
        return _thread_page(request, thread, reply=form, status=422)
    except CareloopError as error:
        form.add_error(None, error.message)
        return _thread_page(request, thread, reply=form, status=422)
    messages.success(request, "Reply sent; the patient is told a new message is waiting.")
    return _back(thread)


@require_POST
@staff_view(Capability.MESSAGE_REPLY)
def message_note(request: HttpRequest, thread_id: int) -> HttpResponse:
    user = acting_user(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_REPLY, action="message.note_add")
    form = NoteForm(request.POST, prefix="note")
    if not form.is_valid():
        return _thread_page(request, thread, note=form, status=422)
    try:
        note_add(actor=user, thread=thread, body=form.cleaned_data["body"])
    except ValidationFailed as error:
        add_message_errors(form, error)
        return _thread_page(request, thread, note=form, status=422)
    except CareloopError as error:
        form.add_error(None, error.message)
        return _thread_page(request, thread, note=form, status=422)
    messages.success(request, "Internal note added. The patient does not see it.")
    return _back(thread)


def _act(user: User, thread: Thread, action: ThreadAction, data: dict[str, Any]) -> None:
    reason = data["reason"] or ""
    if action == ThreadAction.CLAIM:
        thread_claim(actor=user, thread=thread)
    elif action == ThreadAction.ASSIGN:
        if data["assignee"] is None:
            raise ValidationFailed.single("assignee", "Choose who answers the thread.", "required")
        thread_assign(actor=user, thread=thread, assignee=data["assignee"], reason=reason)
    elif action == ThreadAction.REASSIGN:
        thread_reassign(actor=user, thread=thread, assignee=data["assignee"], reason=reason)
    elif action == ThreadAction.CLOSE:
        thread_close(actor=user, thread=thread, reason=reason)
    else:
        thread_reopen(actor=user, thread=thread, reason=reason)


DONE = {
    ThreadAction.CLAIM: "Thread claimed: it is yours to answer.",
    ThreadAction.ASSIGN: "Thread assigned.",
    ThreadAction.REASSIGN: "Thread reassigned.",
    ThreadAction.CLOSE: "Thread closed.",
    ThreadAction.REOPEN: "Thread reopened.",
}


@require_POST
@staff_view(Capability.MESSAGE_REPLY)
def message_thread_act(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Claim, assign, reassign (with a reason), close or reopen; the service checks the
    capability each action needs (assigning someone else's thread: message.assign)."""
    user = acting_user(request)
    thread = access_thread(
        user, thread_id, Capability.MESSAGE_REPLY, action="message.thread_change"
    )
    form = ThreadActionForm(request.POST, staff=assignable_staff())
    if not form.is_valid():
        return _thread_page(request, thread, act=form, status=422)
    action = ThreadAction(form.cleaned_data["action"])
    try:
        _act(user, thread, action, form.cleaned_data)
    except ValidationFailed as error:
        add_message_errors(form, error)
        return _thread_page(request, thread, act=form, status=422)
    except CareloopError as error:
        form.add_error(None, error.message)
        return _thread_page(request, thread, act=form, status=422)
    messages.success(request, DONE[action])
    return _back(thread)


@staff_view(Capability.MESSAGE_VIEW)
def message_export(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The thread as a PDF for the record, internal notes included and marked."""
    user = acting_user(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_VIEW)
    response = HttpResponse(
        thread_export(actor=user, thread=thread), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="thread-{thread.pk}.pdf"'
    return response


@staff_view(Capability.MESSAGE_VIEW)
def message_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    return attachment_response(
        attachment_open(actor=acting_user(request), attachment_id=attachment_id)
    )
