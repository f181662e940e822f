from django.urls import URLPattern, URLResolver, path

from careloop.web.staff.audit import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.audit_log, name="audit_log"),
]
