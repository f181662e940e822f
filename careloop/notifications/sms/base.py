from typing import Protocol


class SmsProvider(Protocol):
    """An SMS gateway.

    `message_id` is Careloop's stable id for the message (the outbox id); a provider that
    accepts an idempotency key should pass it on, so a repeat after a worker crash is dropped.
    `send` returns the provider's own id for the message and raises on any failure.
    """

    def send(self, *, to: str, body: str, message_id: str) -> str: ...
