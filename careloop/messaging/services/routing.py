"""Teams, routing rules, out-of-office periods and reply templates; and routing a new thread.

A rule for a team target sends the thread to the team's pool: the next active member in
turn (round robin, under the team row's lock so two threads routed at once go to two
people) or nobody, for claiming. A rule for a care team target sends it to the patient's
primary provider or health coach, in the rule's team's inbox; when the patient has nobody in
that role, the team's pool takes it. Anyone out of office is replaced by their cover, unless
the cover is away too, in which case the pool takes it. A rule pointing nowhere is refused
when it is saved, naming the field.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, require_capability
from careloop.accounts.roles import STAFF_ROLES, Role
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, NotFound, ValidationFailed
from careloop.messaging.errors import NoRoute
from careloop.messaging.models import (
    Assignment,
    LapsedMembershipMessaging,
    MessagingSettings,
    MessagingTeam,
    OutOfOffice,
    ReplyTemplate,
    RoutingRule,
    RoutingTarget,
    Topic,
)
from careloop.patients.models import CareTeamMember, CareTeamRole, Patient

CARE_TEAM_ROLES = {
    RoutingTarget.PRIMARY_PROVIDER: CareTeamRole.PRIMARY_PROVIDER,
    RoutingTarget.COACH: CareTeamRole.COACH,
}


def _is_active_staff(user: User | None) -> bool:
    return user is not None and user.is_active and Role(user.role) in STAFF_ROLES


def messaging_team_save(
    *,
    actor: User,
    name: str,
    role: Role,
    assignment: Assignment = Assignment.CLAIM,
    lead: User | None = None,
    team: MessagingTeam | None = None,
) -> MessagingTeam:
    """Create a team (or change `team`): a pool of the active staff of one role."""
    require_capability(actor, Capability.MESSAGING_CONFIGURE)
    name = name.strip()
    if not name:
        raise ValidationFailed.single("name", "Name the team.", "required")
    if role not in STAFF_ROLES:
        raise ValidationFailed.single("role", "A team is a pool of one staff role.", "not_staff")
    if lead is not None and not _is_active_staff(lead):
        raise ValidationFailed.single("lead", "The lead must be an active staff member.")
    duplicate = MessagingTeam.objects.filter(name=name)
    if team is not None:
        duplicate = duplicate.exclude(pk=team.pk)
    if duplicate.exists():
        raise ValidationFailed.single("name", f"There is already a team named {name}.", "taken")
    now = clock.now()
    with transaction.atomic():
        if team is None:
            team = MessagingTeam(created_at=now)
        team.name = name
        team.role = role
        team.assignment = assignment
        team.lead = lead
        team.updated_at = now
        team.save()
        audit_record(
            action="messaging.team_save",
            actor=actor,
            object_type="messaging_team",
            object_id=team.pk,
            detail={"role": str(role), "assignment": str(assignment)},
        )
    return team


def messaging_settings_save(
    *, actor: User, past_due_messaging: LapsedMembershipMessaging | str
) -> MessagingSettings:
    """The clinic's messaging policy: whether a member whose membership is past due may still
    write (with a warning) or not until it is paid."""
    require_capability(actor, Capability.MESSAGING_CONFIGURE)
    if past_due_messaging not in LapsedMembershipMessaging.values:
        raise ValidationFailed.single(
            "past_due_messaging",
            "Choose whether past-due members may write with a warning, or not at all.",
            "invalid_choice",
        )
    with transaction.atomic():
        row = MessagingSettings.objects.select_for_update().order_by("id").first()
        if row is None:
            row = MessagingSettings()
        before = row.past_due_messaging if row.pk else None
        row.past_due_messaging = past_due_messaging
        row.save()
        audit_record(
            action="messaging.settings_save",
            actor=actor,
            object_type="messaging_settings",
            object_id=row.pk,
            detail={"past_due_messaging": [before, str(past_due_messaging)]},
        )
    return row


def routing_rule_save(
    *, actor: User, topic: Topic, target: RoutingTarget, team: MessagingTeam | None
) -> RoutingRule:
    """Set where new threads on `topic` go (replacing the topic's rule).

    Refused, naming the field, when it would point nowhere: no team, an inactive team, or a
    team whose role has no active staff to answer.
    """
    require_capability(actor, Capability.MESSAGING_CONFIGURE)
    if topic not in Topic.values:
        raise ValidationFailed.single("topic", f"“{topic}” is not a topic.", "invalid")
    if target not in RoutingTarget.values:
        raise ValidationFailed.single("target", f"“{target}” is not a routing target.", "invalid")
    label = Topic(topic).label
    if team is None:
        raise ValidationFailed.single(
            "team",
            f"The rule for {label} names no team, so its threads would reach nobody.",
            "required",
        )
    if not team.active:
        raise ValidationFailed.single(
            "team", f"The rule for {label} points at {team.name}, which is inactive.", "inactive"
        )
    if not User.objects.filter(role=team.role, is_active=True).exists():
        raise ValidationFailed.single(
            "team",
            f"The rule for {label} points at {team.name}, which has no active "
            f"{Role(team.role).label.lower()} to answer.",
            "empty_team",
        )
    with transaction.atomic():
        rule, _created = RoutingRule.objects.update_or_create(
            topic=topic,
            defaults={
                "target": target,
                "team": team,
                "updated_at": clock.now(),
                "updated_by": actor,
            },
        )
        audit_record(
            action="messaging.routing_rule_save",
            actor=actor,
            object_type="routing_rule",
            object_id=rule.pk,
            detail={"topic": str(topic), "target": str(target), "team": team.pk},
        )
    return rule


def routing_rule_remove(*, actor: User, topic: Topic | str) -> None:
    """Remove the topic's rule: new threads on it are refused (`no_route`) until one is set.

    Threads already routed keep their team; the rule only decides where new ones go.
    """
    require_capability(actor, Capability.MESSAGING_CONFIGURE)
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().filter(topic=topic).first()
        if rule is None:
            raise NotFound(f"There is no routing rule for “{topic}”.")
        rule_id = rule.pk
        rule.delete()
        audit_record(
            action="messaging.routing_rule_remove",
            actor=actor,
            object_type="routing_rule",
            object_id=rule_id,
            detail={"topic": str(topic)},
        )


def out_of_office_add(
    *,
    actor: User,
    staff: User,
    starts_at: datetime,
    ends_at: datetime,
    cover: User | None = None,
) -> OutOfOffice:
    """Record that `staff` is away; staff record their own, admins anyone's."""
    if actor.pk != staff.pk:
        require_capability(actor, Capability.MESSAGING_CONFIGURE)
    if not _is_active_staff(staff):
        raise ValidationFailed.single("staff", "Only active staff are out of office.")
    if ends_at <= starts_at:
        raise ValidationFailed.single("ends_at", "The end must be after the start.", "order")
    if cover is not None and (cover.pk == staff.pk or not _is_active_staff(cover)):
        raise ValidationFailed.single(
            "cover", "The cover must be another active staff member.", "invalid"
        )
    with transaction.atomic():
        away = OutOfOffice.objects.create(
            staff=staff, starts_at=starts_at, ends_at=ends_at, cover=cover, created_at=clock.now()
        )
        audit_record(
            action="messaging.out_of_office_add",
            actor=actor,
            object_type="out_of_office",
            object_id=away.pk,
            detail={"staff": staff.pk, "cover": cover.pk if cover is not None else None},
        )
    return away


def out_of_office_end(*, actor: User, away: OutOfOffice) -> OutOfOffice | None:
    """End an absence now: one under way ends at this moment, one not yet begun is withdrawn
    (None). Staff end their own, admins anyone's; one already over cannot change."""
    if actor.pk != away.staff_id:
        require_capability(actor, Capability.MESSAGING_CONFIGURE)
    now = clock.now()
    with transaction.atomic():
        locked = OutOfOffice.objects.select_for_update().filter(pk=away.pk).first()
        if locked is None:
            raise NotFound("There is no such absence.")
        if locked.ends_at <= now:
            raise ValidationFailed.single("ends_at", "This absence is already over.", "over")
        detail = {"staff": locked.staff_id, "ends_at": now.isoformat()}
        if locked.starts_at >= now:
            locked.delete()
            kept = None
            detail["withdrawn"] = True
        else:
            locked.ends_at = now
            locked.save(update_fields=["ends_at"])
            kept = locked
        audit_record(
            action="messaging.out_of_office_end",
            actor=actor,
            object_type="out_of_office",
            object_id=away.pk,
            detail=detail,
        )
    return kept


def reply_template_save(
    *,
    actor: User,
    name: str,
    body: str,
    topic: Topic | str = "",
    template: ReplyTemplate | None = None,
) -> ReplyTemplate:
    """Save a reply template (plain text), optionally offered for one topic."""
    require_capability(actor, Capability.MESSAGING_CONFIGURE)
    name, body = name.strip(), body.strip()
    errors = []
    if not name:
        errors.append(("name", "Name the template.", "required"))
    if not body:
        errors.append(("body", "Write the template's text.", "required"))
    if topic and topic not in Topic.values:
        errors.append(("topic", f"“{topic}” is not a topic.", "invalid"))
    if errors:
        raise ValidationFailed([FieldError(*error) for error in errors])
    duplicate = ReplyTemplate.objects.filter(name=name)
    if template is not None:
        duplicate = duplicate.exclude(pk=template.pk)
    if duplicate.exists():
        raise ValidationFailed.single("name", f"There is already a template named {name}.", "taken")
    now = clock.now()
    with transaction.atomic():
        if template is None:
            template = ReplyTemplate(created_at=now)
        template.name = name
        template.body = body
        template.topic = str(topic)
        template.updated_at = now
        template.updated_by = actor
        template.save()
        audit_record(
            action="messaging.reply_template_save",
            actor=actor,
            object_type="reply_template",
            object_id=template.pk,
        )
    return template


def reply_template_retire(*, actor: User, template: ReplyTemplate) -> ReplyTemplate:
    """Stop offering a template. It is kept (inactive), not deleted: its name stays taken
    and the audit log keeps pointing at a row that exists."""
    require_capability(actor, Capability.MESSAGING_CONFIGURE)
    with transaction.atomic():
        template.active = False
        template.updated_at = clock.now()
        template.updated_by = actor
        template.save(update_fields=["active", "updated_at", "updated_by"])
        audit_record(
            action="messaging.reply_template_retire",
            actor=actor,
            object_type="reply_template",
            object_id=template.pk,
        )
    return template


@dataclass(frozen=True)
class Route:
    """Where a new thread goes: its team's inbox, and whom (if anyone) it is assigned to."""

    team: MessagingTeam
    assignee: User | None
    rule: RoutingRule
    reason: str


def away_ids(user_ids: list[int], at: datetime) -> set[int]:
    return set(
        OutOfOffice.objects.filter(
            staff_id__in=user_ids, starts_at__lte=at, ends_at__gt=at
        ).values_list("staff_id", flat=True)
    )


def stand_in(person: User, at: datetime) -> User | None:
    """`person`, or their cover while they are out of office; None when neither is there."""
    if not _is_active_staff(person):
        return None
    away = (
        OutOfOffice.objects.filter(staff=person, starts_at__lte=at, ends_at__gt=at)
        .select_related("cover")
        .order_by("-starts_at", "-id")
        .first()
    )
    if away is None:
        return person
    cover = away.cover
    if cover is None or not _is_active_staff(cover) or away_ids([cover.pk], at):
        return None
    return cover


def next_in_turn(team: MessagingTeam, at: datetime) -> User | None:
    """The team member whose turn it is, moving the turn on; None when nobody is in.

    Must run inside the caller's transaction: the team row stays locked until it commits, so
    concurrent routings queue here and each sees the turn the previous one left.
    """
    locked = MessagingTeam.objects.select_for_update().get(pk=team.pk)
    members = list(User.objects.filter(role=locked.role, is_active=True).order_by("id"))
    away = away_ids([member.pk for member in members], at)
    present = [member for member in members if member.pk not in away]
    if not present:
        return None
    last = locked.last_assignee_id or 0
    chosen = next((member for member in present if member.pk > last), present[0])
    MessagingTeam.objects.filter(pk=locked.pk).update(last_assignee=chosen)
    return chosen


def thread_route(*, patient: Patient, topic: Topic, at: datetime) -> Route:
    """Where a new thread on `topic` from `patient` goes (see the module docstring)."""
    rule = RoutingRule.objects.select_related("team").filter(topic=topic).first()
    if rule is None or not rule.team.active:
        raise NoRoute(
            f"No routing rule sends {Topic(topic).label.lower()} threads anywhere yet; "
            "the clinic must set one up."
        )
    team = rule.team
    care_team_role = CARE_TEAM_ROLES.get(RoutingTarget(rule.target))
    if care_team_role is not None:
        member = (
            CareTeamMember.objects.filter(patient=patient, role=care_team_role)
            .select_related("staff")
            .order_by("id")
            .first()
        )
        if member is not None:
            person = stand_in(member.staff, at)
            if person is not None:
                reason = (
                    f"{care_team_role.label}"
                    if person.pk == member.staff_id
                    else f"covering for the {care_team_role.label.lower()}, who is out of office"
                )
                return Route(team=team, assignee=person, rule=rule, reason=reason)
    if team.assignment == Assignment.ROUND_ROBIN:
        person = next_in_turn(team, at)
        return Route(team=team, assignee=person, rule=rule, reason="in turn")
    return Route(team=team, assignee=None, rule=rule, reason="left for claiming")
