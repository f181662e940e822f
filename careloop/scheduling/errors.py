from typing import TYPE_CHECKING

from careloop.core.errors import Conflict

if TYPE_CHECKING:
    from careloop.scheduling.services.series import OccurrenceCheck


class IllegalTransition(Conflict):
    """The action is not allowed in the appointment's current status."""

    code = "illegal_transition"


class SlotTaken(Conflict):
    """The provider already has an appointment (or its buffer) at that time."""

    code = "slot_taken"


class SeriesHasConflicts(Conflict):
    """Some occurrences of a series cannot be booked; nothing was booked.

    `occurrences` lists every occurrence, free or not, with its problem and alternatives.
    """

    code = "series_has_conflicts"

    def __init__(self, message: str, *, occurrences: list["OccurrenceCheck"]) -> None:
        super().__init__(message)
        self.occurrences = occurrences
