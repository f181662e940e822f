"""Secure messages in the patient portal: their threads with unread marks, starting a thread,
and a thread's page with replies, read receipts and the plan's expected response time.

A member of a household may share a thread with its head, who then reads it here (never
writes in it) under "Shared with you". An emergency notice is on every page. When the
patient may not write, the pages say why, what to do instead and, when a higher tier
includes messaging, that option (`messaging_eligibility`); the services refuse again inside
their transaction.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.messaging.access import access_thread
from careloop.messaging.errors import MessagingNotAllowed
from careloop.messaging.models import Attachment, RoutingRule, Thread, ThreadStatus, Topic
from careloop.messaging.selectors.eligibility import Eligibility, messaging_eligibility
from careloop.messaging.selectors.inbox import household_shared_threads, patient_threads
from careloop.messaging.selectors.threads import staff_read_up_to, thread_messages
from careloop.messaging.services.attachments import attachment_open
from careloop.messaging.services.sharing import thread_share
from careloop.messaging.services.threads import message_send, thread_mark_read, thread_start
from careloop.patients.models import Patient
from careloop.patients.selectors import household_of
from careloop.web.decorators import portal_view
from careloop.web.messaging import attachment_response
from careloop.web.staff.messaging.forms import MultipleFileField, add_message_errors, uploads

PAGE_SIZE = 25


class StartForm(forms.Form):
    topic = forms.ChoiceField(label="Topic")
    subject = forms.CharField(label="Subject (optional)", max_length=200, required=False)
    body = forms.CharField(label="Message", required=False, widget=forms.Textarea({"rows": 6}))
    attachments = MultipleFileField(label="Attach files")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only topics someone answers: a topic without a routing rule would be refused.
        routed = set(RoutingRule.objects.values_list("topic", flat=True))
        self.fields["topic"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a topic"),
            *[(value, label) for value, label in Topic.choices if value in routed],
        ]


class WriteForm(forms.Form):
    body = forms.CharField(label="Message", required=False, widget=forms.Textarea({"rows": 5}))
    attachments = MultipleFileField(label="Attach files")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _patient(request: HttpRequest) -> Patient | None:
    return Patient.objects.filter(user=_user(request)).first()


def _refused(form: forms.Form, error: CareloopError) -> Eligibility | None:
    """Show a service's refusal on the form; the eligibility when messaging is closed."""
    if isinstance(error, ValidationFailed):
        add_message_errors(form, error)
        return None
    form.add_error(None, error.message)
    return error.eligibility if isinstance(error, MessagingNotAllowed) else None


@portal_view
def messages_list(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    if patient is None:
        return render(request, "portal/no_record.html", status=404)
    page = _page_number(request)
    start = (page - 1) * PAGE_SIZE
    # One more than a page, to know whether older threads follow.
    threads = list(patient_threads(patient=patient)[start : start + PAGE_SIZE + 1])
    shared = list(household_shared_threads(head=patient)[:PAGE_SIZE]) if page == 1 else []
    return render(
        request,
        "portal/messages/list.html",
        {
            "threads": threads[:PAGE_SIZE],
            "page": page,
            "older": len(threads) > PAGE_SIZE,
            "shared": shared,
            "eligibility": messaging_eligibility(patient=patient),
        },
    )


def _page_number(request: HttpRequest) -> int:
    """The list's page from `?page=`; anything that is not a page number is the first."""
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 10_000 else 1


@portal_view
def message_start(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    if patient is None:
        return render(request, "portal/no_record.html", status=404)
    eligibility = messaging_eligibility(patient=patient)
    posted = request.method == "POST"
    form = StartForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                thread = thread_start(
                    actor=_user(request),
                    topic=form.cleaned_data["topic"],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    attachments=uploads(form.cleaned_data["attachments"]),
                )
            except CareloopError as error:
                eligibility = _refused(form, error) or eligibility
                status = error.status if error.status == 429 else 422
            else:
                messages.success(request, "Message sent. The care team will answer here.")
                return redirect(reverse("portal:message_thread", args=[thread.pk]))
    return render(
        request,
        "portal/messages/start.html",
        {"form": form, "eligibility": eligibility},
        status=status,
    )


def _thread_page(
    request: HttpRequest, thread: Thread, form: WriteForm, status: int = 200
) -> HttpResponse:
    user = _user(request)
    shown = list(thread_messages(thread=thread, viewer=user))
    files: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(thread=thread, message__in=shown).order_by("id"):
        files.setdefault(attachment.message_id, []).append(attachment)
    eligibility = messaging_eligibility(patient=thread.patient)
    own = thread.patient.user_id == user.pk
    context: dict[str, Any] = {
        "thread": thread,
        "own": own,
        "share_with": _share_with(thread.patient) if own else None,
        "messages_shown": [(message, files.get(message.pk, [])) for message in shown],
        "staff_read_up_to": staff_read_up_to(thread),
        "eligibility": eligibility,
        "form": form,
        "open": thread.status == ThreadStatus.OPEN,
    }
    return render(request, "portal/messages/thread.html", context, status=status)


def _share_with(patient: Patient) -> Patient | None:
    """The head of the patient's household, when the patient can share threads with them."""
    household = household_of(patient)
    if household is None or household.head_id == patient.pk:
        return None
    return household.head


@portal_view
def message_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The patient's own thread (anyone else's is not found); writing adds a message."""
    user = _user(request)
    if request.method != "POST":
        thread = access_thread(user, thread_id, Capability.MESSAGE_VIEW)
        thread_mark_read(actor=user, thread=thread)
        return _thread_page(request, thread, WriteForm())
    thread = access_thread(user, thread_id, Capability.MESSAGE_REPLY, action="message.send")
    form = WriteForm(request.POST, request.FILES)
    if not form.is_valid():
        return _thread_page(request, thread, form, status=422)
    try:
        message_send(
            actor=user,
            thread=thread,
            body=form.cleaned_data["body"],
            attachments=uploads(form.cleaned_data["attachments"]),
        )
    except CareloopError as error:
        _refused(form, error)
        return _thread_page(
            request, thread, form, status=error.status if error.status == 429 else 422
        )
    messages.success(request, "Message sent.")
    return redirect(reverse("portal:message_thread", args=[thread.pk]))


@portal_view
def message_sharing(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Share the thread with the household's head, or stop sharing it (POST only)."""
    user = _user(request)
    thread = access_thread(user, thread_id, Capability.MESSAGE_VIEW)
    if request.method != "POST":
        return redirect(reverse("portal:message_thread", args=[thread.pk]))
    shared = request.POST.get("shared") == "yes"
    try:
        thread_share(actor=user, thread=thread, shared=shared)
    except CareloopError as error:
        fields = error.errors if isinstance(error, ValidationFailed) else []
        reasons = [field.message for field in fields]
        messages.error(request, " ".join(reasons) or error.message)
    else:
        messages.success(
            request,
            "The head of your household can now read this thread."
            if shared
            else "This thread is no longer shared with your household.",
        )
    return redirect(reverse("portal:message_thread", args=[thread.pk]))


@portal_view
def message_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    return attachment_response(attachment_open(actor=_user(request), attachment_id=attachment_id))
