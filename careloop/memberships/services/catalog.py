"""The catalog: services, plans, their price versions and benefits, cancellation reasons and
the clinic-wide membership settings. Only admins change it (Capability.CATALOG_MANAGE)."""

from typing import Any, TypedDict, Unpack

from django.db import transaction
from django.utils.text import slugify

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import Conflict, ValidationFailed
from careloop.memberships import catalog_rules as rules
from careloop.memberships.models import (
    AllowancePeriod,
    Benefit,
    CancellationReason,
    EntitlementEntry,
    Membership,
    MembershipSettings,
    MessagingPriority,
    PastDueCoverage,
    Plan,
    PlanKind,
    PlanPrice,
    PlanStatus,
    Rollover,
    Service,
    ServiceKind,
)
from careloop.memberships.periods import Interval
from careloop.memberships.selectors.catalog import membership_settings, price_in_use

# --- services -------------------------------------------------------------------------------


class ServiceFields(TypedDict, total=False):
    code: str
    name: str
    kind: str
    a_la_carte_price: int
    active: bool


def _clean_service(values: dict[str, Any], *, service: Service | None) -> dict[str, Any]:
    checks = rules.Checks()
    cleaned: dict[str, Any] = {
        "code": checks.run(lambda: rules.slug("code", values.get("code"), label="Code"), ""),
        "name": checks.run(
            lambda: rules.text("name", values.get("name"), label="Name", limit=120), ""
        ),
        "kind": checks.run(
            lambda: rules.choice(
                "kind", values.get("kind"), label="Kind", choices=ServiceKind.choices
            ),
            "",
        ),
        "a_la_carte_price": checks.run(
            lambda: rules.amount(
                "a_la_carte_price", values.get("a_la_carte_price"), label="A-la-carte price"
            ),
            0,
        ),
        "active": checks.run(
            lambda: rules.flag("active", values.get("active", True), label="Active"), True
        ),
    }
    if not checks.has("code"):
        taken = Service.objects.filter(code=cleaned["code"])
        if service is not None:
            taken = taken.exclude(id=service.id)
        if taken.exists():
            checks.add(
                "code", f"Another service already has the code “{cleaned['code']}”.", "taken"
            )
    checks.raise_if_any()
    return cleaned


def service_create(*, actor: User, **fields: Unpack[ServiceFields]) -> Service:
    """Add a service to the catalog; its a-la-carte price is what non-members pay."""
    with transaction.atomic():
        cleaned = _clean_service(dict(fields), service=None)
        service = Service.objects.create(**cleaned)
        audit_record(
            action="catalog.service_create",
            actor=actor,
            object_type="service",
            object_id=service.id,
            detail={"fields": sorted(cleaned)},
        )
    return service


def service_update(*, actor: User, service: Service, **changes: Unpack[ServiceFields]) -> Service:
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(id=service.id)
        current = {name: getattr(locked, name) for name in ServiceFields.__annotations__}
        cleaned = _clean_service(current | dict(changes), service=locked)
        changed = sorted(name for name, value in cleaned.items() if current[name] != value)
        if changed:
            for name in changed:
                setattr(locked, name, cleaned[name])
            locked.save(update_fields=changed)
            audit_record(
                action="catalog.service_update",
                actor=actor,
                object_type="service",
                object_id=locked.id,
                detail={"fields": changed},
            )
    return locked


# --- plans ----------------------------------------------------------------------------------


class PlanFields(TypedDict, total=False):
    code: str
    name: str
    description: str
    kind: str
    enrollment_fee: int
    minimum_commitment_months: int
    early_termination_fee: int
    pause_allowed: bool
    pause_longest_months: int
    pause_fee_per_month: int
    cancellation_notice_days: int
    renews: bool
    messaging_enabled: bool
    response_target_business_hours: int | None
    messaging_priority: str
    messaging_daily_limit: int | None
    rank: int


PLAN_FIELDS: tuple[str, ...] = tuple(PlanFields.__annotations__)
PLAN_DEFAULTS: dict[str, Any] = {
    "description": "",
    "kind": PlanKind.TIER.value,
    "enrollment_fee": 0,
    "minimum_commitment_months": 0,
    "early_termination_fee": 0,
    "pause_allowed": False,
    "pause_longest_months": 0,
    "pause_fee_per_month": 0,
    "cancellation_notice_days": 0,
    "renews": True,
    "messaging_enabled": False,
    "response_target_business_hours": None,
    "messaging_priority": MessagingPriority.STANDARD.value,
    "messaging_daily_limit": None,
    "rank": 0,
}

