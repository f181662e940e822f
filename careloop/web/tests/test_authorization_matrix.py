"""Every URL and API operation x every role x own or another patient's record.

The tables below name the rule each URL follows. A URL or operation that is added without an
entry here fails `test_every_url_is_in_the_matrix`, so authorization cannot be forgotten. For
each case the test predicts the answer from the policy table (careloop.accounts.policy):
allowed requests are not refused; staff without the capability get 403; patients get 404 for
anything that is not their own; anonymous visitors are sent to sign in (401 on the API). A
refused request must leave every table of patient and account data exactly as it was.

An API operation that authenticates its caller by other means than a session or a token (the
Stripe webhook, signed with the endpoint's secret) is listed in PUBLIC_API_OPERATIONS: it
names no capability, is the only kind of operation without `security` in the OpenAPI
document, and every role, anonymous included, is let through when it sends what the
operation authenticates (here a correctly signed event).

Each test is one URL or operation on one target; the seven roles are its subtests. The rows a
request needs are built once, and each role's request is made inside a savepoint that is
rolled back, so every role starts from the same rows, as if it were alone. Rows that depend on
who is asking (their note, their token, a thread in their team) are built again inside each
role's savepoint (WEB_BUILT_PER_ACTOR, _api_built_per_actor).
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from careloop.accounts.models import ApiToken, RecoveryCode, TotpDevice, User
from careloop.accounts.policy import POLICY, Capability
from careloop.accounts.roles import Role
from careloop.accounts.services import api_token_create
from careloop.api.api import api
from careloop.audit.models import AuditEvent
from careloop.billing.compose import DraftLine
from careloop.billing.links import card_update_token
from careloop.billing.models import (
    AttemptStatus,
    AttemptTrigger,
    BillingAccount,
    BillingRun,
    BillingSettings,
    Discount,
    DiscountRedemption,
    GatewayEvent,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    JournalEntry,
    LineKind,
    Notice,
    PaymentAttempt,
    PaymentMethod,
    Refund,
)
from careloop.billing.services.accounts import billing_account_for, payment_method_add
from careloop.billing.services.collection import invoice_collect
from careloop.billing.services.invoices import invoice_issue
from careloop.billing.services.runs import billing_run_prepare
from careloop.care.lifecycle import LabAction, PlanAction
from careloop.care.models import (
    Activity,
    CareActivity,
    CareGapStep,
    CarePlan,
    CarePlanChange,
    CareTask,
    CareTaskChange,
    ClinicalNote,
    LabFollowUp,
    LabOrder,
    LabOrderChange,
    LabOrderLine,
    LabOrderStatus,
    LabPanel,
    LabResult,
    NoteAddendum,
    NoteTemplate,
    Protocol,
    ResultSource,
)
from careloop.care.services.activities import ActivitySpec
from careloop.care.services.care_plans import care_plan_apply, care_plan_transition
from careloop.care.services.labs import (
    ResultInput,
    lab_order_change,
    lab_order_create,
    lab_results_record,
)
from careloop.care.services.notes import (
    note_save,
    note_sign,
    note_start,
    note_template_create,
)
from careloop.care.services.protocols import protocol_create
from careloop.core import clock
from careloop.core.models import ClinicSettings, Holiday
from careloop.memberships.models import (
    Benefit,
    CancellationReason,
    ChangeKind,
    EntitlementEntry,
    MemberRole,
    Membership,
    MembershipMember,
    MembershipSettings,
    Plan,
    PlanPrice,
    RosterEntry,
    ScheduledChange,
    Service,
    Sponsor,
    StatusChange,
)
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.lifecycle import (
    membership_cancel,
    membership_pause,
)
from careloop.messaging.attachments import AttachmentUpload
from careloop.messaging.models import (
    Attachment,
    Message,
    MessagingTeam,
    OutOfOffice,
    ReadState,
    ReplyTemplate,
    ResponseClock,
    RoutingRule,
    RoutingTarget,
    Thread,
    ThreadChange,
    ThreadNotice,
    Topic,
)
from careloop.messaging.services.assignment import thread_assign, thread_close
from careloop.messaging.services.attachments import attachments_store
from careloop.messaging.services.routing import (
    messaging_team_save,
    reply_template_save,
    routing_rule_save,
)
from careloop.messaging.services.threads import thread_start
from careloop.notifications.models import OutboxMessage
from careloop.patients.models import CareTeamMember, CareTeamRole, Household, Patient
from careloop.scheduling.links import visit_token
from careloop.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatusChange,
    AppointmentType,
    Location,
    PriorityCapacity,
    SeriesFrequency,
    WorkingHours,
)
from careloop.scheduling.series import SeriesRule
from careloop.scheduling.services.feeds import calendar_feed_renew
from careloop.scheduling.services.series import series_book
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient, make_user
from careloop.testing.stripe_webhooks import TEST_WEBHOOK_SECRET, signed_webhook, stripe_event
from careloop.testing.transactions import rolled_back

pytestmark = pytest.mark.django_db

PUBLIC = "public"  # anyone, signed in or not (sign-in and password reset pages)
SIGNED_IN = "signed_in"  # any signed-in person (their own security page, sign-out)
STAFF = "staff"  # any signed-in staff member (their own authenticator app)


@dataclass(frozen=True)
class WebCase:
    rule: str | Capability
    methods: tuple[str, ...] = ("GET",)
    patient_scoped: bool = False
    # A GET that shows the target patient's record must leave a "read" audit event.
    shows_target: bool = True


WEB_CASES: dict[str, WebCase] = {
    "web:home": WebCase(SIGNED_IN),
    "accounts:login": WebCase(PUBLIC, ("GET", "POST")),
    "accounts:logout": WebCase(SIGNED_IN, ("POST",)),
    "accounts:mfa_verify": WebCase(STAFF, ("GET", "POST")),
    "accounts:mfa_enroll": WebCase(STAFF, ("GET", "POST")),
    "accounts:security": WebCase(SIGNED_IN),
    "accounts:password_change": WebCase(SIGNED_IN, ("POST",)),
    "accounts:recovery_codes": WebCase(STAFF, ("GET", "POST")),
    "accounts:token_create": WebCase(Capability.API_TOKEN_MANAGE, ("POST",)),
    "accounts:token_revoke": WebCase(Capability.API_TOKEN_MANAGE, ("POST",)),
    "accounts:password_reset": WebCase(PUBLIC, ("GET", "POST")),
    "accounts:password_reset_done": WebCase(PUBLIC),
    "accounts:password_reset_confirm": WebCase(PUBLIC),
    "accounts:password_reset_complete": WebCase(PUBLIC),
    "pay:card_update": WebCase(PUBLIC, ("GET", "POST")),
    # The link in a visit reminder and a provider's iCalendar feed: the signed or random token
    # in the address is the key.
    "visit:respond": WebCase(PUBLIC, ("GET", "POST")),
    "feeds:provider_calendar": WebCase(PUBLIC),
    "staff:patient_search": WebCase(Capability.PATIENT_VIEW),
    "staff:patient_create": WebCase(Capability.PATIENT_CREATE, ("GET", "POST")),
    "staff:patient_chart": WebCase(Capability.PATIENT_VIEW, patient_scoped=True),
    "staff:patient_edit": WebCase(Capability.PATIENT_EDIT, ("GET", "POST"), patient_scoped=True),
    "staff:care_team_assign": WebCase(Capability.CARE_TEAM_MANAGE, ("POST",), patient_scoped=True),
    "staff:care_team_remove": WebCase(Capability.CARE_TEAM_MANAGE, ("POST",), patient_scoped=True),
    "staff:household_list": WebCase(Capability.PATIENT_VIEW),
    "staff:household_create": WebCase(Capability.HOUSEHOLD_MANAGE, ("GET", "POST")),
    "staff:household_detail": WebCase(Capability.PATIENT_VIEW, patient_scoped=True),
    "staff:household_member_candidates": WebCase(
        Capability.HOUSEHOLD_MANAGE, patient_scoped=True, shows_target=False
    ),
    "staff:household_add_member": WebCase(
        Capability.HOUSEHOLD_MANAGE, ("POST",), patient_scoped=True
    ),
    "staff:household_remove_member": WebCase(
        Capability.HOUSEHOLD_MANAGE, ("POST",), patient_scoped=True
    ),
    "staff:household_set_head": WebCase(
        Capability.HOUSEHOLD_MANAGE, ("POST",), patient_scoped=True
    ),
    "staff:audit_log": WebCase(Capability.AUDIT_VIEW),
    "staff:clinic_settings": WebCase(Capability.CLINIC_CONFIGURE, ("GET", "POST")),
    "staff:clinic_holiday_add": WebCase(Capability.CLINIC_CONFIGURE, ("POST",)),
    "staff:clinic_holiday_remove": WebCase(Capability.CLINIC_CONFIGURE, ("POST",)),
    "staff:staff_list": WebCase(Capability.STAFF_MANAGE),
    "staff:staff_create": WebCase(Capability.STAFF_MANAGE, ("GET", "POST")),
    "staff:staff_detail": WebCase(Capability.STAFF_MANAGE, ("GET", "POST")),
    "staff:staff_role": WebCase(Capability.STAFF_MANAGE, ("POST",)),
    "staff:staff_deactivate": WebCase(Capability.STAFF_MANAGE, ("GET", "POST")),
    "staff:staff_reactivate": WebCase(Capability.STAFF_MANAGE, ("POST",)),
    "staff:staff_mfa_reset": WebCase(Capability.STAFF_MANAGE, ("GET", "POST")),
    "staff:staff_invitation_send": WebCase(Capability.STAFF_MANAGE, ("POST",)),
    "staff:catalog_plan_list": WebCase(Capability.CATALOG_VIEW),
    "staff:catalog_plan_create": WebCase(Capability.CATALOG_MANAGE, ("GET", "POST")),
    "staff:catalog_plan_detail": WebCase(Capability.CATALOG_VIEW),
    "staff:catalog_plan_edit": WebCase(Capability.CATALOG_MANAGE, ("GET", "POST")),
    "staff:catalog_plan_status": WebCase(Capability.CATALOG_MANAGE, ("POST",)),
    "staff:catalog_plan_delete": WebCase(Capability.CATALOG_MANAGE, ("POST",)),
    "staff:catalog_price_set": WebCase(Capability.CATALOG_MANAGE, ("GET", "POST")),
    "staff:catalog_benefit_add": WebCase(Capability.CATALOG_MANAGE, ("GET", "POST")),
    "staff:catalog_benefit_edit": WebCase(Capability.CATALOG_MANAGE, ("GET", "POST")),
    "staff:catalog_benefit_remove": WebCase(Capability.CATALOG_MANAGE, ("POST",)),
    "staff:catalog_service_list": WebCase(Capability.CATALOG_VIEW),
    "staff:catalog_service_create": WebCase(Capability.CATALOG_MANAGE, ("GET", "POST")),
    "staff:catalog_service_edit": WebCase(Capability.CATALOG_MANAGE, ("GET", "POST")),
    "staff:catalog_sponsor_list": WebCase(Capability.CATALOG_VIEW),
    "staff:catalog_sponsor_create": WebCase(Capability.SPONSOR_MANAGE, ("GET", "POST")),
    "staff:catalog_sponsor_detail": WebCase(Capability.CATALOG_VIEW),
    "staff:catalog_sponsor_edit": WebCase(Capability.SPONSOR_MANAGE, ("GET", "POST")),
    "staff:catalog_roster_add": WebCase(Capability.SPONSOR_MANAGE, ("POST",)),
    "staff:catalog_roster_terminate": WebCase(Capability.SPONSOR_MANAGE, ("POST",)),
    "staff:catalog_roster_upload": WebCase(Capability.SPONSOR_MANAGE, ("GET", "POST")),
    "staff:catalog_settings": WebCase(Capability.CATALOG_MANAGE, ("GET", "POST")),
    "staff:catalog_reason_create": WebCase(Capability.CATALOG_MANAGE, ("POST",)),
    "staff:catalog_reason_update": WebCase(Capability.CATALOG_MANAGE, ("POST",)),
    "staff:membership_list": WebCase(Capability.MEMBERSHIP_VIEW),
    "staff:membership_enroll_find": WebCase(Capability.MEMBERSHIP_ENROLL),
    "staff:membership_enroll": WebCase(
        Capability.MEMBERSHIP_ENROLL, ("GET", "POST"), patient_scoped=True
    ),
    "staff:membership_coverage": WebCase(Capability.MEMBERSHIP_VIEW, patient_scoped=True),
    "staff:membership_detail": WebCase(Capability.MEMBERSHIP_VIEW, patient_scoped=True),
    **{
        f"staff:{name}": WebCase(capability, ("GET", "POST"), patient_scoped=True)
        for name, capability in (
            ("membership_change_plan", Capability.MEMBERSHIP_CHANGE),
            ("membership_change_interval", Capability.MEMBERSHIP_CHANGE),
            ("membership_add_member", Capability.MEMBERSHIP_ENROLL),
            ("membership_remove_member", Capability.MEMBERSHIP_CHANGE),
            ("membership_pause", Capability.MEMBERSHIP_CHANGE),
            ("membership_resume", Capability.MEMBERSHIP_CHANGE),
            ("membership_cancel", Capability.MEMBERSHIP_CHANGE),
            ("membership_reactivate", Capability.MEMBERSHIP_ENROLL),
            ("membership_change_price", Capability.MEMBERSHIP_PRICE_CHANGE),
        )
    },
    "staff:membership_change_revoke": WebCase(
        Capability.MEMBERSHIP_CHANGE, ("POST",), patient_scoped=True
    ),
    "staff:billing_overview": WebCase(Capability.BILLING_VIEW),
    "staff:schedule_day": WebCase(Capability.SCHEDULE_VIEW),
    "staff:schedule_week": WebCase(Capability.SCHEDULE_VIEW),
    "staff:scheduling_settings": WebCase(Capability.CLINIC_CONFIGURE, ("GET", "POST")),
    "staff:priority_rule_stop": WebCase(Capability.CLINIC_CONFIGURE, ("POST",)),
    "staff:visit_detail": WebCase(Capability.SCHEDULE_VIEW, patient_scoped=True),
    "staff:visit_act": WebCase(Capability.APPOINTMENT_BOOK, ("POST",), patient_scoped=True),
    "staff:book_visit": WebCase(Capability.APPOINTMENT_BOOK, ("GET", "POST"), patient_scoped=True),
    "staff:book_series": WebCase(Capability.APPOINTMENT_BOOK, ("GET", "POST"), patient_scoped=True),
    "staff:billing_run_now": WebCase(Capability.BILLING_MANAGE, ("POST",)),
    "staff:billing_invoice_list": WebCase(Capability.BILLING_VIEW),
    "staff:billing_invoice_detail": WebCase(Capability.BILLING_VIEW, patient_scoped=True),
    "staff:billing_receipt": WebCase(Capability.BILLING_VIEW, patient_scoped=True),
    "staff:lab_requisition": WebCase(Capability.LAB_VIEW, patient_scoped=True),
    "staff:lab_order_new": WebCase(Capability.LAB_MANAGE, ("GET", "POST"), patient_scoped=True),
    "staff:lab_order_detail": WebCase(Capability.LAB_VIEW, patient_scoped=True),
    "staff:lab_progress": WebCase(Capability.LAB_RESULT_VIEW, patient_scoped=True),
    **{
        f"staff:{name}": WebCase(capability, ("POST",), patient_scoped=True)
        for name, capability in (
            ("lab_order_act", Capability.LAB_MANAGE),
            ("lab_results_enter", Capability.LAB_MANAGE),
            ("lab_results_import", Capability.LAB_MANAGE),
            ("lab_order_review", Capability.LAB_REVIEW),
            ("lab_follow_up_done", Capability.LAB_REVIEW),
            ("note_addendum", Capability.NOTE_WRITE),
        )
    },
    "staff:note_list": WebCase(Capability.NOTE_READ, patient_scoped=True),
    "staff:note_new": WebCase(Capability.NOTE_WRITE, ("GET", "POST"), patient_scoped=True),
    "staff:note_detail": WebCase(Capability.NOTE_READ, patient_scoped=True),
    "staff:note_edit": WebCase(Capability.NOTE_WRITE, ("GET", "POST"), patient_scoped=True),
    "staff:care_my_tasks": WebCase(Capability.CARE_VIEW),
    "staff:care_team_tasks": WebCase(Capability.CARE_VIEW),
    "staff:care_overdue": WebCase(Capability.CARE_VIEW),
    "staff:care_gaps": WebCase(Capability.CARE_VIEW),
    "staff:care_task_detail": WebCase(Capability.CARE_VIEW, patient_scoped=True),
    "staff:care_task_act": WebCase(Capability.CARE_MANAGE, ("POST",), patient_scoped=True),
    "staff:care_protocol_list": WebCase(Capability.CARE_VIEW),
    "staff:care_protocol_detail": WebCase(Capability.CARE_VIEW),
    "staff:care_protocol_create": WebCase(Capability.PROTOCOL_MANAGE, ("GET", "POST")),
    "staff:care_protocol_activity_add": WebCase(Capability.PROTOCOL_MANAGE, ("GET", "POST")),
    "staff:care_plan_apply": WebCase(Capability.CARE_MANAGE, ("GET", "POST"), patient_scoped=True),
    "staff:care_activity_add": WebCase(
        Capability.CARE_MANAGE, ("GET", "POST"), patient_scoped=True
    ),
    "staff:billing_receipt_pdf": WebCase(Capability.BILLING_VIEW, patient_scoped=True),
    **{
        f"staff:{name}": WebCase(capability, ("POST",), patient_scoped=True)
        for name, capability in (
            ("billing_invoice_collect", Capability.BILLING_COLLECT),
            ("billing_invoice_remind", Capability.BILLING_COLLECT),
            ("billing_invoice_void", Capability.BILLING_MANAGE),
            ("billing_invoice_uncollectible", Capability.BILLING_MANAGE),
            ("billing_payment_refund", Capability.BILLING_REFUND),
            ("billing_card_add", Capability.BILLING_COLLECT),
            ("billing_card_setup", Capability.BILLING_COLLECT),
            ("billing_card_remove", Capability.BILLING_COLLECT),
            ("billing_card_make_default", Capability.BILLING_COLLECT),
            ("billing_discount_redeem", Capability.BILLING_COLLECT),
        )
    },
    "staff:billing_discount_list": WebCase(Capability.BILLING_MANAGE, ("GET", "POST")),
    "staff:billing_discount_deactivate": WebCase(Capability.BILLING_MANAGE, ("POST",)),
    "staff:billing_settings": WebCase(Capability.BILLING_MANAGE, ("GET", "POST")),
    **{
        f"staff:{name}": WebCase(Capability.MESSAGE_VIEW)
        for name in (
            "message_inbox",
            "message_inbox_team",
            "message_inbox_unassigned",
            "message_inbox_overdue",
        )
    },
    "staff:message_dashboard": WebCase(Capability.MESSAGE_VIEW_ALL),
    "staff:messaging_routing": WebCase(Capability.MESSAGING_CONFIGURE, ("GET", "POST")),
    "staff:messaging_team_create": WebCase(Capability.MESSAGING_CONFIGURE, ("POST",)),
    "staff:messaging_team_edit": WebCase(Capability.MESSAGING_CONFIGURE, ("GET", "POST")),
    "staff:messaging_policy": WebCase(Capability.MESSAGING_CONFIGURE, ("POST",)),
    "staff:messaging_templates": WebCase(Capability.MESSAGING_CONFIGURE, ("GET", "POST")),
    "staff:messaging_out_of_office": WebCase(Capability.MESSAGE_VIEW, ("GET", "POST")),
    "staff:messaging_out_of_office_end": WebCase(Capability.MESSAGE_VIEW, ("POST",)),
    "staff:messaging_template_edit": WebCase(Capability.MESSAGING_CONFIGURE, ("GET", "POST")),
    "staff:message_thread": WebCase(Capability.MESSAGE_VIEW, patient_scoped=True),
    "staff:message_export": WebCase(Capability.MESSAGE_VIEW, patient_scoped=True),
    "staff:message_attachment": WebCase(Capability.MESSAGE_VIEW, patient_scoped=True),
    **{
        f"staff:{name}": WebCase(Capability.MESSAGE_REPLY, ("POST",), patient_scoped=True)
        for name in ("message_reply", "message_note", "message_thread_act")
    },
    "portal:home": WebCase(Capability.PORTAL_USE),
    "portal:billing": WebCase(Capability.PORTAL_USE),
    "portal:receipt": WebCase(Capability.PORTAL_USE),
    "portal:receipt_pdf": WebCase(Capability.PORTAL_USE),
    "portal:messages": WebCase(Capability.PORTAL_USE),
    "portal:message_start": WebCase(Capability.PORTAL_USE, ("GET", "POST")),
    "portal:message_thread": WebCase(Capability.PORTAL_USE, ("GET", "POST")),
    "portal:message_sharing": WebCase(Capability.PORTAL_USE, ("POST",)),
    "portal:message_attachment": WebCase(Capability.PORTAL_USE),
}

# API documents are public so integrators can read them before they hold a token.
API_DOCUMENTS = {"api:openapi-json", "api:openapi-view", "api:api-root"}

# API operations without session or token authentication: their own signature is the check.
PUBLIC_API_OPERATIONS = {("POST", "/api/v1/billing/webhooks/stripe")}

ROLES = ("admin", "provider", "coordinator", "front_desk", "billing", "patient", "anonymous")
TARGETS = ("own", "other")

# Everything a refused request must leave untouched (the audit log grows by design).
GUARDED_MODELS: tuple[type[models.Model], ...] = (
    Patient,
    Protocol,
    Activity,
    CarePlan,
    CarePlanChange,
    CareActivity,
    CareTask,
    CareTaskChange,
    CareGapStep,
    ClinicalNote,
    NoteAddendum,
    LabOrder,
    LabOrderLine,
    LabOrderChange,
    LabResult,
    LabFollowUp,
    Household,
    CareTeamMember,
    User,
    ApiToken,
    TotpDevice,
    RecoveryCode,
    OutboxMessage,
    ClinicSettings,
    Holiday,
    Service,
    Plan,
    PlanPrice,
    Benefit,
    CancellationReason,
    MembershipSettings,
    Sponsor,
    RosterEntry,
    Membership,
    MembershipMember,
    StatusChange,
    ScheduledChange,
    EntitlementEntry,
    BillingAccount,
    PaymentMethod,
    Invoice,
    InvoiceLine,
    PaymentAttempt,
    Refund,
    Discount,
    DiscountRedemption,
    BillingSettings,
    BillingRun,
    JournalEntry,
    Notice,
    Location,
    WorkingHours,
    AppointmentType,
    AppointmentSeries,
    Appointment,
    AppointmentStatusChange,
    MessagingTeam,
    RoutingRule,
    ReplyTemplate,
    Thread,
    Message,
    ReadState,
    ThreadChange,
    ResponseClock,
    Attachment,
)


def _url_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}"


def _callbacks(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _callbacks(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}", pattern.callback


def _api_operations() -> list[tuple[str, str, str | None]]:
    """(method, path, capability) for every operation in the OpenAPI document."""
    schema = api.get_openapi_schema()
    operations = []
    for path, entries in schema["paths"].items():
        for method, operation in entries.items():
            operations.append((method.upper(), path, operation.get("x-careloop-capability")))
    return operations


def test_every_url_is_in_the_matrix():
    names = set(_url_names(get_resolver().url_patterns))
    api_operation_names = {name for name in names if name.startswith("api:")} - API_DOCUMENTS
    web_names = names - {name for name in names if name.startswith("api:")}
    assert web_names == set(WEB_CASES), "add new URLs to WEB_CASES with their rule"
    assert api_operation_names, "the API has operations"


def test_the_matrix_agrees_with_each_views_declared_capability():
    for name, callback in _callbacks(get_resolver().url_patterns):
        if name not in WEB_CASES:
            continue
        declared = getattr(callback, "required_capability", None)
        rule = WEB_CASES[name].rule
        if isinstance(rule, Capability):
            assert declared == rule, name
        else:
            assert declared is None, name


def test_every_api_operation_names_its_capability():
    for method, path, capability in _api_operations():
        if path == "/api/v1/me" or (method, path) in PUBLIC_API_OPERATIONS:
            assert capability is None
            continue
        assert capability in {c.value for c in Capability}, (method, path)


def test_only_the_listed_public_operations_skip_authentication():
    schema = api.get_openapi_schema()
    unauthenticated = {
        (method.upper(), path)
        for path, entries in schema["paths"].items()
        for method, operation in entries.items()
        if not operation.get("security")
    }
    assert unauthenticated == PUBLIC_API_OPERATIONS


@dataclass
class World:
    actors: dict[str, User | None]
    own: Patient
    other: Patient
    loose: Patient  # in no household, free to head a new one
    households: dict[str, Household]
    care_team: dict[str, CareTeamMember]
    tokens: dict[str, ApiToken]
    staff_target: User  # the staff member the team pages act on


@pytest.fixture
def world(patient_ann, patient_bob, admin, provider, coach, front_desk, billing) -> World:
    now = clock.now()
    households = {}
    care_team = {}
    for key, patient in (("own", patient_ann), ("other", patient_bob)):
        household = Household.objects.create(
            name=f"{patient.legal_family_name} household", head=patient, created_at=now
        )
        patient.household = household
        patient.save(update_fields=["household"])
        households[key] = household
        care_team[key] = CareTeamMember.objects.create(
            patient=patient, staff=coach, role=CareTeamRole.COACH, assigned_at=now
        )
    other_provider = make_user(role=Role.PROVIDER, username="provider_other")
    actors: dict[str, User | None] = {
        "admin": admin,
        "provider": provider,
        "coordinator": coach,
        "front_desk": front_desk,
        "billing": billing,
        "patient": patient_ann.user,
        "anonymous": None,
    }
    tokens = {"other": api_token_create(user=other_provider, name="other")[0]}
    loose = make_patient(given="Lou", family="Loose")
    return World(
        actors, patient_ann, patient_bob, loose, households, care_team, tokens, other_provider
    )


@dataclass(frozen=True)
class Catalog:
    plan: Plan
    service: Service
    sponsor: Sponsor
    entry: RosterEntry
    reason: CancellationReason


def _catalog(world: World) -> Catalog:
    """A draft plan with a price and a benefit, a sponsor with one open roster entry."""
    now = clock.now()
    service, _ = Service.objects.get_or_create(
        code="matrix-visit",
        defaults={"name": "Matrix visit", "kind": "provider_visit", "a_la_carte_price": 10000},
    )
    plan, created = Plan.objects.get_or_create(
        code="matrix-plan",
        defaults={"name": "Matrix plan", "created_at": now, "updated_at": now},
    )
    if created:
        PlanPrice.objects.create(
            plan=plan, interval="monthly", version=1, amount=9900, created_at=now
        )
        Benefit.objects.create(plan=plan, service=service, allowance=1)
    sponsor, created = Sponsor.objects.get_or_create(
        name="Matrix employer", defaults={"created_at": now}
    )
    if created:
        RosterEntry.objects.create(
            sponsor=sponsor, patient=world.other, effective_on=date(2025, 1, 1), created_at=now
        )
    reason, _ = CancellationReason.objects.get_or_create(
        code="matrix-reason", defaults={"label": "Matrix reason"}
    )
    return Catalog(plan, service, sponsor, RosterEntry.objects.get(sponsor=sponsor), reason)


def _membership(world: World, target: str) -> Membership:
    """An active membership on a plan for sale, covering patient_ann ("own") or patient_bob."""
    patient = world.own if target == "own" else world.other
    found = Membership.objects.filter(payer_patient=patient).first()
    if found is not None:
        return found
    now = clock.now()
    plan, created = Plan.objects.get_or_create(
        code="matrix-tier",
        defaults={"name": "Matrix tier", "status": "active", "created_at": now, "updated_at": now},
    )
    if created:
        PlanPrice.objects.create(
            plan=plan, interval="monthly", version=1, amount=9900, created_at=now
        )
    admin = next(user for user in world.actors.values() if user and user.role == Role.ADMIN)
    return membership_enroll(
        actor=admin,
        plan=plan,
        interval="monthly",
        payer_patient=patient,
        members=[MemberSpec(patient=patient, role=MemberRole.PRIMARY)],
        start_date=clock.today(),
        payment_method_on_file=True,
    )


def _scheduled_change(world: World, target: str) -> ScheduledChange:
    """A cancellation scheduled far ahead, for the revoke button."""
    return ScheduledChange.objects.create(
        membership=_membership(world, target),
        kind=ChangeKind.CANCEL,
        effective_on=date(2030, 1, 1),
        details={"reason_id": _catalog(world).reason.id, "note": ""},
        created_at=clock.now(),
    )


def _paid_invoice(world: World, target: str) -> Invoice:
    """A paid invoice of patient_ann ("own") or patient_bob, with a declined charge on it."""
    patient = world.own if target == "own" else world.other
    key = f"matrix-paid:{patient.id}"
    found = Invoice.objects.filter(key=key).first()
    if found is not None:
        return found
    invoice = invoice_issue(
        account=billing_account_for(patient=patient),
        kind=InvoiceKind.MANUAL,
        key=key,
        lines=[DraftLine(kind=LineKind.ADJUSTMENT, description="Matrix", amount=0, unit_amount=0)],
    ).invoice
    PaymentAttempt.objects.create(
        invoice=invoice,
        account=invoice.account,
        gateway="sandbox",
        idempotency_key=f"matrix-attempt-{invoice.pk}",
        amount=100,
        currency=invoice.currency,
        trigger=AttemptTrigger.STAFF,
        status=AttemptStatus.DECLINED,
        created_at=clock.now(),
    )
    return invoice


def _card(world: World, target: str) -> PaymentMethod:
    patient = world.own if target == "own" else world.other
    account = billing_account_for(patient=patient)
    found = account.payment_methods.filter(removed_at__isnull=True).first()
    return found or payment_method_add(actor=None, account=account, token="tok_sandbox_success")


INVOICE_URLS = (
    "staff:billing_invoice_detail",
    "staff:billing_receipt",
    "staff:billing_receipt_pdf",
    "staff:billing_invoice_collect",
    "staff:billing_invoice_remind",
    "staff:billing_invoice_void",
    "staff:billing_invoice_uncollectible",
    "portal:receipt",
    "portal:receipt_pdf",
)

MEMBERSHIP_URLS = (
    "staff:membership_detail",
    "staff:membership_change_plan",
    "staff:membership_change_interval",
    "staff:membership_add_member",
    "staff:membership_remove_member",
    "staff:membership_pause",
    "staff:membership_resume",
    "staff:membership_cancel",
    "staff:membership_reactivate",
    "staff:membership_change_price",
)


def _snapshot(guarded: tuple[type[models.Model], ...] = GUARDED_MODELS) -> dict[str, Any]:
    """Every row of every guarded table, whole, taken only before and after a request that
    must be refused. Plain SQL: the matrix takes two snapshots per refused request,
    thousands of times, and the ORM's query building for 56 tables cost more than the
    requests being checked. On PostgreSQL one statement returns a digest of each table (the
    md5 of its rows as text, in key order) instead of a query per table: each query's round
    trip to the server cost more than reading the rows."""
    quote = connection.ops.quote_name
    tables = {
        model.__name__: (quote(model._meta.db_table), quote(model._meta.pk.column))
        for model in guarded
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            digest = (
                "(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.{1}), '')) FROM {0} t)"
            )
            digests = ", ".join(digest.format(table, key) for table, key in tables.values())
            cursor.execute(f"SELECT {digests}")
            return dict(zip(tables, cursor.fetchone(), strict=True))
        rows = {}
        for name, (table, key) in tables.items():
            cursor.execute(f"SELECT * FROM {table} ORDER BY {key}")  # noqa: S608 (model names)
            rows[name] = cursor.fetchall()
    return rows


@pytest.mark.django_db
def test_the_snapshot_sees_a_changed_inserted_or_deleted_row(patient_ann, patient_bob):
    before = _snapshot()
    Patient.objects.filter(pk=patient_ann.pk).update(preferred_name="Annie")
    changed = _snapshot()
    assert changed != before
    cal = make_patient(given="Cal")
    assert _snapshot() != changed
    Patient.objects.filter(pk=cal.pk).delete()
    assert _snapshot() == changed


def _client(actor: User | None) -> Client:
    return Client() if actor is None else signed_in_client(actor)


def _web_kwargs(name: str, world: World, target: str, actor: User | None) -> dict[str, Any]:
    patient = world.own if target == "own" else world.other
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "staff:patient_chart": lambda: {"patient_id": patient.id},
        "staff:patient_edit": lambda: {"patient_id": patient.id},
        "staff:lab_requisition": lambda: {
            "order_id": _api_lab_order(world, target, "/requisition").id
        },
        "staff:lab_order_new": lambda: {"patient_id": patient.id},
        "staff:lab_progress": lambda: {"patient_id": patient.id},
        **{
            f"staff:{name}": _order_kwargs(world, target, step)
            for name, step in (
                ("lab_order_detail", "/detail"),
                ("lab_order_act", "/act"),
                ("lab_results_enter", "/results"),
                ("lab_results_import", "/csv"),
                ("lab_order_review", "/review"),
                ("lab_follow_up_done", "/complete"),
            )
        },
        "staff:note_list": lambda: {"patient_id": patient.id},
        "staff:note_new": lambda: {"patient_id": patient.id},
        "staff:note_detail": lambda: {"note_id": _web_note(world, target, actor, signed=False)},
        "staff:note_edit": lambda: {"note_id": _web_note(world, target, actor, signed=False)},
        "staff:note_addendum": lambda: {"note_id": _web_note(world, target, actor, signed=True)},
        "staff:care_team_assign": lambda: {"patient_id": patient.id},
        "staff:care_task_detail": lambda: {"task_id": _web_care_task(world, target).id},
        "staff:care_task_act": lambda: {"task_id": _web_care_task(world, target).id},
        "staff:care_protocol_detail": lambda: {
            "protocol_id": _api_care_plan(world, target, "").protocol_id
        },
        "staff:care_protocol_activity_add": lambda: {
            "protocol_id": _api_care_plan(world, target, "").protocol_id
        },
        "staff:care_plan_apply": lambda: {"patient_id": patient.id},
        "staff:care_activity_add": lambda: {"care_plan_id": _api_care_plan(world, target, "").id},
        "staff:care_team_remove": lambda: {
            "patient_id": patient.id,
            "member_id": world.care_team[target].id,
        },
        "staff:household_detail": lambda: {"household_id": world.households[target].id},
        "staff:household_member_candidates": lambda: {"household_id": world.households[target].id},
        "staff:household_add_member": lambda: {"household_id": world.households[target].id},
        "staff:household_remove_member": lambda: {
            "household_id": world.households[target].id,
            "patient_id": patient.id,
        },
        "staff:household_set_head": lambda: {
            "household_id": world.households[target].id,
            "patient_id": patient.id,
        },
        "accounts:token_revoke": lambda: {"token_id": _token(world, target, actor).id},
        "pay:card_update": lambda: {
            "token": card_update_token(billing_account_for(patient=patient).pk)
        },
        "visit:respond": lambda: {"token": visit_token(_api_appointment(world, target, "").pk)},
        "staff:visit_detail": lambda: {"appointment_id": _api_appointment(world, target, "").pk},
        "staff:visit_act": lambda: {"appointment_id": _api_appointment(world, target, "").pk},
        "staff:book_visit": lambda: {"patient_id": patient.id},
        "staff:priority_rule_stop": lambda: {
            "rule_id": PriorityCapacity.objects.get_or_create(
                name="Matrix hold",
                defaults={"start_time": time(13), "end_time": time(17), "release_time": time(8)},
            )[0].id
        },
        "staff:book_series": lambda: {"patient_id": patient.id},
        "feeds:provider_calendar": lambda: {"token": _feed_token(world)},
        "staff:clinic_holiday_remove": lambda: {
            "holiday_id": Holiday.objects.create(date=date(2030, 12, 25), name="Closed").id
        },
        **{
            name: (lambda: {"user_id": world.staff_target.id})
            for name in (
                "staff:staff_detail",
                "staff:staff_role",
                "staff:staff_deactivate",
                "staff:staff_reactivate",
                "staff:staff_mfa_reset",
                "staff:staff_invitation_send",
            )
        },
        "staff:catalog_plan_detail": lambda: {"plan_id": _catalog(world).plan.id},
        "staff:catalog_plan_edit": lambda: {"plan_id": _catalog(world).plan.id},
        "staff:catalog_plan_status": lambda: {"plan_id": _catalog(world).plan.id},
        "staff:catalog_plan_delete": lambda: {"plan_id": _catalog(world).plan.id},
        "staff:catalog_price_set": lambda: {
            "plan_id": _catalog(world).plan.id,
            "interval": "monthly",
        },
        "staff:catalog_benefit_add": lambda: {"plan_id": _catalog(world).plan.id},
        "staff:catalog_benefit_edit": lambda: {
            "plan_id": _catalog(world).plan.id,
            "service_id": _catalog(world).service.id,
        },
        "staff:catalog_benefit_remove": lambda: {
            "plan_id": _catalog(world).plan.id,
            "service_id": _catalog(world).service.id,
        },
        "staff:catalog_service_edit": lambda: {"service_id": _catalog(world).service.id},
        "staff:catalog_sponsor_detail": lambda: {"sponsor_id": _catalog(world).sponsor.id},
        "staff:catalog_sponsor_edit": lambda: {"sponsor_id": _catalog(world).sponsor.id},
        "staff:catalog_roster_add": lambda: {"sponsor_id": _catalog(world).sponsor.id},
        "staff:catalog_roster_terminate": lambda: {
            "sponsor_id": _catalog(world).sponsor.id,
            "entry_id": _catalog(world).entry.id,
        },
        "staff:catalog_roster_upload": lambda: {"sponsor_id": _catalog(world).sponsor.id},
        "staff:catalog_reason_update": lambda: {"reason_id": _catalog(world).reason.id},
        "accounts:password_reset_confirm": lambda: {"uidb64": "MQ", "token": "set-password"},
        "staff:membership_enroll": lambda: {"patient_id": patient.id},
        "staff:membership_coverage": lambda: {"patient_id": patient.id},
        **{
            name: (lambda: {"membership_id": _membership(world, target).pk})
            for name in MEMBERSHIP_URLS
        },
        "staff:membership_change_revoke": lambda: {
            "membership_id": _membership(world, target).pk,
            "change_id": _scheduled_change(world, target).pk,
        },
        **{
            name: (lambda: {"invoice_id": _paid_invoice(world, target).pk}) for name in INVOICE_URLS
        },
        "staff:billing_payment_refund": lambda: {
            "invoice_id": _paid_invoice(world, target).pk,
            "attempt_id": _paid_invoice(world, target).attempts.get().pk,
        },
        "staff:billing_card_add": lambda: {"patient_id": patient.id},
        "staff:billing_card_setup": lambda: {"patient_id": patient.id},
        "staff:billing_card_remove": lambda: {
            "patient_id": patient.id,
            "method_id": _card(world, target).pk,
        },
        "staff:billing_card_make_default": lambda: {
            "patient_id": patient.id,
            "method_id": _card(world, target).pk,
        },
        "staff:billing_discount_redeem": lambda: {"membership_id": _membership(world, target).pk},
        **{
            f"staff:{name}": (lambda: {"thread_id": _web_thread(world, target, actor).pk})
            for name in (
                "message_thread",
                "message_export",
                "message_reply",
                "message_note",
                "message_thread_act",
            )
        },
        "staff:message_attachment": lambda: {
            "attachment_id": _web_thread(world, target, actor).attachments.get().pk
        },
        "staff:messaging_template_edit": lambda: {
            "template_id": ReplyTemplate.objects.get_or_create(
                name="Matrix reply",
                defaults={"body": "Thanks.", "created_at": clock.now(), "updated_at": clock.now()},
            )[0].pk
        },
        "staff:messaging_team_edit": lambda: {"team_id": _matrix_teams(world)["admin"].pk},
        "staff:messaging_out_of_office_end": lambda: {
            # The acting person's own absence (anyone ends their own); a patient's or an
            # anonymous request ends an admin's, which they must be refused.
            "away_id": OutOfOffice.objects.create(
                staff=actor if actor is not None and actor.is_clinic_staff else world.staff_target,
                starts_at=clock.now() - timedelta(hours=1),
                ends_at=clock.now() + timedelta(days=1),
                created_at=clock.now(),
            ).pk
        },
        "portal:message_thread": lambda: {"thread_id": _web_thread(world, target, actor).pk},
        "portal:message_sharing": lambda: {"thread_id": _web_thread(world, target, actor).pk},
        "portal:message_attachment": lambda: {
            "attachment_id": _web_thread(world, target, actor).attachments.get().pk
        },
        "staff:billing_discount_deactivate": lambda: {
            "discount_id": Discount.objects.get_or_create(
                code="MATRIX10",
                defaults={
                    "name": "Matrix ten",
                    "kind": "percent",
                    "percent_off": 10,
                    "duration": "once",
                    "created_at": clock.now(),
                },
            )[0].pk
        },
    }
    builder = builders.get(name)
    return builder() if builder else {}


def _web_thread(world: World, target: str, actor: User | None) -> Thread:
    """A thread of the target patient that the acting staff member may read: routed to a team
    of their role and assigned to them (a provider's team for patients and visitors), with a
    file on its first message."""
    patient = world.own if target == "own" else world.other
    staff = actor if actor is not None and actor.is_clinic_staff else world.actors["provider"]
    assert staff is not None
    assert patient.user is not None
    now = clock.now()
    team, _created = MessagingTeam.objects.get_or_create(
        name=f"Matrix {staff.role}",
        defaults={"role": staff.role, "created_at": now, "updated_at": now},
    )
    thread = Thread.objects.create(
        patient=patient,
        topic="other",
        team=team,
        assignee=staff,
        created_by=patient.user,
        created_at=now,
        last_message_at=now,
        updated_at=now,
    )
    message = Message.objects.create(
        thread=thread,
        author=patient.user,
        from_patient=True,
        kind="message",
        body="A question for the matrix.",
        sent_at=now,
    )
    attachments_store(
        message=message,
        uploads=[AttachmentUpload("note.txt", "text/plain", b"matrix")],
        now=now,
        written=[],
    )
    return thread


@pytest.fixture(autouse=True)
def _attachment_folder(settings: Any, tmp_path: Any) -> None:
    settings.MESSAGING_ATTACHMENT_DIR = tmp_path / "attachments"


def _order_kwargs(world: World, target: str, step: str) -> Callable[[], dict[str, Any]]:
    """A lab order of the target patient in the status the page acts on (see _api_lab_order)."""
    return lambda: {"order_id": _api_lab_order(world, target, step).id}


def _web_note(world: World, target: str, actor: User | None, *, signed: bool) -> int:
    """A note of the target patient by the acting writer (else a provider), signed for the
    addendum page: the same note the notes API's matrix cases act on."""
    path = "/api/v1/care/notes/{note_id}/addenda" if signed else "/api/v1/care/notes/{note_id}"
    return int(_api_notes_url("{note_id}", path, world, target, actor))


def _feed_token(world: World) -> str:
    """The token in the address of the provider's calendar feed."""
    provider = world.actors["provider"]
    assert provider is not None
    return calendar_feed_renew(actor=provider).rsplit("/", 1)[1].removesuffix(".ics")


def _token(world: World, target: str, actor: User | None) -> ApiToken:
    """The acting staff member's own token, or another user's."""
    if target == "own" and actor is not None and actor.is_clinic_staff:
        return api_token_create(user=actor, name="own")[0]
    return world.tokens["other"]


def _expected_denial(rule: str | Capability, role: str) -> int | None:
    """The status a refused request gets, or None when the role is allowed through."""
    if rule == PUBLIC:
        return None
    if role == "anonymous":
        return 302
    if rule == SIGNED_IN:
        return None
    if role == "patient":
        return None if rule == Capability.PORTAL_USE else 404
    if rule == STAFF:
        return None
    if rule == Capability.PORTAL_USE:
        return 404  # the portal is for patients; staff are told there is nothing here
    assert isinstance(rule, Capability)
    return None if Role(role) in POLICY[rule] else 403


def _web_cases() -> Iterator[Any]:
    for name, case in WEB_CASES.items():
        for method in case.methods:
            for target in TARGETS if case.patient_scoped or name.endswith("revoke") else ("own",):
                yield pytest.param(name, method, target, id=f"{name}-{method}-{target}")


# Pages whose rows are made for the acting person (their note, their token, a thread in
# their team, their absence): built again for each role. Every other page's rows are built
# once and each role's request is made from them.
WEB_BUILT_PER_ACTOR = frozenset(
    {
        "staff:note_detail",
        "staff:note_edit",
        "staff:note_addendum",
        "accounts:token_revoke",
        "staff:message_thread",
        "staff:message_export",
        "staff:message_reply",
        "staff:message_note",
        "staff:message_thread_act",
        "staff:message_attachment",
        "staff:messaging_out_of_office_end",
        "portal:message_thread",
        "portal:message_sharing",
        "portal:message_attachment",
    }
)


@pytest.mark.parametrize(("name", "method", "target"), list(_web_cases()))
def test_web_access(world, subtests, name, method, target):
    """Each role in turn, as a subtest, from the same rows: building them once per page
    instead of once per role keeps the matrix within CI's time."""
    shared = None if name in WEB_BUILT_PER_ACTOR else _web_kwargs(name, world, target, None)
    for role in ROLES:
        with subtests.test(role=role), rolled_back():
            actor = world.actors[role]
            kwargs = _web_kwargs(name, world, target, actor) if shared is None else shared
            _check_web_access(world, name, method, role, target, reverse(name, kwargs=kwargs))


def _check_web_access(
    world: World, name: str, method: str, role: str, target: str, url: str
) -> None:
    case = WEB_CASES[name]
    actor = world.actors[role]
    client = _client(actor)
    denial = _expected_denial(case.rule, role)
    if name == "accounts:token_revoke" and target == "other" and denial is None:
        denial = 404  # someone else's token is not found, whoever asks
    before = _snapshot() if denial is not None else None
    response = client.generic(method, url)
    if denial is None:
        assert response.status_code not in (401, 403, 404), response.status_code
        assert response.status_code < 500
        if case.patient_scoped and case.shows_target and method == "GET":
            assert actor is not None
            patient = world.own if target == "own" else world.other
            read = AuditEvent.objects.filter(patient_id=patient.id, actor_id=actor.id)
            assert read.filter(outcome="success").exists(), "a patient read left no audit event"
        return
    assert response.status_code == denial
    if denial == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    assert _snapshot() == before, "a refused request changed data"


@dataclass(frozen=True)
class ApiMemberships:
    """For the membership API: patient_ann's membership ("own") and patient_bob's ("other"),
    each covering the patient and a partner, with a newcomer in the household to add."""

    plan: Plan
    richer: Plan
    smaller: Plan
    next_price: PlanPrice
    memberships: dict[str, Membership]
    partners: dict[str, Patient]
    newcomers: dict[str, Patient]


def _api_memberships(world: World, *, pending: bool = False) -> ApiMemberships:
    """Made once per test (later calls find the same rows); `pending` leaves them unactivated."""
    now = clock.now()
    plans = {}
    for code, rank in (("api-smaller", 1), ("api-tier", 2), ("api-richer", 3)):
        plan, created = Plan.objects.get_or_create(
            code=code,
            defaults={
                "name": code.replace("-", " ").title(),
                "rank": rank,
                "status": "active",
                "pause_allowed": True,
                "pause_longest_months": 3,
                "created_at": now,
                "updated_at": now,
            },
        )
        if created:
            for interval in ("monthly", "quarterly"):
                PlanPrice.objects.create(
                    plan=plan, interval=interval, version=1, amount=9900, created_at=now
                )
        plans[code] = plan
    plan = plans["api-tier"]
    memberships, partners, newcomers = {}, {}, {}
    for target, payer in (("own", world.own), ("other", world.other)):
        household = world.households[target]
        family = payer.legal_family_name
        same_family = Patient.objects.filter(legal_family_name=family)
        partner = same_family.filter(legal_given_name="Partner").first() or make_patient(
            given="Partner", family=family
        )
        newcomer = same_family.filter(legal_given_name="Newcomer").first() or make_patient(
            given="Newcomer", family=family
        )
        Patient.objects.filter(id__in=[partner.id, newcomer.id]).update(household=household)
        partner.refresh_from_db()
        membership = Membership.objects.filter(plan=plan, payer_patient=payer).first()
        if membership is None:
            membership = membership_enroll(
                actor=world.actors["admin"],  # type: ignore[arg-type]
                plan=plan,
                interval="monthly",
                payer_patient=payer,
                members=[
                    MemberSpec(patient=payer, role=MemberRole.PRIMARY),
                    MemberSpec(patient=partner, role=MemberRole.ADULT),
                ],
                start_date=clock.today(),
                payment_method_on_file=not pending,
            )
        memberships[target], partners[target], newcomers[target] = membership, partner, newcomer
    next_price = PlanPrice.objects.filter(plan=plan, interval="monthly", version=2).first()
    if next_price is None:
        PlanPrice.objects.filter(plan=plan, interval="monthly").update(current=False)
        next_price = PlanPrice.objects.create(
            plan=plan, interval="monthly", version=2, amount=10900, created_at=now
        )
    return ApiMemberships(
        plan,
        plans["api-richer"],
        plans["api-smaller"],
        next_price,
        memberships,
        partners,
        newcomers,
    )


def _api_membership_url(url: str, path: str, world: World, target: str) -> str:
    """Fill {membership_id} and {change_id}, with the membership in a state the action needs."""
    built = _api_memberships(world, pending=path.endswith("/actions/activate"))
    membership = built.memberships[target]
    admin = world.actors["admin"]
    assert admin is not None
    if path.endswith("/actions/resume"):
        membership_pause(actor=admin, membership=membership)
    if path.endswith("/actions/reactivate"):
        membership_cancel(actor=admin, membership=membership, reason=_catalog(world).reason)
    if "{change_id}" in url:
        outcome = membership_cancel(
            actor=admin, membership=membership, reason=_catalog(world).reason, at_period_end=True
        )
        assert outcome.scheduled is not None
        url = url.replace("{change_id}", str(outcome.scheduled.id))
    return url.replace("{membership_id}", str(membership.id))


def _api_membership_body(
    path: str, method: str, world: World, target: str
) -> dict[str, Any] | None:
    if method != "POST" or not path.startswith("/api/v1/memberships"):
        return None
    built = _api_memberships(world)
    today = clock.today().isoformat()
    if path == "/api/v1/memberships":
        return {
            "plan_id": built.plan.id,
            "interval": "monthly",
            "payer_patient_id": world.loose.id,
            "members": [{"patient_id": world.loose.id, "role": "primary"}],
            "start_date": today,
            "payment_method_on_file": True,
        }
    action = path.rsplit("/", 1)[-1]
    bodies: dict[str, dict[str, Any]] = {
        "upgrade": {"plan_id": built.richer.id},
        "downgrade": {"plan_id": built.smaller.id},
        "change-interval": {"interval": "quarterly"},
        "add-member": {"patient_id": built.newcomers[target].id, "role": "adult"},
        "remove-member": {"patient_id": built.partners[target].id},
        "cancel": {"reason_id": _catalog(world).reason.id},
        "change-price": {
            "price_id": built.next_price.id,
            "effective_on": today,
            "notice_on": today,
        },
    }
    return bodies.get(action, {})


def _api_body(path: str, method: str, world: World, target: str = "own") -> dict[str, Any] | None:
    if method == "POST" and path == "/api/v1/patients":
        return {
            "legal_given_name": "Cora",
            "legal_family_name": "Matrix",
            "date_of_birth": "1990-02-03",
            "sex_at_birth": "female",
        }
    if method == "PATCH" and path.startswith("/api/v1/patients/"):
        return {"preferred_name": "Changed"}
    if method == "POST" and path == "/api/v1/households":
        return {"name": "Matrix household", "head_id": world.loose.id, "member_ids": []}
    if method == "PATCH" and path.startswith("/api/v1/households/"):
        return {"name": "Renamed household"}
    catalog_bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/services"): {
            "code": "matrix-new-service",
            "name": "Matrix new service",
            "kind": "other",
            "a_la_carte_price": 1000,
        },
        ("PATCH", "/api/v1/services/{service_id}"): {"name": "Renamed service"},
        ("POST", "/api/v1/plans"): {"code": "matrix-new-plan", "name": "Matrix new plan"},
        ("PATCH", "/api/v1/plans/{plan_id}"): {"description": "Changed"},
        ("PUT", "/api/v1/plans/{plan_id}/prices/{interval}"): {"amount": 12300},
        ("PUT", "/api/v1/plans/{plan_id}/benefits/{service_id}"): {"allowance": 3},
        ("POST", "/api/v1/sponsors"): {"name": "Matrix new sponsor"},
        ("PATCH", "/api/v1/sponsors/{sponsor_id}"): {"contact_name": "Changed"},
        ("POST", "/api/v1/sponsors/{sponsor_id}/roster"): {
            "patient_id": world.loose.id,
            "effective_on": "2025-01-01",
        },
        ("POST", "/api/v1/sponsors/{sponsor_id}/roster/{entry_id}/terminate"): {
            "terminated_on": "2030-01-01"
        },
    }
    if path.startswith("/api/v1/billing/"):
        return _api_billing_body(path, method, world, target)
    if path.startswith("/api/v1/scheduling/"):
        return _api_scheduling_body(path, method, world, target)
    if path.startswith(("/api/v1/care/notes", "/api/v1/care/note-templates")):
        return _api_notes_body(path, method, world, target)
    if path.startswith("/api/v1/care/labs/"):
        return _api_labs_body(path, method, world, target)
    if path.startswith("/api/v1/care/"):
        return _api_care_body(path, method, world, target)
    return catalog_bodies.get((method, path)) or _api_membership_body(path, method, world, target)


