from careloop.core.errors import Conflict


class IllegalTransition(Conflict):
    """The action is not allowed in the appointment's current status."""

    code = "illegal_transition"


class SlotTaken(Conflict):
    """The provider already has an appointment (or its buffer) at that time."""

    code = "slot_taken"


class SeriesHasConflicts(Conflict):
    """Some occurrences of a series cannot be booked; nothing was booked.

    `occurrences` lists every occurrence with its problem and alternatives
    (careloop.scheduling.services.series.OccurrenceCheck).
    """

    code = "series_has_conflicts"

    def __init__(self, message: str, *, occurrences: list[object]) -> None:
        super().__init__(message)
        self.occurrences = occurrences
