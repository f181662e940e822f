"""REST resources for billing, under /api/v1/billing.

Invoices (with their actions), payments and refunds, payers (billing accounts: balance,
journal, saved cards), discount codes, billing runs, previews of membership actions, and the
Stripe webhook. Reading needs billing.view (admins, front desk, billing staff); charging a
card, reminding a payer and managing cards billing.collect; voiding, writing off, discount
codes and runs billing.manage; refunds billing.refund; previews change nothing and need
billing.view. Patients get "not found" from every operation here. The webhook is public: its
signature authenticates it. Money is integer minor units with the currency beside it.
"""

from careloop.api.billing import accounts, discounts, invoices, payments, previews, runs, webhooks
from careloop.api.billing.common import (
    accounts_router,
    billing_memberships_router,
    discounts_router,
    invoices_router,
    payments_router,
    refunds_router,
    runs_router,
    webhooks_router,
)

__all__ = [
    "accounts",
    "accounts_router",
    "billing_memberships_router",
    "discounts",
    "discounts_router",
    "invoices",
    "invoices_router",
    "payments",
    "payments_router",
    "previews",
    "refunds_router",
    "runs",
    "runs_router",
    "webhooks",
    "webhooks_router",
]