# --- billing API ----------------------------------------------------------------------------

# Billing rows a refused API request must leave as they were, beside GUARDED_MODELS (which
# hold every other billing table).
API_BILLING_MODELS: tuple[type[models.Model], ...] = (GatewayEvent,)

BILLING_PREVIEW_BODIES = {
    "upgrade",
    "downgrade",
    "change-interval",
    "add-member",
    "remove-member",
    "pause",
    "resume",
    "cancel",
}


def _api_enrollment_invoice(world: World, target: str) -> Invoice:
    """The open enrollment invoice of the target's membership (no card on file yet)."""
    membership = _api_memberships(world).memberships[target]
    return Invoice.objects.get(membership=membership, kind="enrollment")


def _api_card(world: World, target: str) -> PaymentMethod:
    account = billing_account_for(patient=world.own if target == "own" else world.other)
    found = PaymentMethod.objects.filter(account=account, removed_at__isnull=True).first()
    return found or payment_method_add(actor=None, account=account, token="tok_sandbox_success")


def _api_payment(world: World, target: str) -> PaymentAttempt:
    """A payment that went through on the target's enrollment invoice."""
    invoice = _api_enrollment_invoice(world, target)
    found = PaymentAttempt.objects.filter(invoice=invoice, status="succeeded").first()
    if found is not None:
        return found
    _api_card(world, target)
    attempt = invoice_collect(invoice_id=invoice.pk, trigger=AttemptTrigger.STAFF)
    assert attempt is not None
    return attempt


