"""A thread as a PDF document for the clinic's record.

The export is the clinic's copy, so it holds everything staff see: every message and internal
note in order (notes marked as never shown to the patient), their attachments by name, and
the thread's history of assignments and status changes. Patients never export; each export is
an audit event. The PDF core fonts cover Latin-1 only (see `latin1`), like receipts.
"""

from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import NotFound
from careloop.core.pdf_text import latin1
from careloop.core.selectors import clinic_settings
from careloop.messaging.access import thread_refusal
from careloop.messaging.models import Attachment, MessageKind, Thread, ThreadChange
from careloop.messaging.selectors.threads import thread_messages

NOTE_MARK = "Internal note - not visible to the patient"


def _moment(moment: datetime) -> str:
    local = moment.astimezone(clock.clinic_zone())
    return f"{local:%b} {local.day}, {local.year} {local:%H:%M %Z}"


def thread_export(*, actor: User, thread: Thread) -> bytes:
    """The whole thread, notes included and marked, as a PDF (US Letter); staff only.

    Refused (and audited as refused) for patients and for staff who may not read the thread.
    """
    refusal = (
        NotFound("No such thread.")
        if actor.is_authenticated and actor.is_patient
        else thread_refusal(actor, thread, Capability.MESSAGE_VIEW)
    )
    audit_record(
        action="message.thread_export",
        actor=actor,
        outcome=Outcome.DENIED if refusal is not None else Outcome.SUCCESS,
        patient_id=thread.patient_id if refusal is None else None,
        object_type="message_thread",
        object_id=thread.pk,
    )
    if refusal is not None:
        raise refusal
    messages = list(thread_messages(thread=thread, viewer=actor))
    files: dict[int, list[str]] = {}
    for attachment in Attachment.objects.filter(thread=thread).order_by("id"):
        files.setdefault(attachment.message_id, []).append(
            f"{attachment.file_name} ({attachment.content_type}, {attachment.size:,} bytes)"
        )
    changes = ThreadChange.objects.filter(thread=thread).select_related(
        "actor", "to_assignee", "from_assignee"
    )
    patient = thread.patient
    pdf = FPDF(format="letter")
    pdf.set_creation_date(clock.now())
    pdf.set_title(latin1(f"Secure message thread {thread.pk}"))
    pdf.set_author(latin1(clinic_settings().name))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(text=latin1(clinic_settings().name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(text=latin1(f"Secure message thread {thread.pk}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    facts = [
        ("Patient", f"{patient.full_name}, born {patient.date_of_birth:%Y-%m-%d}"),
        ("Topic", thread.get_topic_display()),
        ("Subject", thread.subject or "-"),
        ("Status", thread.get_status_display()),
        ("Team", thread.team.name),
        ("Assigned to", thread.assignee.display_name if thread.assignee else "Unassigned"),
        ("Opened", _moment(thread.created_at)),
        ("Exported", f"{_moment(clock.now())} by {actor.display_name}"),
    ]
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(w=30, text=latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(text=latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for message in messages:
        note = message.kind == MessageKind.NOTE
        who = "Patient" if message.from_patient else "Staff"
        pdf.set_font("Helvetica", "B", 10)
        heading = f"{_moment(message.sent_at)} - {message.author.display_name} ({who})"
        pdf.cell(text=latin1(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if note:
            pdf.set_font("Helvetica", "BI", 9)
            pdf.cell(text=NOTE_MARK, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "I" if note else "", 10)
        for line in message.body.splitlines() or [""]:
            pdf.multi_cell(w=0, h=5, text=latin1(line) or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for name in files.get(message.pk, []):
            pdf.set_font("Helvetica", "", 9)
            pdf.multi_cell(
                w=0, h=5, text=latin1(f"Attachment: {name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(text="History", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    for change in changes:
        line = f"{_moment(change.recorded_at)} - {change.action}"
        if change.actor is not None:
            line += f" by {change.actor.display_name}"
        if change.to_assignee is not None:
            line += f", to {change.to_assignee.display_name}"
        if change.reason:
            line += f": {change.reason}"
        pdf.multi_cell(w=0, h=5, text=latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
