"""Attachment downloads shared by the staff app and the portal."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from careloop.messaging.services.attachments import OpenedAttachment


def attachment_response(opened: OpenedAttachment) -> HttpResponse:
    """The file as a download, never rendered in the page: the browser must not sniff it."""
    response = HttpResponse(opened.data, content_type=opened.content_type)
    disposition = content_disposition_header(as_attachment=True, filename=opened.file_name)
    response["Content-Disposition"] = disposition or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Length"] = str(opened.size)
    return response
