"""Time-based one-time passwords (RFC 6238) over the clock: 6 digits, 30-second steps."""

from datetime import datetime

import pyotp

STEP_SECONDS = 30
DIGITS = 6
# One step either side tolerates a phone clock that is up to 30 seconds off.
ALLOWED_DRIFT_STEPS = 1
ISSUER = "Careloop"


def new_secret() -> str:
    return pyotp.random_base32()


def time_step(instant: datetime) -> int:
    return int(instant.timestamp()) // STEP_SECONDS


def code_for_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def matching_step(secret: str, code: str, instant: datetime) -> int | None:
    """The time step within the allowed drift whose code is `code`, or None."""
    candidate = "".join(code.split())
    if len(candidate) != DIGITS or not candidate.isdigit():
        return None
    current = time_step(instant)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    for step in range(current - ALLOWED_DRIFT_STEPS, current + ALLOWED_DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), candidate):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer or ISSUER
    )


def looks_like_totp_code(code: str) -> bool:
    candidate = "".join(code.split())
    return len(candidate) == DIGITS and candidate.isdigit()
