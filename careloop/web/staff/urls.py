from django.urls import include, path

app_name = "staff"
urlpatterns = [
    path("patients/", include("careloop.web.staff.patients.urls")),
    path("audit/", include("careloop.web.staff.audit.urls")),
    path("clinic/", include("careloop.web.staff.clinic.urls")),
    path("team/", include("careloop.web.staff.team.urls")),
    path("catalog/", include("careloop.web.staff.catalog.urls")),
    path("memberships/", include("careloop.web.staff.memberships.urls")),
    path("billing/", include("careloop.web.staff.billing.urls")),
    path("schedule/", include("careloop.web.staff.scheduling.urls")),
    path("labs/", include("careloop.web.staff.labs.urls")),
    path("notes/", include("careloop.web.staff.notes.urls")),
    path("care/", include("careloop.web.staff.care.urls")),
    path("messages/", include("careloop.web.staff.messaging.urls")),
]
