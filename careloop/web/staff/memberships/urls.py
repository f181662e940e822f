from django.urls import path

from careloop.web.staff.memberships.views import actions, coverage, enrollment, pages

urlpatterns = [
    path("", pages.membership_list, name="membership_list"),
    path("enroll/", enrollment.membership_enroll_find, name="membership_enroll_find"),
    path("enroll/<int:patient_id>/", enrollment.membership_enroll, name="membership_enroll"),
    path("coverage/<int:patient_id>/", coverage.membership_coverage, name="membership_coverage"),
    path("<int:membership_id>/", pages.membership_detail, name="membership_detail"),
    *(
        path(
            f"<int:membership_id>/{page.name.removeprefix('membership_').replace('_', '-')}/",
            actions.action_view(page),
            name=page.name,
        )
        for page in actions.ACTIONS
    ),
    path(
        "<int:membership_id>/changes/<int:change_id>/revoke/",
        actions.membership_change_revoke,
        name="membership_change_revoke",
    ),
]
