from collections.abc import Sequence

from careloop.core.errors import Conflict
from careloop.patients.models import Patient


class PossibleDuplicate(Conflict):
    """A patient with the same name and date of birth exists; create again to confirm."""

    code = "possible_duplicate"

    def __init__(self, candidates: Sequence[Patient]) -> None:
        count = len(candidates)
        noun = "patient" if count == 1 else "patients"
        super().__init__(
            f"{count} {noun} with the same name and date of birth already exist. "
            "Check they are not the same person, then confirm to create anyway."
        )
        self.candidates = list(candidates)