def _api_discount() -> Discount:
    discount, _ = Discount.objects.get_or_create(
        code="MATRIX-CODE",
        defaults={
            "name": "Matrix code",
            "kind": "percent",
            "percent_off": 10,
            "duration": "once",
            "created_at": clock.now(),
        },
    )
    return discount


def _api_billing_url(url: str, path: str, world: World, target: str) -> str:
    """Fill the billing placeholders with the target's records, in the state the call needs."""
    if "{membership_id}" in url:
        membership = _api_memberships(world).memberships[target]
        if path.endswith("/previews/resume"):
            admin = world.actors["admin"]
            assert admin is not None
            membership_pause(actor=admin, membership=membership)
        url = url.replace("{membership_id}", str(membership.id))
    if "{invoice_id}" in url:
        invoice = _api_enrollment_invoice(world, target)
        if path.endswith("/collect"):
            _api_card(world, target)
        url = url.replace("{invoice_id}", str(invoice.id))
    if "{payment_id}" in url:
        url = url.replace("{payment_id}", str(_api_payment(world, target).id))
    if "{payment_method_id}" in url:
        url = url.replace("{payment_method_id}", str(_api_card(world, target).id))
    if "{account_id}" in url:
        _api_memberships(world)
        account = billing_account_for(patient=world.own if target == "own" else world.other)
        url = url.replace("{account_id}", str(account.id))
    if "{discount_id}" in url:
        url = url.replace("{discount_id}", str(_api_discount().id))
    if "{run_id}" in url:
        url = url.replace("{run_id}", str(billing_run_prepare(as_of=clock.today()).id))
    return url


