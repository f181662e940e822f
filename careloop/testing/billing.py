"""Emptying billing tables in tests that rebuild the demo from nothing.

The journal is append-only: on PostgreSQL a trigger refuses DELETE, and only TRUNCATE is let
through in tests (careloop.allow_audit_truncate). SQLite has no trigger.

PostgreSQL refuses TRUNCATE on a table with deferred foreign-key checks still pending in the
transaction (rows written earlier in the same test), so those checks are run first.
"""

from django.db import connection

from careloop.billing.models import (
    BillingAccount,
    BillingRun,
    Discount,
    DiscountRedemption,
    GatewayEvent,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    MembershipBilling,
    Notice,
    PaymentAttempt,
    PaymentMethod,
    Refund,
    SandboxRecord,
)


def forget_billing() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE billing_journalline, billing_journalentry")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        JournalLine.objects.all().delete()
        JournalEntry.objects.all().delete()
    Refund.objects.all().delete()
    PaymentAttempt.objects.all().delete()
    InvoiceLine.objects.update(credits_line=None)
    InvoiceLine.objects.all().delete()
    Invoice.objects.all().delete()
    DiscountRedemption.objects.all().delete()
    Discount.objects.all().delete()
    MembershipBilling.objects.all().delete()
    Notice.objects.all().delete()
    PaymentMethod.objects.all().delete()
    BillingAccount.objects.all().delete()
    BillingRun.objects.all().delete()
    GatewayEvent.objects.all().delete()
    SandboxRecord.objects.all().delete()
