"""The link in a visit's reminder that lets the patient confirm or cancel without signing in.

It names the appointment, signed with the site's key, and works for 30 days (a reminder goes
out at most two weeks ahead); the page it opens refuses any change once the visit has begun.
"""

from careloop.core.links import link_token, link_url, link_value

SALT = "careloop.scheduling.visit"
MAX_AGE_SECONDS = 30 * 24 * 60 * 60


def visit_token(appointment_id: int) -> str:
    return link_token(appointment_id, salt=SALT)


def visit_url(appointment_id: int) -> str:
    return link_url("visit:respond", token=visit_token(appointment_id))


def appointment_from_token(token: str) -> int | None:
    """The appointment id a link names, or None when it was altered or has expired."""
    return link_value(token, salt=SALT, max_age_seconds=MAX_AGE_SECONDS)