def _api_billing_body(path: str, method: str, world: World, target: str) -> dict[str, Any] | None:
    if method != "POST" or not path.startswith("/api/v1/billing/"):
        return None
    action = path.rsplit("/", 1)[-1]
    if "/previews/" in path and action in BILLING_PREVIEW_BODIES:
        built = _api_memberships(world)
        previews: dict[str, dict[str, Any]] = {
            "upgrade": {"plan_id": built.richer.id},
            "downgrade": {"plan_id": built.smaller.id},
            "change-interval": {"interval": "quarterly"},
            "add-member": {"patient_id": built.newcomers[target].id, "role": "adult"},
            "remove-member": {"patient_id": built.partners[target].id},
            "cancel": {"reason_id": _catalog(world).reason.id},
        }
        return previews.get(action, {})
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "/api/v1/billing/invoices/{invoice_id}/void": lambda: {"reason": "Matrix"},
        "/api/v1/billing/invoices/{invoice_id}/mark-uncollectible": lambda: {"reason": "Matrix"},
        "/api/v1/billing/refunds": lambda: {
            "payment_id": _api_payment(world, target).id,
            "amount": 100,
            "reason": "Matrix",
        },
        "/api/v1/billing/accounts/{account_id}/payment-methods": lambda: {
            "token": "tok_sandbox_success"
        },
        "/api/v1/billing/discounts": lambda: {
            "code": "MATRIX-NEW",
            "name": "Matrix new code",
            "kind": "amount",
            "amount_off": 500,
            "duration": "once",
        },
        "/api/v1/billing/memberships/{membership_id}/discounts": lambda: {
            "code": _api_discount().code
        },
        "/api/v1/billing/runs": lambda: {},
    }
    builder = bodies.get(path)
    return builder() if builder is not None else None


