from careloop.core.errors import Conflict, ValidationFailed


class IllegalTransition(Conflict):
    """The action is not allowed in the membership's current status."""

    code = "illegal_transition"


class AlreadyCovered(ValidationFailed):
    code = "already_covered"


class AllowanceExhausted(Conflict):
    code = "allowance_exhausted"
