"""Messaging settings for admins: the routing rule of each topic, the teams, the past-due
policy, and saved reply templates.

A rule that would send threads nowhere (no team, an inactive team, a team nobody staffs) is
refused by `routing_rule_save`, named beside its field, and nothing is saved.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability
from careloop.accounts.roles import Role
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.messaging.models import (
    Assignment,
    MessagingTeam,
    ReplyTemplate,
    RoutingRule,
    RoutingTarget,
    Topic,
)
from careloop.messaging.selectors.eligibility import past_due_messaging
from careloop.messaging.services.routing import (
    messaging_settings_save,
    messaging_team_save,
    reply_template_save,
    routing_rule_save,
)
from careloop.web.accounts.forms import add_service_errors
from careloop.web.decorators import staff_view
from careloop.web.staff.messaging.forms import (
    PolicyForm,
    ReplyTemplateForm,
    RoutingRuleForm,
    TeamForm,
    add_message_errors,
)
from careloop.web.staff.messaging.threads import assignable_staff
from careloop.web.staff.patients.views.common import acting_user


def _rule_forms(failed: RoutingRuleForm | None = None) -> list[tuple[str, Any, RoutingRuleForm]]:
    rules = {rule.topic: rule for rule in RoutingRule.objects.select_related("team")}
    rows = []
    for topic in Topic:
        rule = rules.get(topic.value)
        if failed is not None and failed.prefix == topic.value:
            form = failed
        else:
            initial: dict[str, Any] = {"topic": topic.value}
            if rule is not None:
                initial |= {"target": rule.target, "team": rule.team_id}
            form = RoutingRuleForm(initial=initial, prefix=topic.value)
        rows.append((topic.label, rule, form))
    return rows


@staff_view(Capability.MESSAGING_CONFIGURE)
def messaging_routing(request: HttpRequest) -> HttpResponse:
    """One rule per topic: who new threads go to, and the team whose inbox holds them."""
    failed = None
    status = 200
    if request.method == "POST":
        topic = request.POST.get("topic", "")
        form = RoutingRuleForm(request.POST, prefix=topic if topic in Topic.values else None)
        if form.is_valid():
            try:
                routing_rule_save(
                    actor=acting_user(request),
                    topic=Topic(form.cleaned_data["topic"]),
                    target=RoutingTarget(form.cleaned_data["target"]),
                    team=form.cleaned_data["team"],
                )
            except ValidationFailed as error:
                add_service_errors(form, error)
            except CareloopError as error:
                form.add_error(None, error.message)
            else:
                label = Topic(form.cleaned_data["topic"]).label
                messages.success(request, f"Routing for {label} saved.")
                return redirect(reverse("staff:messaging_routing"))
        failed, status = form, 422
    return _routing_page(request, failed=failed, status=status)


def _routing_page(
    request: HttpRequest,
    *,
    failed: RoutingRuleForm | None = None,
    team_form: TeamForm | None = None,
    policy_form: PolicyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "staff/messaging/routing.html",
        {
            "rows": _rule_forms(failed),
            "failed": failed,
            "teams": MessagingTeam.objects.select_related("lead").order_by("name"),
            "team_form": team_form or TeamForm(staff=assignable_staff(), prefix="team"),
            "policy_form": policy_form
            or PolicyForm(initial={"past_due_messaging": past_due_messaging().value}),
        },
        status=status,
    )


@require_POST
@staff_view(Capability.MESSAGING_CONFIGURE)
def messaging_policy(request: HttpRequest) -> HttpResponse:
    """Whether members whose membership is past due may still write."""
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            messaging_settings_save(
                actor=acting_user(request),
                past_due_messaging=form.cleaned_data["past_due_messaging"],
            )
        except ValidationFailed as error:
            add_message_errors(form, error)
        else:
            messages.success(request, "Messaging policy saved.")
            return redirect(reverse("staff:messaging_routing"))
    return _routing_page(request, policy_form=form, status=422)


@staff_view(Capability.MESSAGING_CONFIGURE)
def messaging_team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    """Change a team's name, role, how it assigns new threads, and its lead."""
    team = get_object_or_404(MessagingTeam, pk=team_id)
    initial = {
        "name": team.name,
        "role": team.role,
        "assignment": team.assignment,
        "lead": team.lead_id,
    }
    posted = request.method == "POST"
    form = TeamForm(request.POST if posted else None, initial=initial, staff=assignable_staff())
    status = 200
    if posted:
        status = 422
        if form.is_valid():
            try:
                messaging_team_save(
                    actor=acting_user(request),
                    name=form.cleaned_data["name"],
                    role=Role(form.cleaned_data["role"]),
                    assignment=Assignment(form.cleaned_data["assignment"]),
                    lead=form.cleaned_data["lead"],
                    team=team,
                )
            except ValidationFailed as error:
                add_message_errors(form, error)
            except CareloopError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Team {team.name} saved.")
                return redirect(reverse("staff:messaging_routing"))
    return render(
        request, "staff/messaging/team_edit.html", {"team": team, "form": form}, status=status
    )


@require_POST
@staff_view(Capability.MESSAGING_CONFIGURE)
def messaging_team_create(request: HttpRequest) -> HttpResponse:
    """A new team: the pool of one staff role that routing rules point at."""
    form = TeamForm(request.POST, staff=assignable_staff(), prefix="team")
    if form.is_valid():
        try:
            team = messaging_team_save(
                actor=acting_user(request),
                name=form.cleaned_data["name"],
                role=Role(form.cleaned_data["role"]),
                assignment=Assignment(form.cleaned_data["assignment"]),
                lead=form.cleaned_data["lead"],
            )
        except ValidationFailed as error:
            add_message_errors(form, error)
        except CareloopError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect(reverse("staff:messaging_routing"))
    return _routing_page(request, team_form=form, status=422)


def _save_template(request: HttpRequest, form: ReplyTemplateForm, template: Any) -> bool:
    if not form.is_valid():
        return False
    try:
        reply_template_save(
            actor=acting_user(request),
            name=form.cleaned_data["name"],
            body=form.cleaned_data["body"],
            topic=form.cleaned_data["topic"],
            template=template,
        )
    except ValidationFailed as error:
        add_service_errors(form, error)
        return False
    messages.success(request, f"Reply template {form.cleaned_data['name'].strip()} saved.")
    return True


@staff_view(Capability.MESSAGING_CONFIGURE)
def messaging_templates(request: HttpRequest) -> HttpResponse:
    """Saved replies staff insert into a reply, optionally offered for one topic only."""
    form = ReplyTemplateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and _save_template(request, form, None):
        return redirect(reverse("staff:messaging_templates"))
    return render(
        request,
        "staff/messaging/templates.html",
        {"templates": ReplyTemplate.objects.order_by("name"), "form": form},
        status=422 if form.errors else 200,
    )


@staff_view(Capability.MESSAGING_CONFIGURE)
def messaging_template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(ReplyTemplate, pk=template_id)
    initial = {"name": template.name, "topic": template.topic, "body": template.body}
    form = ReplyTemplateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and _save_template(request, form, template):
        return redirect(reverse("staff:messaging_templates"))
    return render(
        request,
        "staff/messaging/template_edit.html",
        {"template": template, "form": form},
        status=422 if form.errors else 200,
    )
