"""Billing accounts and saved cards."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.gateways import default_gateway_name, gateway_for
from careloop.billing.gateways.base import Gateway, GatewayError, SetupSession
from careloop.billing.models import BillingAccount, PaymentMethod
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.core.models import ClinicSettings
from careloop.memberships.models import Sponsor
from careloop.patients.models import Patient


def _currency() -> str:
    settings_row = ClinicSettings.objects.first()
    return settings_row.currency if settings_row is not None else "USD"


def billing_account_for(
    *, patient: Patient | None = None, sponsor: Sponsor | None = None
) -> BillingAccount:
    """The payer's billing account, created on first use (the gateway customer comes later,
    with the first card)."""
    if (patient is None) == (sponsor is None):
        raise ValueError("A billing account belongs to a patient or a sponsor")
    lookup = {"patient": patient} if patient is not None else {"sponsor": sponsor}
    found = BillingAccount.objects.filter(**lookup).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return BillingAccount.objects.create(
                **lookup,
                currency=_currency(),
                gateway=default_gateway_name(),
                created_at=clock.now(),
            )
    except IntegrityError:
        return BillingAccount.objects.get(**lookup)


def default_payment_method(account: BillingAccount) -> PaymentMethod | None:
    """The account's default card on file, if it has one (`default_payment_methods`)."""
    return default_payment_methods([account.pk]).get(account.pk)


# Accounts whose default cards one query reads (`default_payment_methods`).
CARDS_PER_QUERY = 5_000


def default_payment_methods(account_ids: Iterable[int]) -> dict[int, PaymentMethod]:
    """`default_payment_method` of many accounts, by account id, for those that have one: a
    query per 5,000 accounts (an account has at most one, `payment_method_one_default`)."""
    ids = sorted(set(account_ids))
    cards: dict[int, PaymentMethod] = {}
    for start in range(0, len(ids), CARDS_PER_QUERY):
        cards.update(
            (method.account_id, method)
            for method in PaymentMethod.objects.filter(
                account_id__in=ids[start : start + CARDS_PER_QUERY],
                is_default=True,
                removed_at__isnull=True,
            )
        )
    return cards


def _payer_name(account: BillingAccount) -> tuple[str, str]:
    if account.patient is not None:
        return account.patient.full_name, account.patient.email
    assert account.sponsor is not None
    return account.sponsor.name, account.sponsor.contact_email


def _ensure_customer(locked: BillingAccount, gateway: Gateway) -> None:
    if not locked.gateway_customer:
        name, email = _payer_name(locked)
        locked.gateway_customer = gateway.customer_create(
            account_id=locked.pk, name=name, email=email
        )
        locked.save(update_fields=["gateway_customer"])


def payment_method_setup_start(*, account: BillingAccount) -> SetupSession:
    """Begin saving a card in the browser: the payer's gateway customer (created once),
    then the gateway's setup session (a SetupIntent on Stripe)."""
    gateway = gateway_for(account.gateway)
    with transaction.atomic():
        locked = BillingAccount.objects.select_for_update().get(pk=account.pk)
        _ensure_customer(locked, gateway)
    account.refresh_from_db()
    return gateway.setup_start(customer=account.gateway_customer)


def payment_method_add(*, actor: User | None, account: BillingAccount, token: str) -> PaymentMethod:
    """Keep a card the payer saved at the gateway, as the account's default.

    Careloop receives a token, never the number, and keeps the brand, last four digits and
    expiry. A new card retries what failed at once (the caller collects after commit; see
    careloop.billing.services.collection.collect_after_new_card).
    """
    token = token.strip()
    if not token:
        raise ValidationFailed.single("token", "Choose or enter a card first.", "required")
    gateway = gateway_for(account.gateway)
    with transaction.atomic():
        locked = BillingAccount.objects.select_for_update().get(pk=account.pk)
        _ensure_customer(locked, gateway)
        try:
            card = gateway.payment_method_details(customer=locked.gateway_customer, token=token)
        except GatewayError as error:
            raise ValidationFailed.single("token", str(error), "card_refused") from error
        locked.payment_methods.filter(is_default=True, removed_at__isnull=True).update(
            is_default=False
        )
        method = PaymentMethod.objects.create(
            account=locked,
            gateway=locked.gateway,
            token=card.token,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            is_default=True,
            created_at=clock.now(),
            created_by=actor,
        )
        audit_record(
            action="billing.card_added",
            actor=actor,
            patient_id=locked.patient_id,
            object_type="payment_method",
            object_id=method.pk,
            detail={"brand": card.brand, "last4": card.last4},
        )
    account.refresh_from_db()
    return method


def payment_method_make_default(*, actor: User | None, method: PaymentMethod) -> PaymentMethod:
    """Charge this saved card from now on instead of the current default.

    Like a new card, it retries what failed at once (the caller collects after commit)."""
    with transaction.atomic():
        locked = PaymentMethod.objects.select_for_update().get(pk=method.pk)
        if locked.removed_at is not None:
            raise ValidationFailed.single(
                "payment_method", "This card was removed; add it again to use it.", "removed"
            )
        if not locked.is_default:
            PaymentMethod.objects.filter(
                account_id=locked.account_id, is_default=True, removed_at__isnull=True
            ).update(is_default=False)
            locked.is_default = True
            locked.save(update_fields=["is_default"])
            audit_record(
                action="billing.card_made_default",
                actor=actor,
                patient_id=locked.account.patient_id,
                object_type="payment_method",
                object_id=locked.pk,
                detail={"last4": locked.last4},
            )
    method.refresh_from_db()
    return method


def payment_method_remove(*, actor: User | None, method: PaymentMethod) -> None:
    """Forget a card; the newest remaining card becomes the default."""
    with transaction.atomic():
        locked = PaymentMethod.objects.select_for_update().get(pk=method.pk)
        if locked.removed_at is not None:
            return
        was_default = locked.is_default
        locked.removed_at = clock.now()
        locked.is_default = False
        locked.save(update_fields=["removed_at", "is_default"])
        if was_default:
            successor = (
                PaymentMethod.objects.filter(account=locked.account, removed_at__isnull=True)
                .order_by("-created_at", "-id")
                .first()
            )
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default"])
        audit_record(
            action="billing.card_removed",
            actor=actor,
            patient_id=locked.account.patient_id,
            object_type="payment_method",
            object_id=locked.pk,
            detail={"last4": locked.last4},
        )
    method.refresh_from_db()
