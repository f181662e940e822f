from django.urls import path

from careloop.web.staff.catalog.views import plans, services, settings, sponsors

urlpatterns = [
    path("", plans.plan_list, name="catalog_plan_list"),
    path("plans/new/", plans.plan_create, name="catalog_plan_create"),
    path("plans/<int:plan_id>/", plans.plan_detail, name="catalog_plan_detail"),
    path("plans/<int:plan_id>/edit/", plans.plan_edit, name="catalog_plan_edit"),
    path("plans/<int:plan_id>/status/", plans.plan_status, name="catalog_plan_status"),
    path("plans/<int:plan_id>/delete/", plans.plan_delete, name="catalog_plan_delete"),
    path(
        "plans/<int:plan_id>/prices/<str:interval>/",
        plans.price_set,
        name="catalog_price_set",
    ),
    path("plans/<int:plan_id>/benefits/new/", plans.benefit_add, name="catalog_benefit_add"),
    path(
        "plans/<int:plan_id>/benefits/<int:service_id>/",
        plans.benefit_edit,
        name="catalog_benefit_edit",
    ),
    path(
        "plans/<int:plan_id>/benefits/<int:service_id>/remove/",
        plans.benefit_remove,
        name="catalog_benefit_remove",
    ),
    path("services/", services.service_list, name="catalog_service_list"),
    path("services/new/", services.service_create, name="catalog_service_create"),
    path("services/<int:service_id>/edit/", services.service_edit, name="catalog_service_edit"),
    path("sponsors/", sponsors.sponsor_list, name="catalog_sponsor_list"),
    path("sponsors/new/", sponsors.sponsor_create, name="catalog_sponsor_create"),
    path("sponsors/<int:sponsor_id>/", sponsors.sponsor_detail, name="catalog_sponsor_detail"),
    path("sponsors/<int:sponsor_id>/edit/", sponsors.sponsor_edit, name="catalog_sponsor_edit"),
    path(
        "sponsors/<int:sponsor_id>/roster/add/",
        sponsors.roster_add,
        name="catalog_roster_add",
    ),
    path(
        "sponsors/<int:sponsor_id>/roster/<int:entry_id>/terminate/",
        sponsors.roster_terminate,
        name="catalog_roster_terminate",
    ),
    path(
        "sponsors/<int:sponsor_id>/roster/upload/",
        sponsors.roster_upload,
        name="catalog_roster_upload",
    ),
    path("settings/", settings.membership_settings_edit, name="catalog_settings"),
    path("settings/reasons/new/", settings.reason_create, name="catalog_reason_create"),
    path(
        "settings/reasons/<int:reason_id>/",
        settings.reason_update,
        name="catalog_reason_update",
    ),
]
