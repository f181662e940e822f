from django.urls import URLPattern, URLResolver, path

from careloop.web.staff.care import plans, protocols, queues, tasks

urlpatterns: list[URLPattern | URLResolver] = [
    path("", queues.care_my_tasks, name="care_my_tasks"),
    path("team/", queues.care_team_tasks, name="care_team_tasks"),
    path("overdue/", queues.care_overdue, name="care_overdue"),
    path("gaps/", queues.care_gaps, name="care_gaps"),
    path("tasks/<int:task_id>/", tasks.care_task_detail, name="care_task_detail"),
    path("tasks/<int:task_id>/act/", tasks.care_task_act, name="care_task_act"),
    path("protocols/", protocols.care_protocol_list, name="care_protocol_list"),
    path("protocols/new/", protocols.care_protocol_create, name="care_protocol_create"),
    path(
        "protocols/<int:protocol_id>/", protocols.care_protocol_detail, name="care_protocol_detail"
    ),
    path(
        "protocols/<int:protocol_id>/activities/new/",
        protocols.care_protocol_activity_add,
        name="care_protocol_activity_add",
    ),
    path("apply/<int:patient_id>/", plans.care_plan_apply_page, name="care_plan_apply"),
    path(
        "plans/<int:care_plan_id>/activities/new/",
        plans.care_activity_add_page,
        name="care_activity_add",
    ),
]
