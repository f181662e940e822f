from django.urls import path

from careloop.web.staff.billing.views import (
    discounts,
    invoices,
    overview,
    payers,
    receipts,
    settings,
)

urlpatterns = [
    path("", overview.billing_overview, name="billing_overview"),
    path("run/", overview.billing_run_now, name="billing_run_now"),
    path("invoices/", invoices.invoice_list, name="billing_invoice_list"),
    path("invoices/<int:invoice_id>/", invoices.invoice_detail, name="billing_invoice_detail"),
    path(
        "invoices/<int:invoice_id>/collect/",
        invoices.invoice_collect_now,
        name="billing_invoice_collect",
    ),
    path(
        "invoices/<int:invoice_id>/remind/",
        invoices.invoice_send_reminder,
        name="billing_invoice_remind",
    ),
    path(
        "invoices/<int:invoice_id>/void/", invoices.invoice_void_view, name="billing_invoice_void"
    ),
    path(
        "invoices/<int:invoice_id>/uncollectible/",
        invoices.invoice_uncollectible_view,
        name="billing_invoice_uncollectible",
    ),
    path(
        "invoices/<int:invoice_id>/payments/<int:attempt_id>/refund/",
        invoices.payment_refund,
        name="billing_payment_refund",
    ),
    path("invoices/<int:invoice_id>/receipt/", receipts.receipt, name="billing_receipt"),
    path(
        "invoices/<int:invoice_id>/receipt.pdf",
        receipts.receipt_download,
        name="billing_receipt_pdf",
    ),
    path("discounts/", discounts.discount_list, name="billing_discount_list"),
    path(
        "discounts/<int:discount_id>/deactivate/",
        discounts.discount_stop,
        name="billing_discount_deactivate",
    ),
    path("settings/", settings.billing_settings_edit, name="billing_settings"),
    path("payers/<int:patient_id>/cards/", payers.card_add, name="billing_card_add"),
    path("payers/<int:patient_id>/cards/setup/", payers.card_setup, name="billing_card_setup"),
    path(
        "payers/<int:patient_id>/cards/<int:method_id>/default/",
        payers.card_make_default,
        name="billing_card_make_default",
    ),
    path(
        "payers/<int:patient_id>/cards/<int:method_id>/remove/",
        payers.card_remove,
        name="billing_card_remove",
    ),
    path(
        "memberships/<int:membership_id>/discount/",
        payers.discount_code_redeem,
        name="billing_discount_redeem",
    ),
]