# --- scheduling API -------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiSchedule:
    """Dr. Provider works every day 8:00-18:00 UTC at the matrix clinic; visits take 30 minutes
    and use no plan service, so booking them needs no price acknowledged."""

    location: Location
    kind: AppointmentType
    provider: User
    visit_day: date

    def at(self, hour: int) -> datetime:
        return datetime.combine(self.visit_day, time(hour), tzinfo=UTC)


def _api_schedule(world: World) -> ApiSchedule:
    provider = world.actors["provider"]
    assert provider is not None
    location, created = Location.objects.get_or_create(
        name="Matrix clinic", defaults={"time_zone": "UTC"}
    )
    if created:
        for weekday in range(7):
            WorkingHours.objects.create(
                provider=provider,
                location=location,
                weekday=weekday,
                start_time=time(8),
                end_time=time(18),
            )
    kind, _ = AppointmentType.objects.get_or_create(
        name="Matrix visit", defaults={"duration_minutes": 30}
    )
    return ApiSchedule(location, kind, provider, clock.today() + timedelta(days=3))


def _api_appointment(world: World, target: str, path: str) -> Appointment:
    """The target patient's visit, in the status (and at the time) the action needs."""
    schedule = _api_schedule(world)
    patient = world.own if target == "own" else world.other
    start = schedule.at(10 if target == "own" else 11)
    status = "scheduled"
    if path.endswith("/complete"):
        status = "checked_in"
    if path.endswith("/no-show"):
        start = clock.now() - timedelta(hours=1 if target == "own" else 2)
    now = clock.now()
    return Appointment.objects.create(
        patient=patient,
        provider=schedule.provider,
        location=schedule.location,
        appointment_type=schedule.kind,
        start_at=start,
        end_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        status=status,
        created_at=now,
        updated_at=now,
    )


