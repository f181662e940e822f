"""An authenticator app for browser tests: codes on the real clock, never one used twice."""

import time

import pyotp

from careloop.accounts.totp import STEP_SECONDS


class AuthenticatorApp:
    """Codes for `secret` as a phone would show them.

    Careloop accepts each time step's code once (replay protection), so asking for a second
    code within the same 30-second step waits for the next step, as a person would.
    """

    def __init__(self, secret: str) -> None:
        self.secret = "".join(secret.split())
        self._last_step: int | None = None

    def code(self) -> str:
        step = int(time.time()) // STEP_SECONDS
        if self._last_step is not None and step <= self._last_step:
            time.sleep((self._last_step + 1) * STEP_SECONDS - time.time() + 0.1)
            step = self._last_step + 1
        self._last_step = step
        return pyotp.TOTP(self.secret).at(step * STEP_SECONDS)