# The only moves a plan's status makes: a draft goes on sale, a plan on sale is retired.
PLAN_STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.ACTIVE}),
    PlanStatus.ACTIVE: frozenset({PlanStatus.RETIRED}),
    PlanStatus.RETIRED: frozenset(),
}


def _clean_plan(values: dict[str, Any], *, plan: Plan | None) -> dict[str, Any]:
    checks = rules.Checks()

    def number(field: str, label: str, high: int, *, low: int = 0) -> int:
        return checks.run(
            lambda: rules.count(field, values.get(field), label=label, low=low, high=high), 0
        )

    def money(field: str, label: str) -> int:
        return checks.run(lambda: rules.amount(field, values.get(field), label=label), 0)

    def flag(field: str, label: str) -> bool:
        return checks.run(lambda: rules.flag(field, values.get(field), label=label), False)

    cleaned: dict[str, Any] = {
        "code": checks.run(lambda: rules.slug("code", values.get("code"), label="Code"), ""),
        "name": checks.run(
            lambda: rules.text("name", values.get("name"), label="Name", limit=120), ""
        ),
        "description": checks.run(
            lambda: rules.text(
                "description",
                values.get("description"),
                label="Description",
                limit=4000,
                required=False,
            ),
            "",
        ),
        "kind": checks.run(
            lambda: rules.choice(
                "kind", values.get("kind"), label="Kind", choices=PlanKind.choices
            ),
            PlanKind.TIER.value,
        ),
        "enrollment_fee": money("enrollment_fee", "Enrollment fee"),
        "minimum_commitment_months": number(
            "minimum_commitment_months", "Minimum commitment (months)", 120
        ),
        "early_termination_fee": money("early_termination_fee", "Early-termination fee"),
        "pause_allowed": flag("pause_allowed", "Pause allowed"),
        "pause_longest_months": number("pause_longest_months", "Longest pause (months)", 24),
        "pause_fee_per_month": money("pause_fee_per_month", "Fee per paused month"),
        "cancellation_notice_days": number(
            "cancellation_notice_days", "Cancellation notice (days)", 365
        ),
        "renews": flag("renews", "Renews at the end of each term"),
        "messaging_enabled": flag("messaging_enabled", "Messaging"),
        "response_target_business_hours": None,
        "messaging_daily_limit": None,
        "messaging_priority": checks.run(
            lambda: rules.choice(
                "messaging_priority",
                values.get("messaging_priority"),
                label="Messaging priority",
                choices=MessagingPriority.choices,
            ),
            MessagingPriority.STANDARD.value,
        ),
        "rank": number("rank", "Rank", 1000),
    }
    if (
        cleaned["early_termination_fee"]
        and not cleaned["minimum_commitment_months"]
        and not checks.has("minimum_commitment_months")
    ):
        checks.add(
            "early_termination_fee",
            "An early-termination fee needs a minimum commitment; set the minimum "
            "commitment in months, or make the fee 0.",
            "needs_commitment",
        )
    if cleaned["pause_allowed"]:
        if not checks.has("pause_longest_months") and cleaned["pause_longest_months"] < 1:
            checks.add(
                "pause_longest_months",
                "When pausing is allowed, the longest pause must be at least 1 month.",
                "required",
            )
    else:
        # Without pausing these numbers mean nothing; keeping them would show a stale policy.
        cleaned["pause_longest_months"] = 0
        cleaned["pause_fee_per_month"] = 0
    if cleaned["messaging_enabled"]:
        cleaned["response_target_business_hours"] = checks.run(
            lambda: rules.whole_number(
                "response_target_business_hours",
                values.get("response_target_business_hours"),
                label="Response-time target (business hours)",
                low=1,
                high=720,
            ),
            None,
        )
        cleaned["messaging_daily_limit"] = checks.run(
            lambda: rules.whole_number(
                "messaging_daily_limit",
                values.get("messaging_daily_limit"),
                label="Messages a patient may send a day",
                low=1,
                high=500,
                required=False,
            ),
            None,
        )
    if not checks.has("code"):
        taken = Plan.objects.filter(code=cleaned["code"])
        if plan is not None:
            taken = taken.exclude(id=plan.id)
        if taken.exists():
            checks.add("code", f"Another plan already has the code “{cleaned['code']}”.", "taken")
    if not checks.has("name"):
        same_name = Plan.objects.filter(name__iexact=cleaned["name"])
        if plan is not None:
            same_name = same_name.exclude(id=plan.id)
        if same_name.exists():
            checks.add("name", f"Another plan is already called “{cleaned['name']}”.", "taken")
    if plan is not None and cleaned["kind"] != plan.kind and _has_memberships(plan):
        checks.add(
            "kind",
            "This plan has memberships, so it cannot change between tier and add-on program.",
            "has_memberships",
        )
    checks.raise_if_any()
    return cleaned


