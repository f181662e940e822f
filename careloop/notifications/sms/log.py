import logging

logger = logging.getLogger(__name__)


class LogSmsProvider:
    """Writes each SMS to the log instead of sending it (development and demos)."""

    def send(self, *, to: str, body: str, message_id: str) -> str:
        logger.info("SMS to %s: %s", to, body)
        return f"log-{message_id}"
