from django.urls import URLPattern, URLResolver, path

from careloop.web.staff.labs import orders, progress, results, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/<int:order_id>/requisition/", views.lab_requisition, name="lab_requisition"),
    path("patients/<int:patient_id>/order/", orders.lab_order_new, name="lab_order_new"),
    path("patients/<int:patient_id>/progress/", progress.lab_progress, name="lab_progress"),
    path("orders/<int:order_id>/", orders.lab_order_detail, name="lab_order_detail"),
    path("orders/<int:order_id>/act/", orders.lab_order_act, name="lab_order_act"),
    path("orders/<int:order_id>/review/", orders.lab_order_review_view, name="lab_order_review"),
    path("orders/<int:order_id>/follow-up/", orders.lab_follow_up_done, name="lab_follow_up_done"),
    path("orders/<int:order_id>/results/", results.lab_results_enter, name="lab_results_enter"),
    path("orders/<int:order_id>/import/", results.lab_results_import, name="lab_results_import"),
]
