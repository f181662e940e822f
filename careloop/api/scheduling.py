"""REST resources for scheduling under /api/v1/scheduling: locations, working hours,
appointment types, availability, the membership effect of a booking, appointments and their
status actions, series, the booking policy and a provider's calendar feed.

Reading the calendar needs schedule.view and booking or changing a visit appointment.book
(clinical staff and front desk); changing locations, hours and types needs clinic.configure
(admins). Patients get "not found" for every operation here. Times are ISO 8601 with an
offset; money is integer minor units.
"""

from dataclasses import replace
from datetime import date, datetime, time

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.api.memberships.common import staff_user
from careloop.api.patients import needs
from careloop.care.models import CareTask
from careloop.core.errors import NotFound, ValidationFailed
from careloop.patients.access import access_patient
from careloop.scheduling.lifecycle import Action
from careloop.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    Location,
    PriorityCapacity,
    SeriesFrequency,
    VisitMode,
    WorkingHours,
)
from careloop.scheduling.selectors.calendars import available_slots
from careloop.scheduling.selectors.effects import (
    BookingEffect,
    booking_effect,
    lapsed_membership_booking,
)
from careloop.scheduling.series import SeriesRule
from careloop.scheduling.services import calendar
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.feeds import calendar_feed_renew, calendar_feed_stop
from careloop.scheduling.services.reminders import reminder_hours
from careloop.scheduling.services.series import SeriesOutcome, series_book
from careloop.scheduling.services.series_changes import Scope, series_cancel, series_move
from careloop.scheduling.services.status import appointment_transition

scheduling_router = Router(tags=["scheduling"])

MINOR_UNITS = "Minor units (cents)"
SEARCH_DAYS_LIMIT = 31


def _get_location(location_id: int) -> Location:
    found = Location.objects.filter(id=location_id).first()
    if found is None:
        raise ValidationFailed.single("location_id", "No such location.", "not_found")
    return found


def _get_type(type_id: int) -> AppointmentType:
    found = AppointmentType.objects.filter(id=type_id).first()
    if found is None:
        raise ValidationFailed.single(
            "appointment_type_id", "No such appointment type.", "not_found"
        )
    return found


def _get_provider(provider_id: int) -> User:
    found = User.objects.filter(id=provider_id).first()
    if found is None or found.is_patient:
        raise ValidationFailed.single("provider_id", "No such provider.", "not_found")
    return found


def _appointment(user: User, appointment_id: int, action: str) -> Appointment:
    found = (
        Appointment.objects.select_related("appointment_type", "location", "patient")
        .filter(id=appointment_id)
        .first()
    )
    if found is None:
        raise NotFound("No such appointment.")
    access_patient(user, found.patient_id, capability=Capability.SCHEDULE_VIEW, action=action)
    return found


# --- locations, hours, types ----------------------------------------------------------------


class LocationOut(Schema):
    id: int
    name: str
    address: str
    time_zone: str = Field(description="Empty: the clinic's time zone")
    active: bool


class LocationIn(Schema):
    name: str
    address: str = ""
    time_zone: str = ""


@scheduling_router.get(
    "/locations",
    response=list[LocationOut],
    summary="List locations",
    openapi_extra=needs(Capability.SCHEDULE_VIEW),
)
def location_list(request: HttpRequest) -> list[Location]:
    staff_user(request, Capability.SCHEDULE_VIEW)
    return list(Location.objects.order_by("name"))


@scheduling_router.post(
    "/locations",
    response={201: LocationOut},
    summary="Add a location",
    openapi_extra=needs(Capability.CLINIC_CONFIGURE),
)
def location_create(request: HttpRequest, payload: LocationIn) -> Status[LocationOut]:
    user = staff_user(request, Capability.CLINIC_CONFIGURE)
    location = calendar.location_create(actor=user, **payload.model_dump())
    return Status(201, LocationOut.model_validate(location))


class WorkingHoursOut(Schema):
    id: int
    provider_id: int
    location_id: int
    weekday: int = Field(description="Monday is 0")
    start_time: time
    end_time: time
    valid_from: date | None
    valid_until: date | None