def _api_series(world: World, target: str) -> AppointmentSeries:
    """The target patient's two weekly visits at 16:00 (own) or 17:00 (other)."""
    schedule = _api_schedule(world)
    outcome = series_book(
        actor=world.actors["admin"],
        patient=world.own if target == "own" else world.other,
        provider=schedule.provider,
        location=schedule.location,
        appointment_type=schedule.kind,
        rule=SeriesRule(
            frequency=SeriesFrequency.WEEKLY,
            start_date=schedule.visit_day,
            local_start_time=time(16 if target == "own" else 17),
            count=2,
        ),
    )
    assert outcome.series is not None
    return outcome.series


def _api_scheduling_url(url: str, path: str, world: World, target: str) -> str:
    schedule = _api_schedule(world)
    patient = world.own if target == "own" else world.other
    if "{series_id}" in url:
        url = url.replace("{series_id}", str(_api_series(world, target).id))
    if "{appointment_id}" in url:
        url = url.replace("{appointment_id}", str(_api_appointment(world, target, path).id))
    url = url.replace("{type_id}", str(schedule.kind.id))
    if "{rule_id}" in url:
        rule, _ = PriorityCapacity.objects.get_or_create(
            name="Matrix hold",
            defaults={"start_time": time(13), "end_time": time(17), "release_time": time(8)},
        )
        url = url.replace("{rule_id}", str(rule.id))
    day = schedule.visit_day.isoformat()
    queries = {
        "/api/v1/scheduling/availability": (
            f"appointment_type_id={schedule.kind.id}&first_day={day}&last_day={day}"
        ),
        "/api/v1/scheduling/booking-effect": (
            f"patient_id={patient.id}&appointment_type_id={schedule.kind.id}"
            f"&location_id={schedule.location.id}&start_at={schedule.at(10):%Y-%m-%dT%H:%M:%SZ}"
        ),
    }
    if path == "/api/v1/scheduling/appointments" and url == path:
        queries[path] = (
            f"start={schedule.at(0):%Y-%m-%dT%H:%M:%SZ}&end={schedule.at(23):%Y-%m-%dT%H:%M:%SZ}"
        )
    query = queries.get(path)
    return f"{url}?{query}" if query else url


def _api_scheduling_body(
    path: str, method: str, world: World, target: str
) -> dict[str, Any] | None:
    if path == "/api/v1/scheduling/settings" and method == "PATCH":
        return {"reminder_hours": [24, 3]}
    if path == "/api/v1/scheduling/appointment-types/{type_id}/plans":
        return {"plan_ids": [_catalog(world).plan.id]}
    if method != "POST" or not path.startswith("/api/v1/scheduling/"):
        return None
    schedule = _api_schedule(world)
    patient = world.own if target == "own" else world.other
    visit = {
        "patient_id": patient.id,
        "provider_id": schedule.provider.id,
        "location_id": schedule.location.id,
        "appointment_type_id": schedule.kind.id,
    }
    series = {
        **visit,
        "frequency": "weekly",
        "start_date": schedule.visit_day.isoformat(),
        "local_start_time": "14:00",
        "count": 2,
    }
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/scheduling/locations": {"name": "Matrix new location"},
        "/api/v1/scheduling/working-hours": {
            "provider_id": world.actors["coordinator"].id,  # type: ignore[union-attr]
            "location_id": schedule.location.id,
            "weekday": 0,
            "start_time": "08:00",
            "end_time": "09:00",
        },
        "/api/v1/scheduling/appointment-types": {
            "name": "Matrix new type",
            "duration_minutes": 30,
        },
        "/api/v1/scheduling/appointments": {
            **visit,
            "start_at": schedule.at(12).isoformat(),
        },
        "/api/v1/scheduling/series/check": series,
        "/api/v1/scheduling/series": series,
        "/api/v1/scheduling/series/{series_id}/move": {
            "scope": "all",
            "local_start_time": "08:00" if target == "own" else "09:00",
        },
        "/api/v1/scheduling/series/{series_id}/cancel": {"scope": "all"},
        "/api/v1/scheduling/priority-capacity": {
            "name": "Matrix same-day hold",
            "plan_ids": [_catalog(world).plan.id],
            "start_time": "13:00",
            "end_time": "17:00",
            "release_time": "08:00",
        },
    }
    return bodies.get(path, {})


