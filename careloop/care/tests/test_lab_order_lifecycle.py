"""A lab order moves draft -> ordered -> specimen collected -> resulted -> reviewed, or is
cancelled from draft or ordered; every other move is refused naming the rule, and changes
nothing. Each change keeps a history row and an audit row."""

import pytest

from careloop.audit.models import AuditEvent
from careloop.care.errors import IllegalLabOrderTransition
from careloop.care.lab_catalog import CATALOG, lab_catalog_seed
from careloop.care.lifecycle import LabAction
from careloop.care.models import LabComponent, LabOrder, LabOrderStatus, LabPanel
from careloop.care.services.labs import lab_order_change, lab_order_create, lab_order_review
from careloop.care.tests.lab_builders import lab_order, panels, record, result, resulted
from careloop.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def _state(order: LabOrder) -> tuple[object, ...]:
    order.refresh_from_db()
    return (order.status, order.changes.count(), order.reviewed_by_id)


def test_the_catalog_holds_the_panels_with_loinc_codes_units_and_ranges():
    assert set(LabPanel.objects.values_list("code", flat=True)) >= {"hba1c", "lipid", "cmp", "tsh"}
    hba1c = LabComponent.objects.get(loinc="4548-4")
    assert (hba1c.panel.code, hba1c.unit, str(hba1c.low), str(hba1c.high)) == (
        "hba1c",
        "%",
        "4.000",
        "5.600",
    )
    lipid = set(LabComponent.objects.filter(panel__code="lipid").values_list("loinc", flat=True))
    assert lipid == {"2093-3", "2085-9", "13457-7", "2571-8"}
    assert LabComponent.objects.get(loinc="3016-3").unit == "m[IU]/L"


def test_seeding_the_catalog_again_changes_nothing():
    before = list(LabComponent.objects.order_by("loinc").values())
    lab_catalog_seed(LabPanel, LabComponent)
    assert list(LabComponent.objects.order_by("loinc").values()) == before
    assert LabPanel.objects.count() == len(CATALOG)


def test_an_order_walks_every_step_to_reviewed_with_history_and_audit(provider, patient_ann):
    order = lab_order(provider, patient_ann, "hba1c")
    assert order.status == LabOrderStatus.DRAFT
    lab_order_change(actor=provider, order=order, action=LabAction.ORDER)
    assert order.status == LabOrderStatus.ORDERED
    assert order.ordered_at is not None
    lab_order_change(actor=provider, order=order, action=LabAction.COLLECT)
    assert order.status == LabOrderStatus.COLLECTED
    assert order.collected_at is not None
    record(provider, order, result("4548-4", "5.1", "%"))
    order.refresh_from_db()
    assert order.status == LabOrderStatus.RESULTED
    assert order.resulted_at is not None
    lab_order_review(actor=provider, order=order)
    assert (order.status, order.reviewed_by_id) == (LabOrderStatus.REVIEWED, provider.id)
    history = list(order.changes.values_list("action", "from_status", "to_status"))
    assert history == [
        ("create", "", "draft"),
        ("order", "draft", "ordered"),
        ("collect", "ordered", "collected"),
        ("result", "collected", "resulted"),
        ("review", "resulted", "reviewed"),
    ]
    audited = AuditEvent.objects.filter(object_type="lab_order", object_id=str(order.pk))
    assert list(audited.order_by("sequence").values_list("action", flat=True)) == [
        "lab.order_create",
        "lab.order_order",
        "lab.order_collect",
        "lab.order_result",
        "lab.order_review",
    ]
    assert set(audited.values_list("patient_id", flat=True)) == {patient_ann.id}


@pytest.mark.parametrize("status", [LabOrderStatus.DRAFT, LabOrderStatus.ORDERED])
def test_an_order_is_cancelled_from_draft_or_ordered_with_a_reason(provider, patient_ann, status):
    order = lab_order(provider, patient_ann, status=status)
    lab_order_change(actor=provider, order=order, action=LabAction.CANCEL, reason="Duplicate")
    assert order.status == LabOrderStatus.CANCELLED
    assert order.changes.last().reason == "Duplicate"  # type: ignore[union-attr]