def _has_memberships(plan: Plan) -> bool:
    return Membership.objects.filter(plan=plan).exists()


def plan_create(*, actor: User, **fields: Unpack[PlanFields]) -> Plan:
    """Design a plan; it starts as a draft, which sells nothing until it is made active."""
    with transaction.atomic():
        cleaned = _clean_plan(PLAN_DEFAULTS | dict(fields), plan=None)
        now = clock.now()
        plan = Plan.objects.create(
            **cleaned, status=PlanStatus.DRAFT, created_at=now, updated_at=now
        )
        audit_record(
            action="catalog.plan_create",
            actor=actor,
            object_type="plan",
            object_id=plan.id,
            detail={"fields": sorted(cleaned)},
        )
    return plan


def plan_update(
    *, actor: User, plan: Plan, status: str | None = None, **changes: Unpack[PlanFields]
) -> Plan:
    """Change a plan's terms, and its status along draft -> active -> retired.

    A plan goes on sale only with at least one price. Changes to terms reach existing members
    too (prices do not: they are versioned, see plan_price_set).
    """
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(id=plan.id)
        current = {name: getattr(locked, name) for name in PLAN_FIELDS}
        checks = rules.Checks()
        try:
            cleaned = _clean_plan(current | dict(changes), plan=locked)
        except ValidationFailed as error:
            checks.errors.extend(error.errors)
            cleaned = current
        new_status = locked.status if status is None else status
        if new_status != locked.status:
            checks.run(lambda: _check_status_change(locked, new_status), None)
        checks.raise_if_any()
        changed = sorted(name for name, value in cleaned.items() if current[name] != value)
        if new_status != locked.status:
            changed.append("status")
            locked.status = new_status
        if changed:
            for name in changed:
                if name != "status":
                    setattr(locked, name, cleaned[name])
            locked.updated_at = clock.now()
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                action="catalog.plan_update",
                actor=actor,
                object_type="plan",
                object_id=locked.id,
                detail={"fields": sorted(changed), "status": locked.status},
            )
    return locked


def _check_status_change(plan: Plan, status: str) -> None:
    target = rules.choice("status", status, label="Status", choices=PlanStatus.choices)
    if target not in PLAN_STATUS_TRANSITIONS[plan.status]:
        current_label = PlanStatus(plan.status).label.lower()
        allowed = PLAN_STATUS_TRANSITIONS[plan.status]
        hint = (
            f"it can only become {', '.join(PlanStatus(s).label.lower() for s in allowed)}"
            if allowed
            else "a retired plan stays retired (it keeps its members but sells no more)"
        )
        raise ValidationFailed.single(
            "status",
            f"A {current_label} plan cannot become {PlanStatus(target).label.lower()}; {hint}.",
            "illegal_status_change",
        )
    if target == PlanStatus.ACTIVE and not plan.prices.filter(current=True).exists():
        raise ValidationFailed.single(
            "status",
            "Set a price for at least one billing interval before putting the plan on sale.",
            "needs_price",
        )


def plan_delete(*, actor: User, plan: Plan) -> None:
    """Delete a draft that nobody holds; plans that were ever on sale are retired instead."""
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(id=plan.id)
        if locked.status != PlanStatus.DRAFT:
            raise Conflict(
                f"Only a draft can be deleted; “{locked.name}” is "
                f"{PlanStatus(locked.status).label.lower()}. Retire it instead.",
                code="not_a_draft",
            )
        if _has_memberships(locked):
            raise Conflict(f"“{locked.name}” has memberships and cannot be deleted.")
        plan_id, name = locked.id, locked.name
        locked.benefits.all().delete()
        locked.prices.all().delete()
        locked.delete()
        audit_record(
            action="catalog.plan_delete",
            actor=actor,
            object_type="plan",
            object_id=plan_id,
            detail={"fields": ["name"], "name": name},
        )