# --- care API -------------------------------------------------------------------------------

MATRIX_CHECK_IN = ActivitySpec(
    kind="check_in_visit", role="provider", repeat="every", every=1, unit="months"
)


def _api_care_plan(world: World, target: str, path: str) -> CarePlan:
    """A care plan applied by hand to the target patient (suspended for the resume case)."""
    patient = world.own if target == "own" else world.other
    found = CarePlan.objects.filter(patient=patient, protocol__name="Matrix protocol").first()
    if found is not None:
        return found
    admin = world.actors["admin"]
    assert admin is not None
    protocol = Protocol.objects.filter(name="Matrix protocol").first() or protocol_create(
        actor=admin, name="Matrix protocol", activities=[MATRIX_CHECK_IN]
    )
    plan = care_plan_apply(actor=admin, patient=patient, protocol=protocol, reason="Matrix")
    if path.endswith("/resume"):
        care_plan_transition(
            actor=admin, care_plan=plan, action=PlanAction.SUSPEND, effective_on=clock.today()
        )
    return plan


def _web_care_task(world: World, target: str) -> CareTask:
    task = CareTask.objects.filter(care_plan=_api_care_plan(world, target, "")).first()
    assert task is not None
    return task


def _api_care_url(url: str, path: str, world: World, target: str) -> str:
    patient = world.own if target == "own" else world.other
    if "{care_plan_id}" in url:
        url = url.replace("{care_plan_id}", str(_api_care_plan(world, target, path).id))
    if "{task_id}" in url:
        task = CareTask.objects.filter(care_plan=_api_care_plan(world, target, path)).first()
        assert task is not None
        url = url.replace("{task_id}", str(task.id))
    if "{protocol_id}" in url:
        url = url.replace("{protocol_id}", str(_api_care_plan(world, target, path).protocol_id))
    today = clock.today().isoformat()
    queries = {
        "/api/v1/care/plans": f"patient_id={patient.id}",
        "/api/v1/care/figures": f"start={today}&end={today}",
    }
    query = queries.get(path) if path != "/api/v1/care/plans" or url == path else None
    return f"{url}?{query}" if query else url


def _api_care_body(path: str, method: str, world: World, target: str) -> dict[str, Any] | None:
    if method != "POST":
        return None
    patient = world.own if target == "own" else world.other
    if path == "/api/v1/care/plans":
        protocol = protocol_create(actor=None, name="Matrix applied", activities=[MATRIX_CHECK_IN])
        return {"patient_id": patient.id, "protocol_id": protocol.id, "reason": "Matrix"}
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/care/protocols": {"name": "Matrix new protocol"},
        "/api/v1/care/protocols/{protocol_id}/activities": {
            "kind": "lab_order",
            "role": "provider",
            "repeat": "every",
            "every": 3,
            "unit": "months",
        },
        "/api/v1/care/tasks/{task_id}/skip": {"reason": "Matrix"},
        "/api/v1/care/tasks/{task_id}/reschedule": {
            "due_on": (clock.today() + timedelta(days=3)).isoformat(),
            "reason": "Matrix",
        },
        "/api/v1/care/tasks/{task_id}/reassign": {"assignee_id": world.staff_target.id},
    }
    return bodies.get(path, {})


# --- labs API -------------------------------------------------------------------------------


def _api_lab_order(world: World, target: str, path: str) -> LabOrder:
    """A TSH order for the target patient, in the status the operation acts on."""
    patient = world.own if target == "own" else world.other
    provider = world.actors["provider"]
    assert provider is not None
    order = lab_order_create(
        actor=provider,
        patient=patient,
        panels=list(LabPanel.objects.filter(code="tsh")),
        ordering_provider=provider,
    )
    steps = {
        "collect": [LabAction.ORDER],
        "results": [LabAction.ORDER, LabAction.COLLECT],
        "csv": [LabAction.ORDER, LabAction.COLLECT],
        "fhir": [LabAction.ORDER, LabAction.COLLECT],
        "review": [LabAction.ORDER, LabAction.COLLECT],
        "complete": [LabAction.ORDER, LabAction.COLLECT],
    }
    last = path.rsplit("/", 1)[1]
    for action in steps.get(last, []):
        lab_order_change(actor=provider, order=order, action=action)
    if last in ("review", "complete"):
        # 9 m[IU]/L is high: the order gets a follow-up to complete.
        lab_results_record(
            actor=provider,
            order=order,
            results=[ResultInput(field="matrix", loinc="3016-3", value="9", unit="m[IU]/L")],
            source=ResultSource.MANUAL,
        )
        assert LabOrder.objects.get(pk=order.pk).status == LabOrderStatus.RESULTED
    return order


def _api_labs_url(url: str, path: str, world: World, target: str) -> str:
    patient = world.own if target == "own" else world.other
    if "{order_id}" in url:
        url = url.replace("{order_id}", str(_api_lab_order(world, target, path).id))
    if path == "/api/v1/care/labs/orders":
        url += f"?patient_id={patient.id}"
    return url


def _api_labs_body(path: str, method: str, world: World, target: str) -> dict[str, Any] | None:
    if method != "POST":
        return None
    patient = world.own if target == "own" else world.other
    provider = world.actors["provider"]
    assert provider is not None
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/care/labs/orders": {
            "patient_id": patient.id,
            "panel_codes": ["tsh"],
            "ordering_provider_id": provider.id,
        },
        "/api/v1/care/labs/orders/{order_id}/cancel": {"reason": "Matrix"},
        "/api/v1/care/labs/orders/{order_id}/results": {
            "results": [{"loinc": "3016-3", "value": "2.1", "unit": "m[IU]/L"}]
        },
        "/api/v1/care/labs/orders/{order_id}/results/csv": {
            "csv": "loinc,value,unit\n3016-3,2.1,m[IU]/L\n"
        },
        "/api/v1/care/labs/orders/{order_id}/results/fhir": {
            "resourceType": "Observation",
            "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]},
            "subject": {"reference": f"Patient/{patient.id}"},
            "valueQuantity": {"value": 2.1, "unit": "m[IU]/L"},
        },
    }
    return bodies.get(path, {})


# --- notes API ------------------------------------------------------------------------------


def _matrix_note_template(world: World) -> NoteTemplate:
    """A coaching template: providers and coaches both write from it, so the matrix's allowed
    roles are let through by the services' kind rule too."""
    admin = world.actors["admin"]
    assert admin is not None
    return NoteTemplate.objects.filter(name="Matrix coaching").first() or note_template_create(
        actor=admin, name="Matrix coaching", kind="coaching", sections=["plan"]
    )


def _api_notes_url(url: str, path: str, world: World, target: str, actor: User | None) -> str:
    """A note for the target patient, written by the acting role when it may write notes
    (only a draft's author edits or signs it), signed when the operation adds to one."""
    patient = world.own if target == "own" else world.other
    if "{note_id}" in url:
        writer = actor if actor is not None and actor.role in ("provider", "coordinator") else None
        author = writer or world.actors["provider"]
        assert author is not None
        note = note_start(actor=author, patient=patient, template=_matrix_note_template(world))
        if path.endswith(("/sign", "/addenda")):
            note_save(actor=author, note=note, sections={"plan": "Matrix"})
        if path.endswith("/addenda"):
            note_sign(actor=author, note=note)
        url = url.replace("{note_id}", str(note.id))
    if path == "/api/v1/care/notes":
        url += f"?patient_id={patient.id}"
    return url


def _api_notes_body(path: str, method: str, world: World, target: str) -> dict[str, Any] | None:
    if method == "GET":
        return None
    patient = world.own if target == "own" else world.other
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/care/note-templates": {
            "name": "Matrix new template",
            "kind": "progress",
            "sections": ["assessment", "plan"],
        },
        "/api/v1/care/notes": {
            "patient_id": patient.id,
            "template_id": _matrix_note_template(world).id,
        },
        "/api/v1/care/notes/{note_id}": {"sections": {"plan": "Matrix plan"}},
        "/api/v1/care/notes/{note_id}/addenda": {"text": "Matrix addendum"},
    }
    return bodies.get(path, {})


# --- messaging API --------------------------------------------------------------------------

# Messaging rows a refused API request must leave as they were, beside GUARDED_MODELS.
API_MESSAGING_MODELS: tuple[type[models.Model], ...] = (
    Thread,
    Message,
    ThreadChange,
    ReadState,
    ResponseClock,
    ThreadNotice,
    Attachment,
    MessagingTeam,
    RoutingRule,
    ReplyTemplate,
)
# A patient may do these to their own threads (anything else of messaging is "not found").
MESSAGING_PATIENT_OPERATIONS = {
    ("GET", "/api/v1/messaging/threads"),
    ("POST", "/api/v1/messaging/threads"),
    ("GET", "/api/v1/messaging/threads/{thread_id}"),
    ("POST", "/api/v1/messaging/threads/{thread_id}/messages"),
    ("POST", "/api/v1/messaging/threads/{thread_id}/read"),
    ("POST", "/api/v1/messaging/threads/{thread_id}/sharing"),
    ("GET", "/api/v1/messaging/attachments/{attachment_id}"),
}
# Sent as multipart forms: a message travels with its files.
MESSAGING_MULTIPART = {
    ("POST", "/api/v1/messaging/threads"),
    ("POST", "/api/v1/messaging/threads/{thread_id}/messages"),
}
MATRIX_PDF = b"%PDF-1.7\n%%EOF\n"


