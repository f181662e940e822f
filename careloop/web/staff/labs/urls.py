from django.urls import URLPattern, URLResolver, path

from careloop.web.staff.labs import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/<int:order_id>/requisition/", views.lab_requisition, name="lab_requisition"),
]
