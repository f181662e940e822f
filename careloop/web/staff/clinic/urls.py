from django.urls import URLPattern, URLResolver, path

from careloop.web.staff.clinic import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.clinic_settings, name="clinic_settings"),
    path("holidays/add/", views.clinic_holiday_add, name="clinic_holiday_add"),
    path(
        "holidays/<int:holiday_id>/remove/",
        views.clinic_holiday_remove,
        name="clinic_holiday_remove",
    ),
]
