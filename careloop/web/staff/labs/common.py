"""What the lab, note and progress pages share: service errors in staff words, each naming
the field and the rule it broke."""

from dataclasses import dataclass
from decimal import Decimal

from careloop.core.errors import ValidationFailed


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    code: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} ({self.code})"


def problems(error: ValidationFailed) -> list[Problem]:
    return [Problem(item.field, item.message, item.code) for item in error.errors]


def by_field(found: list[Problem]) -> dict[str, list[Problem]]:
    """The problems keyed by field, for showing each beside its input."""
    keyed: dict[str, list[Problem]] = {}
    for problem in found:
        keyed.setdefault(problem.field, []).append(problem)
    return keyed


def range_text(low: Decimal | None, high: Decimal | None) -> str:
    """A reference range as staff read it: "4\u20135.6", "up to 199" or "50 or more"."""
    if low is not None and high is not None:
        return f"{low.normalize():f}\u2013{high.normalize():f}"
    if high is not None:
        return f"up to {high.normalize():f}"
    if low is not None:
        return f"{low.normalize():f} or more"
    return ""
