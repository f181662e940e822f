"""Who may do what: one table of role x capability, deny by default.

Every staff view and API operation names the capability it needs; the authorization matrix
test walks every URL and checks it against this table. Patients hold no staff capability:
they reach their own record only, through the portal and `access_*` helpers.
"""

from enum import StrEnum

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.core.errors import PermissionDenied


class Capability(StrEnum):
    PATIENT_VIEW = "patient.view"
    PATIENT_CREATE = "patient.create"
    PATIENT_EDIT = "patient.edit"
    HOUSEHOLD_MANAGE = "household.manage"
    CARE_TEAM_MANAGE = "care_team.manage"
    AUDIT_VIEW = "audit.view"
    PORTAL_USE = "portal.use"
    API_TOKEN_MANAGE = "api_token.manage"  # noqa: S105 (a capability name, not a secret)
    CLINIC_CONFIGURE = "clinic.configure"
    STAFF_MANAGE = "staff.manage"
    MEMBERSHIP_VIEW = "membership.view"
    MEMBERSHIP_ENROLL = "membership.enroll"
    MEMBERSHIP_CHANGE = "membership.change"
    MEMBERSHIP_BACKDATE = "membership.backdate"
    MEMBERSHIP_PRICE_CHANGE = "membership.price_change"
    MEMBERSHIP_REDUCE_MID_PERIOD = "membership.reduce_mid_period"
    CATALOG_VIEW = "catalog.view"
    CATALOG_MANAGE = "catalog.manage"
    SPONSOR_MANAGE = "sponsor.manage"
    BILLING_VIEW = "billing.view"
    BILLING_COLLECT = "billing.collect"
    BILLING_MANAGE = "billing.manage"
    BILLING_REFUND = "billing.refund"
    SCHEDULE_VIEW = "schedule.view"
    APPOINTMENT_BOOK = "appointment.book"
    CALENDAR_FEED = "calendar_feed.manage"
    CARE_VIEW = "care.view"
    CARE_MANAGE = "care.manage"
    PROTOCOL_MANAGE = "protocol.manage"
    NOTE_READ = "note.read"
    NOTE_WRITE = "note.write"
    LAB_VIEW = "lab.view"
    LAB_RESULT_VIEW = "lab_result.view"
    LAB_MANAGE = "lab.manage"
    LAB_REVIEW = "lab.review"
    MESSAGE_VIEW = "message.view"
    MESSAGE_VIEW_ALL = "message.view_all"
    MESSAGE_REPLY = "message.reply"
    MESSAGE_ASSIGN = "message.assign"
    MESSAGING_CONFIGURE = "messaging.configure"


_ALL_STAFF = frozenset({Role.ADMIN, Role.PROVIDER, Role.COORDINATOR, Role.FRONT_DESK, Role.BILLING})
_CLINICAL_AND_DESK = frozenset({Role.ADMIN, Role.PROVIDER, Role.COORDINATOR, Role.FRONT_DESK})

