from careloop.scheduling.models.appointments import (
    HOLDS_TIME,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentStatusChange,
    SeriesFrequency,
)
from careloop.scheduling.models.calendar import (
    AppointmentType,
    Break,
    ClinicHoliday,
    Location,
    TimeOff,
    VisitMode,
    Weekday,
    WorkingHours,
)

__all__ = [
    "HOLDS_TIME",
    "Appointment",
    "AppointmentSeries",
    "AppointmentStatus",
    "AppointmentStatusChange",
    "AppointmentType",
    "Break",
    "ClinicHoliday",
    "Location",
    "SeriesFrequency",
    "TimeOff",
    "VisitMode",
    "Weekday",
    "WorkingHours",
]
