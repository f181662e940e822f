from careloop.core.errors import Conflict


class IllegalCarePlanTransition(Conflict):
    """The action is not allowed in the care plan's current status."""

    code = "illegal_care_plan_transition"


class IllegalTaskTransition(Conflict):
    """The action is not allowed in the task's current status."""

    code = "illegal_task_transition"


class ProtocolAlreadyApplied(Conflict):
    """The patient already has an open care plan from this protocol."""

    code = "protocol_already_applied"


class IllegalLabOrderTransition(Conflict):
    """The action is not allowed in the lab order's current status."""

    code = "illegal_lab_order_transition"


class LabFollowUpDone(Conflict):
    """The follow-up was already done."""

    code = "lab_follow_up_done"


class NoteSigned(Conflict):
    """A signed note never changes; corrections are addenda."""

    code = "note_signed"


class NoteNotSigned(Conflict):
    """Only a signed note takes an addendum; a draft is edited."""

    code = "note_not_signed"
