"""Results entered by hand: flagged against the component's range for the patient's sex at
birth (critical beyond the critical bounds); every bad result refuses the whole entry, names
the field and rule, and saves nothing."""

from datetime import timedelta

import pytest

from careloop.care.errors import IllegalLabOrderTransition
from careloop.care.models import LabOrder, LabOrderStatus, LabResult
from careloop.care.services.labs import ResultInput
from careloop.care.tests.lab_builders import lab_order, record, result
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def _saved(order: LabOrder) -> tuple[object, ...]:
    order.refresh_from_db()
    return (order.status, order.results.count(), order.changes.count())


@pytest.mark.parametrize(
    ("loinc", "value", "unit", "flag"),
    [
        ("2345-7", "65", "mg/dL", "low"),
        ("2345-7", "70", "mg/dL", "normal"),
        ("2345-7", "99", "mg/dL", "normal"),
        ("2345-7", "99.5", "mg/dL", "high"),
        ("2345-7", "39", "mg/dL", "critical"),
        ("2345-7", "501", "mg/dL", "critical"),
        ("2823-3", "6.6", "mmol/L", "critical"),
        ("2093-3", "240", "mg/dL", "high"),
        ("2093-3", "150", "mg/dL", "normal"),
    ],
)
def test_a_result_is_flagged_against_the_reference_range(
    provider, patient_ann, loinc, value, unit, flag
):
    order = lab_order(provider, patient_ann, "cmp", "lipid", status=LabOrderStatus.COLLECTED)
    record(provider, order, result(loinc, value, unit))
    assert LabResult.objects.get(order=order).flag == flag


@pytest.mark.parametrize(
    ("sex", "loinc", "value", "flag"),
    [
        ("female", "2085-9", "45", "low"),
        ("male", "2085-9", "45", "normal"),
        ("female", "2160-0", "1.2", "high"),
        ("male", "2160-0", "1.2", "normal"),
        ("unknown", "2160-0", "1.2", "normal"),
        ("unknown", "2160-0", "1.4", "high"),
    ],
)
def test_a_sex_specific_range_applies_to_a_patient_of_that_sex(provider, sex, loinc, value, flag):
    patient = make_patient(given="Sam", sex_at_birth=sex)
    order = lab_order(provider, patient, "cmp", "lipid", status=LabOrderStatus.COLLECTED)
    record(provider, order, result(loinc, value, "mg/dL"))
    assert LabResult.objects.get(order=order).flag == flag


def test_results_keep_value_unit_time_and_who_entered_them(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    taken = clock.now() - timedelta(hours=3)
    record(
        provider,
        order,
        ResultInput(
            field="results[0]", loinc="2571-8", value="120", unit="mg/dL", observed_at=taken
        ),
    )
    saved = LabResult.objects.get(order=order)
    assert (str(saved.value), saved.unit, saved.observed_at, saved.entered_by_id) == (
        "120.0000",
        "mg/dL",
        taken,
        provider.id,
    )
    assert saved.source == "manual"


def test_results_may_arrive_in_parts_until_the_review(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "5.1", "%"))
    record(provider, order, result("2093-3", "180", "mg/dL"))
    order.refresh_from_db()
    assert order.status == LabOrderStatus.RESULTED
    assert order.results.count() == 2


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        (result("9999-9", "1", "mg/dL"), "results[0].loinc", "unknown_loinc"),
        (result("3016-3", "2.1", "m[IU]/L"), "results[0].loinc", "not_ordered"),
        (result("2093-3", "180", "mmol/L"), "results[0].unit", "unit_mismatch"),
        (result("2093-3", "180", "MG/DL"), "results[0].unit", "unit_mismatch"),
        (result("2093-3", "high", "mg/dL"), "results[0].value", "not_numeric"),
        (result("2093-3", "NaN", "mg/dL"), "results[0].value", "not_numeric"),
        (result("2093-3", "", "mg/dL"), "results[0].value", "not_numeric"),
        (result("2093-3", "1e12", "mg/dL"), "results[0].value", "not_numeric"),
    ],
)
def test_a_bad_result_refuses_the_whole_entry(provider, patient_ann, given, field, code):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    before = _saved(order)
    good = result("4548-4", "5.1", "%", field="results[1]")
    with pytest.raises(ValidationFailed) as refused:
        record(provider, order, given, good)
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]
    assert _saved(order) == before


def test_every_bad_field_is_named_at_once(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    with pytest.raises(ValidationFailed) as refused:
        record(
            provider,
            order,
            result("2093-3", "x", "g/dL", field="results[0]"),
            result("2093-3", "1", "mg/dL", field="results[1]"),
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("results[0].value", "not_numeric"),
        ("results[0].unit", "unit_mismatch"),
        ("results[1].loinc", "duplicate"),
    ]
    assert not LabResult.objects.exists()


def test_a_component_is_resulted_once(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    record(provider, order, result("4548-4", "5.1", "%"))
    before = _saved(order)
    with pytest.raises(ValidationFailed) as refused:
        record(provider, order, result("4548-4", "5.3", "%"))
    assert refused.value.errors[0].code == "already_resulted"
    assert _saved(order) == before


def test_a_result_observed_in_the_future_is_refused(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    later = ResultInput(
        field="results[0]",
        loinc="4548-4",
        value="5",
        unit="%",
        observed_at=clock.now() + timedelta(hours=1),
    )
    with pytest.raises(ValidationFailed) as refused:
        record(provider, order, later)
    assert refused.value.errors[0].field == "results[0].observed_at"
    assert not LabResult.objects.exists()


def test_no_results_is_refused(provider, patient_ann):
    order = lab_order(provider, patient_ann, status=LabOrderStatus.COLLECTED)
    with pytest.raises(ValidationFailed) as refused:
        record(provider, order)
    assert refused.value.errors[0].field == "results"


@pytest.mark.parametrize(
    "status", [LabOrderStatus.DRAFT, LabOrderStatus.ORDERED, LabOrderStatus.CANCELLED]
)
def test_results_for_an_order_whose_specimen_was_not_collected_are_refused(
    provider, patient_ann, status
):
    order = lab_order(provider, patient_ann, status=status)
    before = _saved(order)
    with pytest.raises(IllegalLabOrderTransition):
        record(provider, order, result("4548-4", "5.1", "%"))
    assert _saved(order) == before
