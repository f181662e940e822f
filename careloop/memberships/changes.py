"""Typed details of scheduled changes.

`ScheduledChange.details` is JSON in the database; these dataclasses are what code reads and
writes. `details_for(change)` parses a row into the right one by its kind, so nothing passes
the raw dict around.
"""

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from careloop.memberships.models import ChangeKind, MemberRole, ScheduledChange
from careloop.memberships.periods import Interval


@dataclass(frozen=True)
class PlanChange:
    plan_id: int
    price_id: int
    upgrade: bool


@dataclass(frozen=True)
class IntervalChange:
    interval: Interval
    price_id: int


@dataclass(frozen=True)
class MemberAdd:
    patient_id: int
    role: MemberRole


@dataclass(frozen=True)
class MemberRemove:
    patient_id: int


@dataclass(frozen=True)
class Pause:
    resumes_on: date | None


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Cancel:
    reason_id: int
    note: str


@dataclass(frozen=True)
class PriceChange:
    price_id: int


ChangeDetails = (
    PlanChange | IntervalChange | MemberAdd | MemberRemove | Pause | Resume | Cancel | PriceChange
)

KIND_OF: dict[type[Any], ChangeKind] = {
    PlanChange: ChangeKind.PLAN_CHANGE,
    IntervalChange: ChangeKind.INTERVAL_CHANGE,
    MemberAdd: ChangeKind.MEMBER_ADD,
    MemberRemove: ChangeKind.MEMBER_REMOVE,
    Pause: ChangeKind.PAUSE,
    Resume: ChangeKind.RESUME,
    Cancel: ChangeKind.CANCEL,
    PriceChange: ChangeKind.PRICE_CHANGE,
}
_CLASS_OF = {kind: cls for cls, kind in KIND_OF.items()}


def kind_of(details: ChangeDetails) -> ChangeKind:
    return KIND_OF[type(details)]


def details_to_json(details: ChangeDetails) -> dict[str, Any]:
    return {
        key: value.isoformat()
        if isinstance(value, date)
        else str(value)
        if isinstance(value, Interval | MemberRole)
        else value
        for key, value in asdict(details).items()
    }


def details_from_json(kind: str, data: dict[str, Any]) -> ChangeDetails:
    cls = _CLASS_OF[ChangeKind(kind)]
    values: dict[str, Any] = {}
    for field in fields(cls):
        raw: Any = data.get(field.name)
        if field.name == "resumes_on":
            values[field.name] = date.fromisoformat(raw) if raw else None
        elif field.name == "interval":
            values[field.name] = Interval(raw)
        elif field.name == "role":
            values[field.name] = MemberRole(raw)
        else:
            values[field.name] = raw
    details: ChangeDetails = cls(**values)
    return details


def details_for(change: ScheduledChange) -> ChangeDetails:
    return details_from_json(change.kind, change.details)