def test_a_cancellation_needs_a_reason(provider, patient_ann):
    order = lab_order(provider, patient_ann)
    before = _state(order)
    with pytest.raises(ValidationFailed) as refused:
        lab_order_change(actor=provider, order=order, action=LabAction.CANCEL, reason=" ")
    assert refused.value.errors[0].field == "reason"
    assert _state(order) == before


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (LabOrderStatus.DRAFT, LabAction.COLLECT),
        (LabOrderStatus.ORDERED, LabAction.ORDER),
        (LabOrderStatus.COLLECTED, LabAction.CANCEL),
        (LabOrderStatus.COLLECTED, LabAction.ORDER),
        (LabOrderStatus.CANCELLED, LabAction.ORDER),
        (LabOrderStatus.CANCELLED, LabAction.COLLECT),
    ],
)
def test_moves_outside_the_lifecycle_are_refused(provider, patient_ann, status, action):
    order = lab_order(provider, patient_ann, status=status)
    before = _state(order)
    with pytest.raises(IllegalLabOrderTransition) as refused:
        lab_order_change(actor=provider, order=order, action=action, reason="Test")
    assert f"cannot {action.value}" in refused.value.message
    assert _state(order) == before


def test_a_resulted_order_cannot_be_cancelled(provider, patient_ann):
    order = resulted(provider, patient_ann)
    before = _state(order)
    with pytest.raises(IllegalLabOrderTransition, match="resulted cannot cancel"):
        lab_order_change(actor=provider, order=order, action=LabAction.CANCEL, reason="Late")
    assert _state(order) == before


@pytest.mark.parametrize("status", [LabOrderStatus.ORDERED, LabOrderStatus.COLLECTED])
def test_only_a_resulted_order_is_reviewed(provider, patient_ann, status):
    order = lab_order(provider, patient_ann, status=status)
    before = _state(order)
    with pytest.raises(IllegalLabOrderTransition, match="only when it is resulted"):
        lab_order_review(actor=provider, order=order)
    assert _state(order) == before


def test_a_reviewed_order_is_not_reviewed_twice(provider, patient_ann):
    order = resulted(provider, patient_ann)
    lab_order_review(actor=provider, order=order)
    before = _state(order)
    with pytest.raises(IllegalLabOrderTransition):
        lab_order_review(actor=provider, order=order)
    assert _state(order) == before


@pytest.mark.parametrize("role", ["admin", "coach", "front_desk"])
def test_only_a_provider_reviews(request, provider, patient_ann, role):
    order = resulted(provider, patient_ann)
    before = _state(order)
    with pytest.raises(PermissionDenied):
        lab_order_review(actor=request.getfixturevalue(role), order=order)
    assert _state(order) == before


@pytest.mark.parametrize(
    ("codes", "field", "code"),
    [((), "panels", "required"), (("tsh", "tsh"), "panels", "duplicate")],
)
def test_an_order_needs_distinct_panels(provider, patient_ann, codes, field, code):
    with pytest.raises(ValidationFailed) as refused:
        lab_order_create(
            actor=provider, patient=patient_ann, panels=panels(*codes), ordering_provider=provider
        )
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (field, code)
    assert not LabOrder.objects.exists()


@pytest.mark.parametrize("who", ["coach", "front_desk", None])
def test_the_ordering_provider_must_be_a_provider(request, coach, patient_ann, who):
    named = request.getfixturevalue(who) if who else None
    with pytest.raises(ValidationFailed) as refused:
        lab_order_create(
            actor=coach, patient=patient_ann, panels=panels("tsh"), ordering_provider=named
        )
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (
        "ordering_provider",
        "not_provider",
    )
    assert not LabOrder.objects.exists()