# --- prices ---------------------------------------------------------------------------------


def plan_price_set(
    *,
    actor: User,
    plan: Plan,
    interval: str,
    amount: int,
    additional_adult_amount: int = 0,
    child_amount: int = 0,
    child_age_limit: int = 18,
) -> PlanPrice:
    """Set a plan's price for one billing interval, with its household pricing.

    Prices are immutable once a membership uses them: a change then creates the next version
    for new enrollments and existing members keep theirs. A draft's unused price is replaced in
    place, because nothing can have been sold, quoted or scheduled against a draft.
    """
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(id=plan.id)
        checks = rules.Checks()
        cleaned_interval = checks.run(
            lambda: rules.choice(
                "interval", interval, label="Billing interval", choices=Interval.choices
            ),
            "",
        )
        values = {
            "amount": checks.run(lambda: rules.amount("amount", amount, label="Price"), 0),
            "additional_adult_amount": checks.run(
                lambda: rules.amount(
                    "additional_adult_amount",
                    additional_adult_amount,
                    label="Price per additional adult",
                ),
                0,
            ),
            "child_amount": checks.run(
                lambda: rules.amount("child_amount", child_amount, label="Price per child"), 0
            ),
            "child_age_limit": checks.run(
                lambda: rules.count(
                    "child_age_limit", child_age_limit, label="Child age limit", low=1, high=26
                ),
                18,
            ),
        }
        if locked.status == PlanStatus.RETIRED:
            checks.add(
                "interval",
                f"“{locked.name}” is retired and sells no more, so its prices cannot change.",
                "plan_retired",
            )
        checks.raise_if_any()
        current = (
            PlanPrice.objects.select_for_update()
            .filter(plan=locked, interval=cleaned_interval, current=True)
            .first()
        )
        if current is not None and all(
            getattr(current, name) == value for name, value in values.items()
        ):
            return current
        now = clock.now()
        if current is not None and locked.status == PlanStatus.DRAFT and not price_in_use(current):
            for name, value in values.items():
                setattr(current, name, value)
            current.created_at = now
            current.save(update_fields=[*values, "created_at"])
            price = current
            replaced = True
        else:
            last = (
                PlanPrice.objects.filter(plan=locked, interval=cleaned_interval)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
            )
            if current is not None:
                # Cleared first: the partial unique index allows one current row per interval.
                PlanPrice.objects.filter(id=current.id).update(current=False)
            price = PlanPrice.objects.create(
                plan=locked,
                interval=cleaned_interval,
                version=(last or 0) + 1,
                current=True,
                created_at=now,
                **values,
            )
            replaced = False
        audit_record(
            action="catalog.price_set",
            actor=actor,
            object_type="plan",
            object_id=locked.id,
            detail={
                "fields": sorted(values),
                "interval": cleaned_interval,
                "version": price.version,
                "replaced_unused": replaced,
            },
        )
    return price


# --- benefits -------------------------------------------------------------------------------


