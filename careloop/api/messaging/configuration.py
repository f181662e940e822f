"""Teams (read), routing rules and reply templates.

Staff read the teams and the active reply templates; routing rules and templates are changed
by admins (messaging.configure). A rule pointing nowhere (no team, an inactive team, a team
nobody staffs) is refused by `routing_rule_save`, naming the field; nothing is stored.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Schema, Status

from careloop.accounts.policy import Capability
from careloop.api.memberships.common import staff_user
from careloop.api.messaging.common import messaging_router, renamed
from careloop.api.patients import needs
from careloop.core.errors import NotFound, ValidationFailed
from careloop.messaging.models import MessagingTeam, ReplyTemplate, RoutingRule, Topic
from careloop.messaging.selectors.inbox import reply_templates
from careloop.messaging.services.routing import (
    reply_template_retire,
    reply_template_save,
    routing_rule_remove,
    routing_rule_save,
)


class TeamOut(Schema):
    id: int
    name: str
    role: str
    assignment: str = Field(description="round_robin or claim")
    lead_id: int | None
    active: bool


@messaging_router.get(
    "/teams",
    response=list[TeamOut],
    summary="The messaging teams threads are routed to",
    openapi_extra=needs(Capability.MESSAGE_VIEW),
)
def team_list(request: HttpRequest) -> list[TeamOut]:
    staff_user(request, Capability.MESSAGE_VIEW)
    return [
        TeamOut(
            id=team.pk,
            name=team.name,
            role=team.role,
            assignment=team.assignment,
            lead_id=team.lead_id,
            active=team.active,
        )
        for team in MessagingTeam.objects.order_by("name", "id")
    ]


# --- routing rules --------------------------------------------------------------------------


class RuleOut(Schema):
    id: int
    topic: str
    target: str = Field(description="team, primary_provider or coach")
    team_id: int
    team_name: str
    updated_at: datetime
    updated_by_id: int | None


class RuleIn(Schema):
    target: str = Field(description="team, primary_provider or coach")
    team_id: int | None = Field(description="The team whose inbox holds the threads")


def _rule_out(rule: RoutingRule) -> RuleOut:
    return RuleOut(
        id=rule.pk,
        topic=rule.topic,
        target=rule.target,
        team_id=rule.team_id,
        team_name=rule.team.name,
        updated_at=rule.updated_at,
        updated_by_id=rule.updated_by_id,
    )


@messaging_router.get(
    "/routing-rules",
    response=list[RuleOut],
    summary="Where new threads on each topic go",
    openapi_extra=needs(Capability.MESSAGING_CONFIGURE),
)
def rule_list(request: HttpRequest) -> list[RuleOut]:
    staff_user(request, Capability.MESSAGING_CONFIGURE)
    return [_rule_out(rule) for rule in RoutingRule.objects.select_related("team")]


def _topic(topic: str) -> Topic:
    if topic not in Topic.values:
        raise NotFound(f"“{topic}” is not a topic.")
    return Topic(topic)


@messaging_router.put(
    "/routing-rules/{topic}",
    response=RuleOut,
    summary="Set (create or replace) the topic's rule; a rule pointing nowhere is refused",
    openapi_extra=needs(Capability.MESSAGING_CONFIGURE),
)
def rule_save(request: HttpRequest, topic: str, payload: RuleIn) -> RuleOut:
    user = staff_user(request, Capability.MESSAGING_CONFIGURE)
    team = None
    if payload.team_id is not None:
        team = MessagingTeam.objects.filter(id=payload.team_id).first()
        if team is None:
            raise ValidationFailed.single(
                "team_id", f"There is no team with id {payload.team_id}.", "not_found"
            )
    try:
        rule = routing_rule_save(
            actor=user,
            topic=_topic(topic),
            target=payload.target,  # type: ignore[arg-type]
            team=team,
        )
    except ValidationFailed as error:
        raise renamed(error, {"team": "team_id"}) from None
    return _rule_out(RoutingRule.objects.select_related("team").get(pk=rule.pk))


@messaging_router.delete(
    "/routing-rules/{topic}",
    response={204: None},
    summary="Remove the topic's rule (new threads on it are refused until one is set)",
    openapi_extra=needs(Capability.MESSAGING_CONFIGURE),
)
def rule_remove(request: HttpRequest, topic: str) -> Status[None]:
    user = staff_user(request, Capability.MESSAGING_CONFIGURE)
    routing_rule_remove(actor=user, topic=_topic(topic))
    return Status(204, None)


# --- reply templates ------------------------------------------------------------------------


class ReplyTemplateOut(Schema):
    id: int
    name: str
    topic: str = Field(description="Empty: offered for every topic")
    body: str
    active: bool
    updated_at: datetime


class ReplyTemplateIn(Schema):
    name: str
    body: str
    topic: str = ""


def _template_out(template: ReplyTemplate) -> ReplyTemplateOut:
    return ReplyTemplateOut(
        id=template.pk,
        name=template.name,
        topic=template.topic,
        body=template.body,
        active=template.active,
        updated_at=template.updated_at,
    )


def _template(template_id: int) -> ReplyTemplate:
    found = ReplyTemplate.objects.filter(id=template_id).first()
    if found is None:
        raise NotFound("No such reply template.")
    return found


@messaging_router.get(
    "/reply-templates",
    response=list[ReplyTemplateOut],
    summary="Active reply templates, those for the topic first",
    openapi_extra=needs(Capability.MESSAGE_REPLY),
)
def template_list(request: HttpRequest, topic: str = "") -> list[ReplyTemplateOut]:
    staff_user(request, Capability.MESSAGE_REPLY)
    return [_template_out(template) for template in reply_templates(topic=topic)]


@messaging_router.post(
    "/reply-templates",
    response={201: ReplyTemplateOut},
    summary="Save a new reply template (plain text)",
    openapi_extra=needs(Capability.MESSAGING_CONFIGURE),
)
def template_create(request: HttpRequest, payload: ReplyTemplateIn) -> Status[ReplyTemplateOut]:
    user = staff_user(request, Capability.MESSAGING_CONFIGURE)
    template = reply_template_save(
        actor=user, name=payload.name, body=payload.body, topic=payload.topic
    )
    return Status(201, _template_out(template))


@messaging_router.get(
    "/reply-templates/{template_id}",
    response=ReplyTemplateOut,
    summary="A reply template",
    openapi_extra=needs(Capability.MESSAGE_REPLY),
)
def template_detail(request: HttpRequest, template_id: int) -> ReplyTemplateOut:
    staff_user(request, Capability.MESSAGE_REPLY)
    return _template_out(_template(template_id))


@messaging_router.put(
    "/reply-templates/{template_id}",
    response=ReplyTemplateOut,
    summary="Change a reply template",
    openapi_extra=needs(Capability.MESSAGING_CONFIGURE),
)
def template_update(
    request: HttpRequest, template_id: int, payload: ReplyTemplateIn
) -> ReplyTemplateOut:
    user = staff_user(request, Capability.MESSAGING_CONFIGURE)
    template = reply_template_save(
        actor=user,
        name=payload.name,
        body=payload.body,
        topic=payload.topic,
        template=_template(template_id),
    )
    return _template_out(template)


@messaging_router.delete(
    "/reply-templates/{template_id}",
    response=ReplyTemplateOut,
    summary="Retire a reply template (kept, no longer offered)",
    openapi_extra=needs(Capability.MESSAGING_CONFIGURE),
)
def template_retire(request: HttpRequest, template_id: int) -> ReplyTemplateOut:
    user = staff_user(request, Capability.MESSAGING_CONFIGURE)
    return _template_out(reply_template_retire(actor=user, template=_template(template_id)))
