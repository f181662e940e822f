from django.urls import URLPattern, URLResolver, path

from careloop.web.staff.team import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.staff_list, name="staff_list"),
    path("new/", views.staff_create, name="staff_create"),
    path("<int:user_id>/", views.staff_detail, name="staff_detail"),
    path("<int:user_id>/role/", views.staff_role, name="staff_role"),
    path("<int:user_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("<int:user_id>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path(
        "<int:user_id>/reset-authenticator/",
        views.staff_mfa_reset,
        name="staff_mfa_reset",
    ),
    path("<int:user_id>/invitation/", views.staff_invitation_send, name="staff_invitation_send"),
]