def benefit_set(
    *,
    actor: User,
    plan: Plan,
    service_id: int,
    allowance: int | None,
    allowance_period: str = AllowancePeriod.MONTH.value,
    rollover: str = Rollover.NONE.value,
    rollover_cap: int | None = None,
    rollover_expires_after_periods: int | None = None,
    member_price: int | None = None,
    member_discount_percent: int | None = None,
) -> Benefit:
    """Include a service in a plan, or change how it is included.

    `allowance` None is unlimited. Rollover needs a limited allowance that renews (not per
    term); "up to" needs its cap and "expiring" its number of periods. Beyond the allowance a
    member pays `member_price`, or the a-la-carte price less `member_discount_percent`, or the
    a-la-carte price when neither is given, never both.
    """
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(id=plan.id)
        checks = rules.Checks()
        service = Service.objects.filter(id=service_id).first() if service_id else None
        existing = Benefit.objects.filter(plan=locked, service=service).first() if service else None
        if service is None:
            checks.add(
                "service",
                f"There is no service with id {service_id}; choose one from the catalog.",
                "not_found",
            )
        elif not service.active and existing is None:
            checks.add(
                "service",
                f"“{service.name}” is no longer offered; reactivate it first.",
                "inactive",
            )
        if locked.status == PlanStatus.RETIRED:
            checks.add(
                "plan", f"“{locked.name}” is retired; its benefits are kept as they are.", "retired"
            )
        cleaned_allowance = checks.run(
            lambda: rules.whole_number(
                "allowance", allowance, label="Allowance", high=1000, required=False
            ),
            None,
        )
        period = checks.run(
            lambda: rules.choice(
                "allowance_period",
                allowance_period,
                label="Allowance period",
                choices=AllowancePeriod.choices,
            ),
            AllowancePeriod.MONTH.value,
        )
        rollover_rule = checks.run(
            lambda: rules.choice("rollover", rollover, label="Rollover", choices=Rollover.choices),
            Rollover.NONE.value,
        )
        cap = checks.run(
            lambda: rules.whole_number(
                "rollover_cap", rollover_cap, label="Rollover cap", low=1, high=1000, required=False
            ),
            None,
        )
        expires = checks.run(
            lambda: rules.whole_number(
                "rollover_expires_after_periods",
                rollover_expires_after_periods,
                label="Rollover expiry (periods)",
                low=1,
                high=60,
                required=False,
            ),
            None,
        )
        _check_rollover(checks, rollover_rule, cleaned_allowance, period, cap, expires)
        price = checks.run(
            lambda: (
                None
                if member_price is None
                else rules.amount("member_price", member_price, label="Member price")
            ),
            None,
        )
        discount = checks.run(
            lambda: rules.whole_number(
                "member_discount_percent",
                member_discount_percent,
                label="Member discount (percent)",
                low=1,
                high=100,
                required=False,
            ),
            None,
        )
        if member_price is not None and member_discount_percent is not None:
            checks.add(
                "member_discount_percent",
                "Give a member price or a discount off the a-la-carte price, not both.",
                "price_and_discount",
            )
        checks.raise_if_any()
        assert service is not None
        values = {
            "allowance": cleaned_allowance,
            "allowance_period": period,
            "rollover": rollover_rule,
            "rollover_cap": cap,
            "rollover_expires_after_periods": expires,
            "member_price": price,
            "member_discount_percent": discount,
        }
        if existing is None:
            benefit = Benefit.objects.create(plan=locked, service=service, **values)
            changed = sorted(values)
        else:
            changed = sorted(
                name for name, value in values.items() if getattr(existing, name) != value
            )
            for name in changed:
                setattr(existing, name, values[name])
            if changed:
                existing.save(update_fields=changed)
            benefit = existing
        if changed:
            audit_record(
                action="catalog.benefit_set",
                actor=actor,
                object_type="plan",
                object_id=locked.id,
                detail={"fields": changed, "service_id": service.id, "created": existing is None},
            )
    return benefit


def _check_rollover(
    checks: rules.Checks,
    rollover: str,
    allowance: int | None,
    period: str,
    cap: int | None,
    expires: int | None,
) -> None:
    if rollover != Rollover.NONE:
        if allowance is None and not checks.has("allowance"):
            checks.add("rollover", "An unlimited allowance has nothing to roll over.", "unlimited")
        elif allowance == 0:
            checks.add("rollover", "An allowance of 0 has nothing to roll over.", "nothing")
        if period == AllowancePeriod.TERM:
            checks.add(
                "rollover",
                "A per-term allowance has no next period to roll into; choose no rollover.",
                "per_term",
            )
    if rollover == Rollover.UP_TO and cap is None and not checks.has("rollover_cap"):
        checks.add(
            "rollover_cap",
            "Rollover up to a cap needs the cap: how many uses may roll over.",
            "required",
        )
    if rollover != Rollover.UP_TO and cap is not None:
        checks.add(
            "rollover_cap",
            "Leave the rollover cap empty unless rollover is “up to a cap”.",
            "not_applicable",
        )
    if (
        rollover == Rollover.EXPIRING
        and expires is None
        and not checks.has("rollover_expires_after_periods")
    ):
        checks.add(
            "rollover_expires_after_periods",
            "Expiring rollover needs the number of periods after which rolled-over uses expire.",
            "required",
        )
    if rollover != Rollover.EXPIRING and expires is not None:
        checks.add(
            "rollover_expires_after_periods",
            "Leave the expiry empty unless rollover is “expiring after some periods”.",
            "not_applicable",
        )


