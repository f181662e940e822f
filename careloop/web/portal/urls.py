from django.urls import path

from careloop.web.portal import messages, views

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
    path("messages/", messages.messages_list, name="messages"),
    path("messages/new/", messages.message_start, name="message_start"),
    path("messages/<int:thread_id>/", messages.message_thread, name="message_thread"),
    path("messages/<int:thread_id>/sharing/", messages.message_sharing, name="message_sharing"),
    path(
        "messages/attachments/<int:attachment_id>/",
        messages.message_attachment,
        name="message_attachment",
    ),
]
