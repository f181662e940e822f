from django.urls import path

from careloop.web.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("billing/", views.billing, name="billing"),
    path("billing/invoices/<int:invoice_id>/receipt/", views.receipt, name="receipt"),
    path(
        "billing/invoices/<int:invoice_id>/receipt.pdf",
        views.receipt_download,
        name="receipt_pdf",
    ),
]