def benefit_remove(*, actor: User, plan: Plan, service_id: int) -> None:
    """Take a service out of a plan; refused once members have been granted it."""
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(id=plan.id)
        benefit = Benefit.objects.filter(plan=locked, service_id=service_id).first()
        if benefit is None:
            raise ValidationFailed.single(
                "service", f"“{locked.name}” has no benefit for service {service_id}.", "not_found"
            )
        if EntitlementEntry.objects.filter(benefit=benefit).exists():
            raise Conflict(
                f"Members have already been granted “{benefit.service.name}” under "
                f"“{locked.name}”, so the ledger still refers to it; set its allowance to 0 "
                "instead.",
                code="benefit_in_use",
            )
        benefit.delete()
        audit_record(
            action="catalog.benefit_remove",
            actor=actor,
            object_type="plan",
            object_id=locked.id,
            detail={"fields": ["service"], "service_id": service_id},
        )


# --- cancellation reasons and settings ------------------------------------------------------


def cancellation_reason_create(*, actor: User, label: str, code: str = "") -> CancellationReason:
    with transaction.atomic():
        checks = rules.Checks()
        cleaned_label = checks.run(
            lambda: rules.text("label", label, label="Reason", limit=120), ""
        )
        cleaned_code = checks.run(
            lambda: rules.slug("code", code or slugify(cleaned_label), label="Code"), ""
        )
        checks.raise_if_any()
        if CancellationReason.objects.filter(label__iexact=cleaned_label).exists():
            raise ValidationFailed.single(
                "label", f"“{cleaned_label}” is already on the list.", "taken"
            )
        if CancellationReason.objects.filter(code=cleaned_code).exists():
            raise ValidationFailed.single(
                "code", f"Another reason already has the code “{cleaned_code}”.", "taken"
            )
        reason = CancellationReason.objects.create(code=cleaned_code, label=cleaned_label)
        audit_record(
            action="catalog.reason_create",
            actor=actor,
            object_type="cancellation_reason",
            object_id=reason.id,
            detail={"fields": ["code", "label"]},
        )
    return reason


def cancellation_reason_update(
    *,
    actor: User,
    reason: CancellationReason,
    label: str | None = None,
    active: bool | None = None,
) -> CancellationReason:
    """Rename a reason or take it off the list; memberships keep the reasons they were given."""
    with transaction.atomic():
        locked = CancellationReason.objects.select_for_update().get(id=reason.id)
        changed: list[str] = []
        if label is not None:
            cleaned = rules.text("label", label, label="Reason", limit=120)
            if (
                CancellationReason.objects.filter(label__iexact=cleaned)
                .exclude(id=locked.id)
                .exists()
            ):
                raise ValidationFailed.single(
                    "label", f"“{cleaned}” is already on the list.", "taken"
                )
            if cleaned != locked.label:
                locked.label = cleaned
                changed.append("label")
        if active is not None and active != locked.active:
            locked.active = rules.flag("active", active, label="Active")
            changed.append("active")
        if changed:
            locked.save(update_fields=changed)
            audit_record(
                action="catalog.reason_update",
                actor=actor,
                object_type="cancellation_reason",
                object_id=locked.id,
                detail={"fields": changed},
            )
    return locked


def membership_settings_update(
    *, actor: User, past_due_coverage: str, clinic_billing_day: int | None
) -> MembershipSettings:
    """Set the clinic-wide policy: coverage while past due, and one billing day (or none).

    The billing day applies to memberships enrolled with the clinic-day anchor from now on;
    existing memberships keep their anchors.
    """
    with transaction.atomic():
        settings_row = MembershipSettings.objects.select_for_update().get(
            id=membership_settings().id
        )
        checks = rules.Checks()
        coverage = checks.run(
            lambda: rules.choice(
                "past_due_coverage",
                past_due_coverage,
                label="Coverage while past due",
                choices=PastDueCoverage.choices,
            ),
            "",
        )
        day = checks.run(
            lambda: rules.whole_number(
                "clinic_billing_day",
                clinic_billing_day,
                label="Clinic billing day",
                low=1,
                high=31,
                required=False,
            ),
            None,
        )
        checks.raise_if_any()
        changed = [
            name
            for name, value in (("past_due_coverage", coverage), ("clinic_billing_day", day))
            if getattr(settings_row, name) != value
        ]
        if changed:
            settings_row.past_due_coverage = coverage
            settings_row.clinic_billing_day = day
            settings_row.save(update_fields=changed)
            audit_record(
                action="catalog.settings_update",
                actor=actor,
                object_type="membership_settings",
                object_id=settings_row.id,
                detail={"fields": changed},
            )
    return settings_row