class WorkingHoursIn(Schema):
    provider_id: int
    location_id: int
    weekday: int = Field(description="Monday is 0")
    start_time: time = Field(description="Wall-clock time at the location")
    end_time: time
    valid_from: date | None = None
    valid_until: date | None = None


@scheduling_router.get(
    "/working-hours",
    response=list[WorkingHoursOut],
    summary="Providers' working hours",
    openapi_extra=needs(Capability.SCHEDULE_VIEW),
)
def working_hours_list(
    request: HttpRequest, provider_id: int | None = None, location_id: int | None = None
) -> list[WorkingHours]:
    staff_user(request, Capability.SCHEDULE_VIEW)
    rows = WorkingHours.objects.order_by("provider_id", "location_id", "weekday", "start_time")
    if provider_id is not None:
        rows = rows.filter(provider_id=provider_id)
    if location_id is not None:
        rows = rows.filter(location_id=location_id)
    return list(rows)


@scheduling_router.post(
    "/working-hours",
    response={201: WorkingHoursOut},
    summary="Add working hours for a provider at a location",
    openapi_extra=needs(Capability.CLINIC_CONFIGURE),
)
def working_hours_add(request: HttpRequest, payload: WorkingHoursIn) -> Status[WorkingHoursOut]:
    user = staff_user(request, Capability.CLINIC_CONFIGURE)
    fields = payload.model_dump()
    row = calendar.working_hours_add(
        actor=user,
        provider=_get_provider(fields.pop("provider_id")),
        location=_get_location(fields.pop("location_id")),
        **fields,
    )
    return Status(201, WorkingHoursOut.model_validate(row))


class AppointmentTypeOut(Schema):
    id: int
    name: str
    duration_minutes: int
    buffer_minutes: int
    mode: str
    service_kind: str
    plans_allowed: list[int] = Field(description="Plan ids; empty: every patient")
    lead_time_minutes: int
    self_bookable: bool
    late_cancel_window_hours: int
    late_cancel_fee: int = Field(description=MINOR_UNITS)
    late_cancel_keeps_allowance: bool
    no_show_fee: int = Field(description=MINOR_UNITS)
    no_show_keeps_allowance: bool
    non_members_allowed: bool
    active: bool

    @staticmethod
    def resolve_plans_allowed(obj: AppointmentType) -> list[int]:
        return sorted(plan.pk for plan in obj.plans_allowed.all())


class AppointmentTypeIn(Schema):
    name: str
    duration_minutes: int
    buffer_minutes: int = 0
    mode: VisitMode = VisitMode.IN_PERSON
    service_kind: str = ""
    lead_time_minutes: int = 0
    self_bookable: bool = False
    late_cancel_window_hours: int = 24
    late_cancel_fee: int = Field(0, description=MINOR_UNITS)
    no_show_fee: int = Field(0, description=MINOR_UNITS)


@scheduling_router.get(
    "/appointment-types",
    response=list[AppointmentTypeOut],
    summary="List appointment types",
    openapi_extra=needs(Capability.SCHEDULE_VIEW),
)
def appointment_type_list(request: HttpRequest) -> list[AppointmentType]:
    staff_user(request, Capability.SCHEDULE_VIEW)
    return list(AppointmentType.objects.prefetch_related("plans_allowed").order_by("name"))


@scheduling_router.post(
    "/appointment-types",
    response={201: AppointmentTypeOut},
    summary="Add an appointment type",
    openapi_extra=needs(Capability.CLINIC_CONFIGURE),
)
def appointment_type_create(
    request: HttpRequest, payload: AppointmentTypeIn
) -> Status[AppointmentTypeOut]:
    user = staff_user(request, Capability.CLINIC_CONFIGURE)
    kind = calendar.appointment_type_create(actor=user, **payload.model_dump())
    return Status(201, AppointmentTypeOut.model_validate(kind))


# --- availability and the membership effect -------------------------------------------------


class SlotOut(Schema):
    provider_id: int
    location_id: int
    start: datetime
    end: datetime


