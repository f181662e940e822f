from careloop.core.errors import CareloopError


class SignInRefused(CareloopError):
    """A sign-in step failed. The message is the same whether or not the username exists."""

    code = "sign_in_failed"
    status = 401


class SignInLocked(SignInRefused):
    code = "sign_in_locked"
    status = 429
