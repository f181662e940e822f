"""Where the current request came from, for audit rows written deep inside services."""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("careloop_current_ip", default=None)
