"""Removing a routing rule and retiring a reply template: admins only, audited, and what
follows (new threads on the topic refused; the template kept but no longer offered)."""

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import NotFound, PermissionDenied
from careloop.messaging.errors import NoRoute
from careloop.messaging.models import ReplyTemplate, RoutingRule, Thread, Topic
from careloop.messaging.selectors.inbox import reply_templates
from careloop.messaging.services.routing import (
    reply_template_retire,
    reply_template_save,
    routing_rule_remove,
)
from careloop.messaging.tests.messaging_builders import snapshot, start

pytestmark = pytest.mark.django_db


def test_a_removed_rule_makes_new_threads_on_its_topic_refused(admin, ann_in_concierge):
    routing_rule_remove(actor=admin, topic=Topic.CLINICAL_QUESTION)
    assert not RoutingRule.objects.exists()
    assert AuditEvent.objects.filter(action="messaging.routing_rule_remove").exists()
    with pytest.raises(NoRoute):
        start(ann_in_concierge)
    assert not Thread.objects.exists()


def test_a_threads_team_is_kept_when_its_rule_is_removed(admin, ann_thread):
    routing_rule_remove(actor=admin, topic=Topic.CLINICAL_QUESTION)
    ann_thread.refresh_from_db()
    assert ann_thread.team.name == "Clinical"


def test_only_admins_remove_a_rule_and_a_missing_rule_is_not_found(admin, provider, clinical):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        routing_rule_remove(actor=provider, topic=Topic.CLINICAL_QUESTION)
    with pytest.raises(NotFound):
        routing_rule_remove(actor=admin, topic=Topic.BILLING)
    assert snapshot() == before


def test_a_retired_template_is_kept_but_no_longer_offered(admin, provider):
    template = reply_template_save(actor=admin, name="Refill sent", body="Sent.", topic="refill")
    with pytest.raises(PermissionDenied):
        reply_template_retire(actor=provider, template=template)
    assert reply_templates(topic="refill") == [template]
    reply_template_retire(actor=admin, template=template)
    assert reply_templates(topic="refill") == []
    assert ReplyTemplate.objects.get(pk=template.pk).active is False
