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
    LapsedMembershipBooking,
    Location,
    SchedulingSettings,
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
    "LapsedMembershipBooking",
    "Location",
    "SchedulingSettings",
    "SeriesFrequency",
    "TimeOff",
    "VisitMode",
    "Weekday",
    "WorkingHours",
]
