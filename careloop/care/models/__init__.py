from careloop.care.models.care_plans import (
    OPEN_PLAN_STATUSES,
    UNFINISHED_TASK_STATUSES,
    CareActivity,
    CarePlan,
    CarePlanChange,
    CarePlanStatus,
    CareTask,
    CareTaskChange,
    TaskStatus,
)
from careloop.care.models.gaps import CareGapStep, GapStep
from careloop.care.models.protocols import Activity, Protocol
from careloop.care.models.timing_columns import ACTIVITY_FIELDS, ActivityFields, ActivityKind

__all__ = [
    "ACTIVITY_FIELDS",
    "OPEN_PLAN_STATUSES",
    "UNFINISHED_TASK_STATUSES",
    "Activity",
    "ActivityFields",
    "ActivityKind",
    "CareActivity",
    "CareGapStep",
    "CarePlan",
    "CarePlanChange",
    "CarePlanStatus",
    "CareTask",
    "CareTaskChange",
    "GapStep",
    "Protocol",
    "TaskStatus",
]
