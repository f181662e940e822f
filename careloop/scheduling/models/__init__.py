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
    PriorityCapacity,
    SchedulingSettings,
    TimeOff,
    VisitMode,
    Weekday,
    WorkingHours,
)
from careloop.scheduling.models.reminders import AppointmentReminder, CalendarFeed

__all__ = [
    "HOLDS_TIME",
    "Appointment",
    "AppointmentReminder",
    "AppointmentSeries",
    "AppointmentStatus",
    "AppointmentStatusChange",
    "AppointmentType",
    "Break",
    "CalendarFeed",
    "ClinicHoliday",
    "LapsedMembershipBooking",
    "Location",
    "PriorityCapacity",
    "SchedulingSettings",
    "SeriesFrequency",
    "TimeOff",
    "VisitMode",
    "Weekday",
    "WorkingHours",
]
