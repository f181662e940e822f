"""What a file really is, read from its first bytes; and the rules for attaching one.

The declared type (from the browser or API client) is never trusted on its own: the content
must start the way that type starts. Text must be UTF-8 without NUL bytes and must not be
one of the binary types in disguise.
"""

import re
from dataclasses import dataclass

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class AttachmentUpload:
    """A file as a delivery layer received it: the sender's name, declared type and bytes."""

    file_name: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The type the content shows, or None when it is none Careloop recognises."""
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def safe_file_name(name: str) -> str:
    """The sender's file name without any folder part or control characters, for display
    and downloads only (the stored file has a random name)."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[\x00-\x1f\x7f\"]", "", base).strip().lstrip(".")
    return cleaned[:200] or "attachment"
