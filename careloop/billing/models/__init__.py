from careloop.billing.models.accounts import BillingAccount, PaymentMethod
from careloop.billing.models.discounts import (
    Discount,
    DiscountDuration,
    DiscountKind,
    DiscountRedemption,
)
from careloop.billing.models.invoices import (
    PERIOD_KINDS,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from careloop.billing.models.journal import EntryKind, JournalEntry, JournalLine, Ledger
from careloop.billing.models.payments import (
    AttemptStatus,
    AttemptTrigger,
    GatewayEvent,
    PaymentAttempt,
    Refund,
    RefundStatus,
    SandboxRecord,
)
from careloop.billing.models.runs import BillingRun, Notice, RunStatus
from careloop.billing.models.schedules import (
    AfterFinalFailure,
    BillingSettings,
    MembershipBilling,
    OverageBilling,
)

__all__ = [
    "PERIOD_KINDS",
    "AfterFinalFailure",
    "AttemptStatus",
    "AttemptTrigger",
    "BillingAccount",
    "BillingRun",
    "BillingSettings",
    "Discount",
    "DiscountDuration",
    "DiscountKind",
    "DiscountRedemption",
    "EntryKind",
    "GatewayEvent",
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceStatus",
    "JournalEntry",
    "JournalLine",
    "Ledger",
    "LineKind",
    "MembershipBilling",
    "Notice",
    "OverageBilling",
    "PaymentAttempt",
    "PaymentMethod",
    "Refund",
    "RefundStatus",
    "RunStatus",
    "SandboxRecord",
]
