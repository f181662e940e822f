from careloop.core.errors import Conflict, ValidationFailed


class IllegalTransition(Conflict):
    """The action is not allowed in the membership's current status."""

    code = "illegal_transition"


class AlreadyCovered(ValidationFailed):
    code = "already_covered"


class AllowanceExhausted(Conflict):
    code = "allowance_exhausted"


class NotCovered(Conflict):
    """No membership covers the patient for the service on that date (or covers nothing now)."""

    code = "not_covered"
