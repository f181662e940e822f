from django.urls import path

from careloop.web.staff.scheduling import booking, calendar, settings

urlpatterns = [
    path("", calendar.schedule_day, name="schedule_day"),
    path("week/", calendar.schedule_week, name="schedule_week"),
    path("settings/", settings.scheduling_settings, name="scheduling_settings"),
    path(
        "settings/priority/<int:rule_id>/stop/",
        settings.priority_rule_stop,
        name="priority_rule_stop",
    ),
    path("visits/<int:appointment_id>/", calendar.visit_detail, name="visit_detail"),
    path("visits/<int:appointment_id>/act/", calendar.visit_act, name="visit_act"),
    path("book/<int:patient_id>/", booking.book_visit, name="book_visit"),
    path("series/<int:patient_id>/", booking.book_series, name="book_series"),
]
