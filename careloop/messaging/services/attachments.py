"""Storing message attachments and handing them out behind the access check.

Every file of a message is checked before anything is written: an allowed type, within the
size limit, not empty, and content that matches the declared type. Files are written under
random names in CARELOOP_MESSAGING_ATTACHMENT_DIR (folders 0700, files 0600) inside the
message's transaction; if that transaction fails, `kept_only_on_success` removes them again,
so a refused message leaves no file behind.
"""

import hashlib
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.errors import CareloopError, FieldError, NotFound, ValidationFailed
from careloop.messaging.access import thread_refusal
from careloop.messaging.attachments import AttachmentUpload, safe_file_name, sniff
from careloop.messaging.models import Attachment, Message, MessageKind


class AttachmentDamaged(CareloopError):
    """The stored file is missing or no longer what was uploaded."""

    code = "attachment_damaged"
    status = 500


def _size(amount: int) -> str:
    return f"{amount / 1_000_000:.1f} MB" if amount >= 100_000 else f"{amount:,} bytes"


def attachments_check(uploads: Sequence[AttachmentUpload]) -> None:
    """Refuse, naming each file by its position and name, anything that may not be stored."""
    errors = []
    allowed = settings.MESSAGING_ATTACHMENT_TYPES
    limit = settings.MESSAGING_ATTACHMENT_MAX_BYTES
    for index, upload in enumerate(uploads):
        field = f"attachments[{index}]"
        name = safe_file_name(upload.file_name)
        if upload.content_type not in allowed:
            errors.append(
                FieldError(
                    field,
                    f"{name}: {upload.content_type or 'this type'} files are not accepted; "
                    f"send {', '.join(allowed)}.",
                    "type_not_allowed",
                )
            )
        elif not upload.data:
            errors.append(FieldError(field, f"{name} is empty.", "empty"))
        elif len(upload.data) > limit:
            errors.append(
                FieldError(
                    field,
                    f"{name} is {_size(len(upload.data))}; the limit is {_size(limit)}.",
                    "too_large",
                )
            )
        elif sniff(upload.data) != upload.content_type:
            errors.append(
                FieldError(
                    field,
                    f"{name} does not contain what a {upload.content_type} file contains.",
                    "content_mismatch",
                )
            )
    if errors:
        raise ValidationFailed(errors)


def _path(storage_name: str) -> Path:
    return Path(settings.MESSAGING_ATTACHMENT_DIR) / storage_name[:2] / storage_name


@contextmanager
def kept_only_on_success() -> Iterator[list[Path]]:
    """Collect the files written in the block; remove them when the block raises."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def attachments_store(
    *,
    message: Message,
    uploads: Sequence[AttachmentUpload],
    now: datetime,
    written: list[Path],
) -> list[Attachment]:
    """Write the (already checked) files and their rows; call inside the message's
    transaction and `kept_only_on_success`."""
    stored = []
    for upload in uploads:
        storage_name = secrets.token_urlsafe(32)
        path = _path(storage_name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        written.append(path)
        with os.fdopen(descriptor, "wb") as file:
            file.write(upload.data)
        stored.append(
            Attachment.objects.create(
                message=message,
                thread=message.thread,
                file_name=safe_file_name(upload.file_name),
                content_type=upload.content_type,
                size=len(upload.data),
                sha256=hashlib.sha256(upload.data).hexdigest(),
                storage_name=storage_name,
                uploaded_at=now,
            )
        )
    return stored


@dataclass(frozen=True)
class OpenedAttachment:
    file_name: str
    content_type: str
    size: int
    data: bytes


def attachment_open(*, actor: User, attachment_id: int) -> OpenedAttachment:
    """The file, for someone who may read its thread (a patient: their own thread, and never
    a file on an internal note). Every attempt is an audit event."""
    attachment = (
        Attachment.objects.select_related("message", "thread__patient", "thread__team")
        .filter(pk=attachment_id)
        .first()
    )
    refusal: CareloopError | None
    if attachment is None:
        refusal = NotFound("No such attachment.")
    else:
        refusal = thread_refusal(actor, attachment.thread, Capability.MESSAGE_VIEW)
        if refusal is None and actor.is_patient and attachment.message.kind != MessageKind.MESSAGE:
            refusal = NotFound("No such attachment.")
    audit_record(
        action="message.attachment_open",
        actor=actor,
        outcome=Outcome.DENIED if refusal is not None else Outcome.SUCCESS,
        patient_id=attachment.thread.patient_id
        if attachment is not None and refusal is None
        else None,
        object_type="message_attachment",
        object_id=attachment_id,
    )
    if refusal is not None:
        raise refusal
    assert attachment is not None
    try:
        data = _path(attachment.storage_name).read_bytes()
    except FileNotFoundError:
        raise AttachmentDamaged("The file is missing from storage.") from None
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise AttachmentDamaged("The stored file no longer matches what was uploaded.")
    return OpenedAttachment(
        file_name=attachment.file_name,
        content_type=attachment.content_type,
        size=attachment.size,
        data=data,
    )