@scheduling_router.get(
    "/availability",
    response=list[SlotOut],
    summary="Free slots for a type across providers and locations",
    openapi_extra=needs(Capability.SCHEDULE_VIEW),
)
def availability_search(
    request: HttpRequest,
    appointment_type_id: int,
    first_day: date,
    last_day: date,
    provider_id: int | None = None,
    location_id: int | None = None,
    patient_id: int | None = None,
) -> list[SlotOut]:
    """Slots priority capacity holds are offered only to members of the held plans (the
    patient's plan when `patient_id` is given) until their release time."""
    user = staff_user(request, Capability.SCHEDULE_VIEW)
    patient = (
        access_patient(user, patient_id, capability=Capability.SCHEDULE_VIEW)
        if patient_id is not None
        else None
    )
    kind = _get_type(appointment_type_id)
    if (last_day - first_day).days >= SEARCH_DAYS_LIMIT:
        raise ValidationFailed.single(
            "last_day", f"Search at most {SEARCH_DAYS_LIMIT} days at a time.", "too_long"
        )
    slots = available_slots(
        appointment_type=kind,
        first_day=first_day,
        last_day=last_day,
        provider_ids=[provider_id] if provider_id is not None else None,
        location_ids=[location_id] if location_id is not None else None,
        patient=patient,
    )
    return [
        SlotOut(
            provider_id=slot.provider_id,
            location_id=slot.location_id,
            start=slot.start,
            end=slot.end,
        )
        for slot in slots
    ]


class EffectOut(Schema):
    outcome: str = Field(
        description="no_charge, covered, member_price, self_pay, not_allowed_for_plan, "
        "membership_past_due, membership_paused or members_only"
    )
    allowed: bool
    needs_acknowledgement: bool = Field(description="Book with acknowledged_price at least `price`")
    reason: str
    warning: str
    price: int = Field(description=MINOR_UNITS)
    currency: str
    membership_id: int | None
    plan_name: str
    left_after: int | None = Field(description="Uses left after this visit; null: unlimited")


def _effect_out(effect: BookingEffect) -> EffectOut:
    return EffectOut(
        outcome=effect.outcome.value,
        allowed=effect.allowed,
        needs_acknowledgement=effect.needs_acknowledgement,
        reason=effect.reason,
        warning=effect.warning,
        price=effect.price,
        currency=effect.currency,
        membership_id=effect.membership.pk if effect.membership is not None else None,
        plan_name=effect.plan_name,
        left_after=effect.left_after,
    )