def _matrix_teams(world: World) -> dict[str, MessagingTeam]:
    """A claiming team for each staff role; new "other" threads are routed to the admins'.

    Both matrix patients are members of a plan with messaging, so they may write."""
    admin = world.actors["admin"]
    assert admin is not None
    teams = {}
    for role in ("admin", "provider", "coordinator", "front_desk", "billing"):
        teams[role] = MessagingTeam.objects.filter(name=f"Matrix {role}").first() or (
            messaging_team_save(actor=admin, name=f"Matrix {role}", role=Role(role))
        )
    if not RoutingRule.objects.filter(topic=Topic.OTHER).exists():
        routing_rule_save(
            actor=admin, topic=Topic.OTHER, target=RoutingTarget.TEAM, team=teams["admin"]
        )
    now = clock.now()
    plan, created = Plan.objects.get_or_create(
        code="matrix-messaging",
        defaults={
            "name": "Matrix Messaging",
            "rank": 5,
            "status": "active",
            "messaging_enabled": True,
            "response_target_business_hours": 8,
            "created_at": now,
            "updated_at": now,
        },
    )
    if created:
        PlanPrice.objects.create(
            plan=plan, interval="monthly", version=1, amount=9900, created_at=now
        )
        for patient in (world.own, world.other):
            membership_enroll(
                actor=admin,
                plan=plan,
                interval="monthly",
                payer_patient=patient,
                members=[MemberSpec(patient=patient, role=MemberRole.PRIMARY)],
                start_date=clock.today(),
                payment_method_on_file=True,
            )
    return teams


def _matrix_thread(
    world: World, target: str, path: str, actor: User | None, *, attachment: bool = False
) -> Thread:
    """A thread of the target patient in the acting staff member's team (so their role's
    view rule lets them see it), in the state the operation acts on."""
    teams = _matrix_teams(world)
    patient = world.own if target == "own" else world.other
    assert patient.user is not None
    uploads = (
        [AttachmentUpload(file_name="matrix.pdf", content_type="application/pdf", data=MATRIX_PDF)]
        if attachment
        else []
    )
    thread = thread_start(
        actor=patient.user, topic=Topic.OTHER, body="Matrix question", attachments=uploads
    )
    role = actor.role if actor is not None and actor.is_clinic_staff else "admin"
    Thread.objects.filter(pk=thread.pk).update(team=teams[role])
    thread.refresh_from_db()
    admin = world.actors["admin"]
    assert admin is not None
    if path.endswith("/reassign"):
        thread_assign(actor=admin, thread=thread, assignee=world.staff_target)
    if path.endswith("/reopen"):
        thread_close(actor=admin, thread=thread)
    if path.endswith("/sharing"):
        # Only a member whose household someone else heads has anyone to share with.
        household = Household.objects.create(
            name="Matrix sharing household", head=world.loose, created_at=clock.now()
        )
        Patient.objects.filter(pk__in=[patient.pk, world.loose.pk]).update(household=household)
    return thread


def _api_messaging_url(url: str, path: str, world: World, target: str, actor: User | None) -> str:
    teams = _matrix_teams(world)
    if "{thread_id}" in url:
        url = url.replace("{thread_id}", str(_matrix_thread(world, target, path, actor).id))
    if "{attachment_id}" in url:
        thread = _matrix_thread(world, target, path, actor, attachment=True)
        found = Attachment.objects.get(thread=thread)
        url = url.replace("{attachment_id}", str(found.id))
    if "{template_id}" in url:
        admin = world.actors["admin"]
        assert admin is not None
        template = ReplyTemplate.objects.filter(name="Matrix template").first() or (
            reply_template_save(actor=admin, name="Matrix template", body="Thank you.")
        )
        url = url.replace("{template_id}", str(template.id))
    url = url.replace("{topic}", Topic.OTHER.value)
    if path == "/api/v1/messaging/figures":
        today = clock.today().isoformat()
        url += f"?start={today}&end={today}"
    assert teams
    return url


def _api_messaging_body(path: str, method: str, world: World) -> dict[str, Any] | None:
    if method in ("GET", "DELETE"):
        return None
    teams = _matrix_teams(world)
    admin = world.actors["admin"]
    assert admin is not None
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/messaging/threads": {"topic": "other", "body": "Matrix new thread"},
        "/api/v1/messaging/threads/{thread_id}/messages": {"body": "Matrix message"},
        "/api/v1/messaging/threads/{thread_id}/notes": {"body": "Matrix note"},
        "/api/v1/messaging/threads/{thread_id}/sharing": {"shared": True},
        "/api/v1/messaging/threads/{thread_id}/assign": {"assignee_id": world.staff_target.id},
        "/api/v1/messaging/threads/{thread_id}/reassign": {
            "assignee_id": admin.id,
            "reason": "Matrix",
        },
        "/api/v1/messaging/routing-rules/{topic}": {
            "target": "team",
            "team_id": teams["provider"].id,
        },
        "/api/v1/messaging/reply-templates": {"name": "Matrix new template", "body": "Hello."},
        "/api/v1/messaging/reply-templates/{template_id}": {
            "name": "Matrix template",
            "body": "Changed.",
        },
    }
    return bodies.get(path, {})


def _signed_stripe_event(settings: Any) -> tuple[bytes, dict[str, str]]:
    """An event of a kind Careloop ignores, signed with the test secret set in `settings`."""
    settings.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    event = stripe_event(
        event_id="evt_matrix",
        event_type="customer.created",
        created=clock.now(),
        data_object={"id": "cus_matrix", "object": "customer"},
    )
    return signed_webhook(event, TEST_WEBHOOK_SECRET, at=clock.now())


def _api_cases() -> Iterator[Any]:
    for method, path, capability in _api_operations():
        for target in TARGETS if "{" in path else ("own",):
            yield pytest.param(method, path, capability, target, id=f"{method}-{path}-{target}")


def _api_built_per_actor(path: str) -> bool:
    """A note is written by the acting role when it may write notes, a thread sits in the
    acting staff member's team: those operations' rows are built again for each role."""
    return path.startswith("/api/v1/messaging/") or "{note_id}" in path


@pytest.mark.parametrize(("method", "path", "capability", "target"), list(_api_cases()))
def test_api_access(world, settings, subtests, method, path, capability, target):
    """Each role in turn, as a subtest, from the same rows (see test_web_access). Message
    files go to the test's own folder (the autouse `_attachment_folder`)."""
    messaging = path.startswith("/api/v1/messaging/")
    if messaging:
        _matrix_teams(world)  # the teams and members every messaging operation needs
    per_actor = _api_built_per_actor(path)
    shared = None if per_actor else _api_url(path, world, target, None)
    if messaging:
        body = _api_messaging_body(path, method, world)
    else:
        body = _api_body(path, method, world, target)
    for role in ROLES:
        with subtests.test(role=role), rolled_back():
            actor = world.actors[role]
            url = _api_url(path, world, target, actor) if shared is None else shared
            _check_api_access(world, settings, method, path, capability, role, target, url, body)


def _api_url(path: str, world: World, target: str, actor: User | None) -> str:
    """The operation's address with its ids filled, each row in the state the operation
    acts on."""
    patient = world.own if target == "own" else world.other
    url = path.replace("{patient_id}", str(patient.id)).replace(
        "{household_id}", str(world.households[target].id)
    )
    if any(key in url for key in ("{plan_id}", "{service_id}", "{sponsor_id}")):
        catalog = _catalog(world)
        for key, value in {
            "{plan_id}": catalog.plan.id,
            "{service_id}": catalog.service.id,
            "{sponsor_id}": catalog.sponsor.id,
            "{entry_id}": catalog.entry.id,
            "{interval}": "monthly",
        }.items():
            url = url.replace(key, str(value))
    if path.startswith("/api/v1/billing/"):
        url = _api_billing_url(url, path, world, target)
    if "{membership_id}" in url:
        url = _api_membership_url(url, path, world, target)
    if path == "/api/v1/coverage":
        url += f"?patient_id={patient.id}&service_id={_catalog(world).service.id}"
    if path.startswith("/api/v1/scheduling/"):
        url = _api_scheduling_url(url, path, world, target)
    if path.startswith("/api/v1/care/labs/"):
        url = _api_labs_url(url, path, world, target)
    elif path.startswith(("/api/v1/care/notes", "/api/v1/care/note-templates")):
        url = _api_notes_url(url, path, world, target, actor)
    elif path.startswith("/api/v1/care/"):
        url = _api_care_url(url, path, world, target)
    if path.startswith("/api/v1/messaging/"):
        url = _api_messaging_url(url, path, world, target, actor)
    return url


def _check_api_access(
    world: World,
    settings: Any,
    method: str,
    path: str,
    capability: str | None,
    role: str,
    target: str,
    url: str,
    body: dict[str, Any] | None,
) -> None:
    actor = world.actors[role]
    client = _client(actor)
    patient = world.own if target == "own" else world.other
    public = (method, path) in PUBLIC_API_OPERATIONS
    if public:
        expected: int | None = None
    elif role == "anonymous":
        expected = 401
    elif capability is None:
        expected = None
    elif role == "patient":
        own_reads = {
            "/api/v1/patients/{patient_id}",
            "/api/v1/memberships/{membership_id}",
            "/api/v1/memberships/{membership_id}/balances",
            "/api/v1/coverage",
        }
        own_read = method == "GET" and path in own_reads and target == "own"
        if (method, path) in MESSAGING_PATIENT_OPERATIONS:
            own_read = target == "own"
        own_write = (
            method == "PATCH" and path == "/api/v1/patients/{patient_id}" and target == "own"
        )
        expected = None if own_read else (403 if own_write else 404)
    else:
        expected = None if Role(role) in POLICY[Capability(capability)] else 403

    guarded = GUARDED_MODELS + API_BILLING_MODELS + API_MESSAGING_MODELS
    before = _snapshot(guarded) if expected is not None else None
    if (method, path) in MESSAGING_MULTIPART:
        response = client.post(url, body)
    elif public:
        payload, headers = _signed_stripe_event(settings)
        response = client.generic(
            method, url, payload, content_type="application/json", headers=headers
        )
    elif body is None:
        response = client.generic(method, url)
    else:
        response = client.generic(method, url, json.dumps(body), content_type="application/json")

    if expected is None:
        assert response.status_code < 400, (response.status_code, response.content[:300])
        if method == "GET" and path in (
            "/api/v1/patients/{patient_id}",
            "/api/v1/memberships/{membership_id}",
            "/api/v1/billing/invoices/{invoice_id}",
            "/api/v1/billing/payments/{payment_id}",
            "/api/v1/billing/accounts/{account_id}",
            "/api/v1/scheduling/appointments/{appointment_id}",
            "/api/v1/care/tasks/{task_id}",
            "/api/v1/care/labs/orders/{order_id}",
            "/api/v1/care/notes/{note_id}",
            "/api/v1/messaging/threads/{thread_id}",
        ):
            assert actor is not None
            read = AuditEvent.objects.filter(patient_id=patient.id, actor_id=actor.id)
            assert read.filter(outcome="success").exists(), "a patient read left no audit event"
        return
    assert response.status_code == expected, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json")
    assert _snapshot(guarded) == before, "a refused request changed data"
