from django.urls import URLPattern, URLResolver, path

from careloop.messaging.selectors.inbox import Inbox
from careloop.web.staff.messaging import absence, dashboard, inbox, settings, threads

urlpatterns: list[URLPattern | URLResolver] = [
    path("", inbox.message_inbox, {"inbox": Inbox.MINE.value}, name="message_inbox"),
    path("team/", inbox.message_inbox, {"inbox": Inbox.TEAM.value}, name="message_inbox_team"),
    path(
        "unassigned/",
        inbox.message_inbox,
        {"inbox": Inbox.UNASSIGNED.value},
        name="message_inbox_unassigned",
    ),
    path(
        "overdue/",
        inbox.message_inbox,
        {"inbox": Inbox.OVERDUE.value},
        name="message_inbox_overdue",
    ),
    path("response-times/", dashboard.message_dashboard, name="message_dashboard"),
    path("routing/", settings.messaging_routing, name="messaging_routing"),
    path("teams/new/", settings.messaging_team_create, name="messaging_team_create"),
    path("teams/<int:team_id>/", settings.messaging_team_edit, name="messaging_team_edit"),
    path("policy/", settings.messaging_policy, name="messaging_policy"),
    path("out-of-office/", absence.messaging_out_of_office, name="messaging_out_of_office"),
    path(
        "out-of-office/<int:away_id>/end/",
        absence.messaging_out_of_office_end,
        name="messaging_out_of_office_end",
    ),
    path("templates/", settings.messaging_templates, name="messaging_templates"),
    path(
        "templates/<int:template_id>/",
        settings.messaging_template_edit,
        name="messaging_template_edit",
    ),
    path("threads/<int:thread_id>/", threads.message_thread, name="message_thread"),
    path("threads/<int:thread_id>/reply/", threads.message_reply, name="message_reply"),
    path("threads/<int:thread_id>/note/", threads.message_note, name="message_note"),
    path("threads/<int:thread_id>/act/", threads.message_thread_act, name="message_thread_act"),
    path("threads/<int:thread_id>/export.pdf", threads.message_export, name="message_export"),
    path(
        "attachments/<int:attachment_id>/",
        threads.message_attachment,
        name="message_attachment",
    ),
]