@scheduling_router.get(
    "/booking-effect",
    response=EffectOut,
    summary="What booking this visit means for the patient's membership",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def booking_effect_read(
    request: HttpRequest,
    patient_id: int,
    appointment_type_id: int,
    location_id: int,
    start_at: datetime,
) -> EffectOut:
    user = staff_user(request, Capability.APPOINTMENT_BOOK)
    patient = access_patient(user, patient_id, capability=Capability.APPOINTMENT_BOOK)
    effect = booking_effect(
        patient=patient,
        appointment_type=_get_type(appointment_type_id),
        location=_get_location(location_id),
        start_at=start_at,
    )
    return _effect_out(effect)


# --- appointments ---------------------------------------------------------------------------


class AppointmentOut(Schema):
    id: int
    patient_id: int
    membership_id: int | None
    provider_id: int
    location_id: int
    appointment_type_id: int
    start_at: datetime
    end_at: datetime
    status: str
    late_cancel: bool
    coverage: str = Field(description="The membership effect when booked")
    quoted_price: int = Field(description=MINOR_UNITS)
    series_id: int | None
    occurrence_index: int | None
    care_task_id: int | None = Field(
        description="The care-plan task the visit carries out; completing the visit closes it"
    )


class BookIn(Schema):
    patient_id: int
    provider_id: int
    location_id: int
    appointment_type_id: int
    start_at: datetime
    acknowledged_price: int | None = Field(
        None, description=MINOR_UNITS + "; the most the caller agreed the patient pays"
    )
    care_task_id: int | None = Field(
        None,
        description="The care-plan task this visit carries out; by default the patient's "
        "matching open visit task, if any",
    )


def _get_care_task(task_id: int | None) -> CareTask | None:
    if task_id is None:
        return None
    found = CareTask.objects.filter(id=task_id).first()
    if found is None:
        raise ValidationFailed.single("care_task_id", "No such care task.", "not_found")
    return found


@scheduling_router.post(
    "/appointments",
    response={201: AppointmentOut},
    summary="Book a visit (refused, naming the field, when it cannot be booked)",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def appointment_create(request: HttpRequest, payload: BookIn) -> Status[AppointmentOut]:
    user = staff_user(request, Capability.APPOINTMENT_BOOK)
    patient = access_patient(
        user, payload.patient_id, capability=Capability.APPOINTMENT_BOOK, action="patient.view"
    )
    try:
        appointment = appointment_book(
            actor=user,
            patient=patient,
            provider=_get_provider(payload.provider_id),
            location=_get_location(payload.location_id),
            appointment_type=_get_type(payload.appointment_type_id),
            start_at=payload.start_at,
            acknowledged_price=payload.acknowledged_price,
            care_task=_get_care_task(payload.care_task_id),
        )
    except ValidationFailed as error:
        # The service names its argument; the API's field is care_task_id.
        raise ValidationFailed(
            [
                replace(problem, field="care_task_id") if problem.field == "care_task" else problem
                for problem in error.errors
            ]
        ) from error
    return Status(201, AppointmentOut.model_validate(appointment))


@scheduling_router.get(
    "/appointments",
    response=list[AppointmentOut],
    summary="Appointments by provider, patient and time range",
    openapi_extra=needs(Capability.SCHEDULE_VIEW),
)
def appointment_list(
    request: HttpRequest,
    start: datetime,
    end: datetime,
    provider_id: int | None = None,
    patient_id: int | None = None,
) -> list[Appointment]:
    user = staff_user(request, Capability.SCHEDULE_VIEW)
    if end <= start:
        raise ValidationFailed.single("end", "The end must be after the start.", "before_start")
    rows = Appointment.objects.filter(start_at__lt=end, end_at__gt=start).order_by("start_at")
    if patient_id is not None:
        access_patient(user, patient_id, capability=Capability.SCHEDULE_VIEW)
        rows = rows.filter(patient_id=patient_id)
    if provider_id is not None:
        rows = rows.filter(provider_id=provider_id)
    return list(rows[:500])


@scheduling_router.get(
    "/appointments/{appointment_id}",
    response=AppointmentOut,
    summary="One appointment",
    openapi_extra=needs(Capability.SCHEDULE_VIEW),
)
def appointment_get(request: HttpRequest, appointment_id: int) -> Appointment:
    user = staff_user(request, Capability.SCHEDULE_VIEW)
    return _appointment(user, appointment_id, "appointment.view")


class ReasonIn(Schema):
    reason: str = ""


def _act(
    request: HttpRequest, appointment_id: int, action: Action, reason: str = ""
) -> Appointment:
    user = staff_user(request, Capability.APPOINTMENT_BOOK)
    appointment = _appointment(user, appointment_id, f"appointment.{action.value}")
    appointment_transition(actor=user, appointment=appointment, action=action, reason=reason)
    return appointment


@scheduling_router.post(
    "/appointments/{appointment_id}/confirm",
    response=AppointmentOut,
    summary="Confirm a visit",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def appointment_confirm(request: HttpRequest, appointment_id: int) -> Appointment:
    return _act(request, appointment_id, Action.CONFIRM)


@scheduling_router.post(
    "/appointments/{appointment_id}/check-in",
    response=AppointmentOut,
    summary="Check the patient in",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def appointment_check_in(request: HttpRequest, appointment_id: int) -> Appointment:
    return _act(request, appointment_id, Action.CHECK_IN)


@scheduling_router.post(
    "/appointments/{appointment_id}/complete",
    response=AppointmentOut,
    summary="Complete a visit (uses the held allowance)",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def appointment_complete(request: HttpRequest, appointment_id: int) -> Appointment:
    return _act(request, appointment_id, Action.COMPLETE)


@scheduling_router.post(
    "/appointments/{appointment_id}/cancel",
    response=AppointmentOut,
    summary="Cancel a visit (a late cancel follows the type's policy and fee)",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def appointment_cancel(
    request: HttpRequest, appointment_id: int, payload: ReasonIn | None = None
) -> Appointment:
    return _act(request, appointment_id, Action.CANCEL, payload.reason if payload else "")


@scheduling_router.post(
    "/appointments/{appointment_id}/no-show",
    response=AppointmentOut,
    summary="Mark a started visit a no-show (the type's policy and fee apply)",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def appointment_no_show(request: HttpRequest, appointment_id: int) -> Appointment:
    return _act(request, appointment_id, Action.NO_SHOW)


# --- series ---------------------------------------------------------------------------------


class SeriesIn(Schema):
    patient_id: int
    provider_id: int
    location_id: int
    appointment_type_id: int
    frequency: SeriesFrequency
    interval: int = 1
    start_date: date
    local_start_time: time
    count: int | None = None
    until: date | None = None
    ordinal: int | None = Field(None, description="Monthly on a weekday: 1-4, or -1 for the last")
    weekday: int | None = Field(None, description="Monday is 0")
    moved: dict[int, datetime] = Field(
        default_factory=dict, description="Occurrence index to a new start"
    )
    acknowledged_price: int | None = Field(None, description=MINOR_UNITS + " per visit")


class OccurrenceOut(Schema):
    index: int
    start: datetime
    free: bool
    problem: str
    message: str
    alternatives: list[datetime]


class SeriesOut(Schema):
    series_id: int | None
    occurrences: list[OccurrenceOut]
    appointment_ids: list[int]


def _series(request: HttpRequest, payload: SeriesIn, *, check_only: bool) -> SeriesOut:
    user = staff_user(request, Capability.APPOINTMENT_BOOK)
    patient = access_patient(user, payload.patient_id, capability=Capability.APPOINTMENT_BOOK)
    outcome: SeriesOutcome = series_book(
        actor=user,
        patient=patient,
        provider=_get_provider(payload.provider_id),
        location=_get_location(payload.location_id),
        appointment_type=_get_type(payload.appointment_type_id),
        rule=SeriesRule(
            frequency=payload.frequency,
            start_date=payload.start_date,
            local_start_time=payload.local_start_time,
            interval=payload.interval,
            count=payload.count,
            until=payload.until,
            ordinal=payload.ordinal,
            weekday=payload.weekday,
        ),
        moved=payload.moved,
        check_only=check_only,
        acknowledged_price=payload.acknowledged_price,
    )
    return SeriesOut(
        series_id=outcome.series.pk if outcome.series is not None else None,
        occurrences=[
            OccurrenceOut(
                index=check.index,
                start=check.start,
                free=check.free,
                problem=check.problem,
                message=check.message,
                alternatives=list(check.alternatives),
            )
            for check in outcome.occurrences
        ],
        appointment_ids=[appointment.pk for appointment in outcome.appointments],
    )


@scheduling_router.post(
    "/series/check",
    response=SeriesOut,
    summary="Check every occurrence of a series; books nothing",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def series_check(request: HttpRequest, payload: SeriesIn) -> SeriesOut:
    return _series(request, payload, check_only=True)


@scheduling_router.post(
    "/series",
    response={201: SeriesOut},
    summary="Book a series: every occurrence or none (409 lists the conflicts)",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def series_create(request: HttpRequest, payload: SeriesIn) -> Status[SeriesOut]:
    return Status(201, _series(request, payload, check_only=False))


class SeriesMoveIn(Schema):
    scope: Scope = Field(description="one, following (this and later) or all")
    occurrence_index: int | None = Field(None, description="Required unless the scope is all")
    local_start_time: time | None = Field(None, description="Each occurrence keeps its date")
    start_at: datetime | None = Field(None, description="Only for one occurrence")


class SeriesCancelIn(Schema):
    scope: Scope
    occurrence_index: int | None = None
    reason: str = ""


def _get_series(user: User, series_id: int) -> AppointmentSeries:
    found = AppointmentSeries.objects.filter(id=series_id).select_related("location").first()
    if found is None:
        raise NotFound("No such series.")
    access_patient(user, found.patient_id, capability=Capability.APPOINTMENT_BOOK)
    return found


@scheduling_router.post(
    "/series/{series_id}/move",
    response=list[AppointmentOut],
    summary="Move one occurrence, this and the following, or all; all or nothing",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def series_move_endpoint(
    request: HttpRequest, series_id: int, payload: SeriesMoveIn
) -> list[Appointment]:
    user = staff_user(request, Capability.APPOINTMENT_BOOK)
    return series_move(actor=user, series=_get_series(user, series_id), **payload.model_dump())


@scheduling_router.post(
    "/series/{series_id}/cancel",
    response=list[AppointmentOut],
    summary="Cancel one occurrence, this and the following, or all",
    openapi_extra=needs(Capability.APPOINTMENT_BOOK),
)
def series_cancel_endpoint(
    request: HttpRequest, series_id: int, payload: SeriesCancelIn
) -> list[Appointment]:
    user = staff_user(request, Capability.APPOINTMENT_BOOK)
    return series_cancel(actor=user, series=_get_series(user, series_id), **payload.model_dump())


# --- booking policy and calendar feeds -------------------------------------------------------


class SchedulingSettingsOut(Schema):
    reminder_hours: list[int] = Field(description="Hours before a visit the patient is reminded")
    lapsed_membership_booking: str = Field(description="warn or block")


class SchedulingSettingsIn(Schema):
    reminder_hours: list[int] | None = None
    lapsed_membership_booking: str | None = None


def _settings_out() -> SchedulingSettingsOut:
    return SchedulingSettingsOut(
        reminder_hours=sorted(reminder_hours(), reverse=True),
        lapsed_membership_booking=lapsed_membership_booking().value,
    )


@scheduling_router.get(
    "/settings",
    response=SchedulingSettingsOut,
    summary="The clinic's booking policy",
    openapi_extra=needs(Capability.SCHEDULE_VIEW),
)
def scheduling_settings_read(request: HttpRequest) -> SchedulingSettingsOut:
    staff_user(request, Capability.SCHEDULE_VIEW)
    return _settings_out()


@scheduling_router.patch(
    "/settings",
    response=SchedulingSettingsOut,
    summary="Change the reminder hours or the lapsed-membership policy",
    openapi_extra=needs(Capability.CLINIC_CONFIGURE),
)
def scheduling_settings_change(
    request: HttpRequest, payload: SchedulingSettingsIn
) -> SchedulingSettingsOut:
    user = staff_user(request, Capability.CLINIC_CONFIGURE)
    calendar.scheduling_settings_update(actor=user, **payload.model_dump(exclude_unset=True))
    return _settings_out()


class CalendarFeedOut(Schema):
    url: str = Field(description="The private iCalendar address; shown only now")


@scheduling_router.post(
    "/calendar-feed",
    response={201: CalendarFeedOut},
    summary="Make or renew my private calendar feed (ends the old address)",
    openapi_extra=needs(Capability.CALENDAR_FEED),
)
def calendar_feed_create(request: HttpRequest) -> Status[CalendarFeedOut]:
    user = staff_user(request, Capability.CALENDAR_FEED)
    return Status(201, CalendarFeedOut(url=calendar_feed_renew(actor=user)))


@scheduling_router.delete(
    "/calendar-feed",
    response={204: None},
    summary="Turn my calendar feed off (its address stops working)",
    openapi_extra=needs(Capability.CALENDAR_FEED),
)
def calendar_feed_delete(request: HttpRequest) -> Status[None]:
    user = staff_user(request, Capability.CALENDAR_FEED)
    calendar_feed_stop(actor=user)
    return Status(204, None)


# --- who may book what: a type's plans, priority capacity -----------------------------------


class TypePlansIn(Schema):
    plan_ids: list[int] = Field(description="Empty: every patient may book the type")


class TypePlansOut(Schema):
    appointment_type_id: int
    plan_ids: list[int]


@scheduling_router.put(
    "/appointment-types/{type_id}/plans",
    response=TypePlansOut,
    summary="Limit a type to members of these plans (empty: open to all)",
    openapi_extra=needs(Capability.CLINIC_CONFIGURE),
)
def appointment_type_plans(
    request: HttpRequest, type_id: int, payload: TypePlansIn
) -> TypePlansOut:
    user = staff_user(request, Capability.CLINIC_CONFIGURE)
    kind = AppointmentType.objects.filter(id=type_id).first()
    if kind is None:
        raise NotFound("No such appointment type.")
    calendar.appointment_type_plans_set(
        actor=user, appointment_type=kind, plan_ids=payload.plan_ids
    )
    return TypePlansOut(
        appointment_type_id=kind.pk,
        plan_ids=sorted(kind.plans_allowed.values_list("id", flat=True)),
    )


class PriorityCapacityIn(Schema):
    name: str
    plan_ids: list[int]
    start_time: time = Field(description="Slots starting from this wall-clock time…")
    end_time: time = Field(description="…to before this one are held")
    release_time: time = Field(description="Released to everyone at this time…")
    release_days_before: int = Field(0, description="…on the slot's day, or this many before")
    provider_id: int | None = Field(None, description="Empty: every provider")
    appointment_type_id: int | None = Field(None, description="Empty: every type")


class PriorityCapacityOut(Schema):
    id: int
    name: str
    plan_ids: list[int]
    start_time: time
    end_time: time
    release_time: time
    release_days_before: int
    provider_id: int | None
    appointment_type_id: int | None
    active: bool


def _capacity_out(rule: PriorityCapacity) -> PriorityCapacityOut:
    return PriorityCapacityOut(
        id=rule.pk,
        name=rule.name,
        plan_ids=sorted(plan.pk for plan in rule.plans.all()),
        start_time=rule.start_time,
        end_time=rule.end_time,
        release_time=rule.release_time,
        release_days_before=rule.release_days_before,
        provider_id=rule.provider_id,
        appointment_type_id=rule.appointment_type_id,
        active=rule.active,
    )


@scheduling_router.get(
    "/priority-capacity",
    response=list[PriorityCapacityOut],
    summary="Rules holding slots for chosen plans",
    openapi_extra=needs(Capability.SCHEDULE_VIEW),
)
def priority_capacity_list(request: HttpRequest) -> list[PriorityCapacityOut]:
    staff_user(request, Capability.SCHEDULE_VIEW)
    return [_capacity_out(rule) for rule in PriorityCapacity.objects.prefetch_related("plans")]


@scheduling_router.post(
    "/priority-capacity",
    response={201: PriorityCapacityOut},
    summary="Hold slots for members of chosen plans until a release time",
    openapi_extra=needs(Capability.CLINIC_CONFIGURE),
)
def priority_capacity_create(
    request: HttpRequest, payload: PriorityCapacityIn
) -> Status[PriorityCapacityOut]:
    user = staff_user(request, Capability.CLINIC_CONFIGURE)
    rule = calendar.priority_capacity_add(
        actor=user,
        name=payload.name,
        plan_ids=payload.plan_ids,
        start_time=payload.start_time,
        end_time=payload.end_time,
        release_time=payload.release_time,
        release_days_before=payload.release_days_before,
        provider=_get_provider(payload.provider_id) if payload.provider_id else None,
        appointment_type=(
            _get_type(payload.appointment_type_id) if payload.appointment_type_id else None
        ),
    )
    return Status(201, _capacity_out(rule))


@scheduling_router.post(
    "/priority-capacity/{rule_id}/stop",
    response=PriorityCapacityOut,
    summary="Stop holding slots under a rule (they open to everyone)",
    openapi_extra=needs(Capability.CLINIC_CONFIGURE),
)
def priority_capacity_stop(request: HttpRequest, rule_id: int) -> PriorityCapacityOut:
    user = staff_user(request, Capability.CLINIC_CONFIGURE)
    rule = PriorityCapacity.objects.filter(id=rule_id).first()
    if rule is None:
        raise NotFound("No such priority rule.")
    return _capacity_out(calendar.priority_capacity_stop(actor=user, rule=rule))