POLICY: dict[Capability, frozenset[Role]] = {
    Capability.PATIENT_VIEW: _ALL_STAFF,
    Capability.PATIENT_CREATE: frozenset({Role.ADMIN, Role.FRONT_DESK}),
    Capability.PATIENT_EDIT: _CLINICAL_AND_DESK,
    Capability.HOUSEHOLD_MANAGE: frozenset({Role.ADMIN, Role.FRONT_DESK}),
    Capability.CARE_TEAM_MANAGE: frozenset({Role.ADMIN, Role.FRONT_DESK, Role.COORDINATOR}),
    Capability.AUDIT_VIEW: frozenset({Role.ADMIN}),
    Capability.PORTAL_USE: frozenset({Role.PATIENT}),
    Capability.API_TOKEN_MANAGE: _ALL_STAFF,
    Capability.CLINIC_CONFIGURE: frozenset({Role.ADMIN}),
    Capability.STAFF_MANAGE: frozenset({Role.ADMIN}),
    Capability.MEMBERSHIP_VIEW: _ALL_STAFF,
    # Care coordinators enroll patients into programs as well as the front desk (care issue).
    Capability.MEMBERSHIP_ENROLL: frozenset({Role.ADMIN, Role.FRONT_DESK, Role.COORDINATOR}),
    Capability.MEMBERSHIP_CHANGE: frozenset({Role.ADMIN, Role.FRONT_DESK, Role.BILLING}),
    Capability.MEMBERSHIP_BACKDATE: frozenset({Role.ADMIN}),
    Capability.MEMBERSHIP_PRICE_CHANGE: frozenset({Role.ADMIN}),
    # A downgrade or a member's removal takes effect at the start of the next period; only an
    # admin applies one earlier (the unused days are credited).
    Capability.MEMBERSHIP_REDUCE_MID_PERIOD: frozenset({Role.ADMIN}),
    Capability.CATALOG_VIEW: _ALL_STAFF,
    Capability.CATALOG_MANAGE: frozenset({Role.ADMIN}),
    Capability.SPONSOR_MANAGE: frozenset({Role.ADMIN, Role.BILLING}),
    # Billing is not clinical: providers and coordinators do not need it (minimum necessary).
    Capability.BILLING_VIEW: frozenset({Role.ADMIN, Role.FRONT_DESK, Role.BILLING}),
    # Take a card, retry a failed charge, send a payment reminder, apply a discount code.
    Capability.BILLING_COLLECT: frozenset({Role.ADMIN, Role.FRONT_DESK, Role.BILLING}),
    # Void, waive, write off, create discount codes, billing runs and billing settings.
    Capability.BILLING_MANAGE: frozenset({Role.ADMIN, Role.BILLING}),
    Capability.BILLING_REFUND: frozenset({Role.ADMIN, Role.BILLING}),
    # Calendars show who sees whom: clinical staff and the desk, not billing. Changing the
    # calendar itself (locations, hours, types) is clinic configuration.
    Capability.SCHEDULE_VIEW: _CLINICAL_AND_DESK,
    # Book, confirm, check in, complete, cancel, mark a no-show.
    Capability.APPOINTMENT_BOOK: _CLINICAL_AND_DESK,
    # A private iCalendar address of one's own visits: the people who have a calendar.
    Capability.CALENDAR_FEED: frozenset({Role.PROVIDER, Role.COORDINATOR}),
    # Care work: the desk sees tasks and their status (to book and answer the phone), not
    # instructions or reasons; clinical staff act on tasks and care plans; billing sees none.
    Capability.CARE_VIEW: _CLINICAL_AND_DESK,
    Capability.CARE_MANAGE: frozenset({Role.ADMIN, Role.PROVIDER, Role.COORDINATOR}),
    Capability.PROTOCOL_MANAGE: frozenset({Role.ADMIN}),
    # Lab orders: the desk sees an order's panels and status (to answer "are my results in?"),
    # never result values (minimum necessary); clinical staff order, record collection and
    # enter results; only providers review and sign off.
    Capability.LAB_VIEW: _CLINICAL_AND_DESK,
    Capability.LAB_RESULT_VIEW: frozenset({Role.ADMIN, Role.PROVIDER, Role.COORDINATOR}),
    Capability.LAB_MANAGE: frozenset({Role.ADMIN, Role.PROVIDER, Role.COORDINATOR}),
    Capability.LAB_REVIEW: frozenset({Role.PROVIDER}),
    # Note contents are for the clinicians: the front desk and billing see that a task is
    # done, never what a note says (minimum necessary).
    Capability.NOTE_READ: frozenset({Role.PROVIDER, Role.COORDINATOR}),
    Capability.NOTE_WRITE: frozenset({Role.PROVIDER, Role.COORDINATOR}),
    # Secure messages: every staff role answers the threads routed to its team or assigned
    # to it (the desk answers scheduling, billing answers billing); only clinical staff and
    # admins read every thread (minimum necessary). Assigning others is for the people who
    # run the inboxes; anyone who can reply may claim an unassigned thread.
    Capability.MESSAGE_VIEW: _ALL_STAFF,
    Capability.MESSAGE_VIEW_ALL: frozenset({Role.ADMIN, Role.PROVIDER, Role.COORDINATOR}),
    Capability.MESSAGE_REPLY: _ALL_STAFF,
    Capability.MESSAGE_ASSIGN: frozenset({Role.ADMIN, Role.PROVIDER, Role.COORDINATOR}),
    # Teams, routing rules, reply templates and the past-due policy.
    Capability.MESSAGING_CONFIGURE: frozenset({Role.ADMIN}),
}


def has_capability(user: User, capability: Capability) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.role in POLICY.get(capability, frozenset())


def require_capability(user: User, capability: Capability) -> None:
    if not has_capability(user, capability):
        raise PermissionDenied(f"Your role does not allow {capability.value}.", code="forbidden")
