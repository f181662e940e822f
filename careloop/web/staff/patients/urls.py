from django.urls import path

from careloop.web.staff.patients.views import care_team, households, patients

urlpatterns = [
    path("", patients.patient_search, name="patient_search"),
    path("new/", patients.patient_create, name="patient_create"),
    path("<int:patient_id>/", patients.patient_chart, name="patient_chart"),
    path("<int:patient_id>/edit/", patients.patient_edit, name="patient_edit"),
    path(
        "<int:patient_id>/care-team/assign/",
        care_team.care_team_assign,
        name="care_team_assign",
    ),
    path(
        "<int:patient_id>/care-team/<int:member_id>/remove/",
        care_team.care_team_remove,
        name="care_team_remove",
    ),
    path("households/", households.household_list, name="household_list"),
    path("households/new/", households.household_create, name="household_create"),
    path(
        "households/<int:household_id>/",
        households.household_detail,
        name="household_detail",
    ),
    path(
        "households/<int:household_id>/candidates/",
        households.household_member_candidates,
        name="household_member_candidates",
    ),
    path(
        "households/<int:household_id>/members/add/",
        households.household_add_member,
        name="household_add_member",
    ),
    path(
        "households/<int:household_id>/members/<int:patient_id>/remove/",
        households.household_remove_member,
        name="household_remove_member",
    ),
    path(
        "households/<int:household_id>/head/<int:patient_id>/",
        households.household_set_head,
        name="household_set_head",
    ),
]
