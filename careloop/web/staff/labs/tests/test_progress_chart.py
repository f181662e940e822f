"""The progress section charts each measure over time as inline SVG with a data table: lab
values for roles that read results, note measurements for roles that read notes, with the
patient's goal where a signed note set one."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from careloop.care.models import LabOrderStatus
from careloop.care.services.labs import ResultInput
from careloop.care.services.notes import note_save, note_sign, note_start, note_template_create
from careloop.care.tests.lab_builders import lab_order, record
from careloop.core import clock
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _hba1c(provider, patient, value: str, observed: datetime) -> None:
    order = lab_order(provider, patient, "hba1c", status=LabOrderStatus.COLLECTED)
    record(provider, order, ResultInput("results[0]", "4548-4", value, "%", observed_at=observed))


def _weights(admin, provider, patient, goal_key: str = "goal_weight", goal: str = "85") -> None:
    template = note_template_create(
        actor=admin,
        name="Weight check",
        kind="progress",
        sections=["plan"],
        fields=[
            {"key": "weight", "label": "Weight", "kind": "number", "unit": "kg"},
            {"key": goal_key, "label": "Goal", "kind": "number"},
        ],
    )
    for day, weight in ((datetime(2026, 1, 5, 16, tzinfo=UTC), "92.5"), (None, "90.1")):
        if day is not None:
            clock.freeze(day)
        note = note_start(actor=provider, patient=patient, template=template)
        note_save(
            actor=provider,
            note=note,
            sections={"plan": "Walk daily."},
            values={"weight": weight, goal_key: goal},
        )
        note_sign(actor=provider, note=note)
        clock.freeze(datetime(2026, 3, 2, 15, tzinfo=UTC))


def _page(user, patient) -> str:
    url = reverse("staff:lab_progress", kwargs={"patient_id": patient.id})
    response = signed_in_client(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_lab_values_are_charted_with_their_dates_and_a_data_table(provider, patient_ann):
    _hba1c(provider, patient_ann, "7.2", datetime(2025, 12, 1, 15, tzinfo=UTC))
    _hba1c(provider, patient_ann, "6.4", datetime(2026, 3, 1, 15, tzinfo=UTC))
    page = _page(provider, patient_ann)
    assert page.count("<svg") == 1
    assert 'data-value="7.2" data-date="2025-12-01"' in page
    assert 'data-value="6.4" data-date="2026-03-01"' in page
    title = re.search(r'<title id="progress-loinc4548-4-title">([^<]*)</title>', page)
    assert title is not None
    assert title.group(1).endswith("(%): 2 values from Dec 1, 2025 to Mar 1, 2026")
    assert '<td>2025-12-01</td><td class="amount">7.2 %</td><td>high</td>' in page
    assert "Reference range 4\u20135.6 %" in page
    # The older value is left of the newer one, and the higher value above it (smaller y).
    line = re.search(r'<polyline points="([^"]*)"', page)
    assert line is not None
    (x1, y1), (x2, y2) = (map(float, pair.split(",")) for pair in line.group(1).split())
    assert x1 < x2
    assert y1 < y2


def test_measurements_are_charted_with_the_goal(admin, provider, patient_ann):
    _weights(admin, provider, patient_ann)
    page = _page(provider, patient_ann)
    assert 'data-value="92.5" data-date="2026-01-05"' in page
    assert 'data-value="90.1" data-date="2026-03-02"' in page
    assert 'class="goal"' in page
    assert "Goal 85 kg" in page
    assert "Weight (kg) · goal 85" in page
    # A goal is drawn on its measure, not charted as a measure of its own.
    assert 'id="progress-goal_weight"' not in page


def test_the_chart_section_shows_the_charts(provider, coach, patient_ann):
    _hba1c(provider, patient_ann, "6.4", datetime(2026, 3, 1, 15, tzinfo=UTC))
    chart = reverse("staff:patient_chart", kwargs={"patient_id": patient_ann.id})
    page = signed_in_client(coach).get(chart).content.decode()
    assert ">Progress</h2>" in page
    assert 'data-value="6.4"' in page


def test_a_lab_goal_is_drawn_on_its_component(admin, provider, patient_ann):
    _hba1c(provider, patient_ann, "6.4", datetime(2026, 3, 1, 15, tzinfo=UTC))
    _weights(admin, provider, patient_ann, goal_key="goal_4548_4", goal="6.5")
    page = _page(provider, patient_ann)
    hba1c = page[page.index('id="progress-loinc4548-4"') :].split("</figure>")[0]
    assert "Goal 6.5 %" in hba1c
    assert 'class="goal"' in hba1c


def test_admins_see_lab_values_but_not_note_measurements_or_goals(admin, provider, patient_ann):
    _hba1c(provider, patient_ann, "6.4", datetime(2026, 3, 1, 15, tzinfo=UTC))
    _weights(admin, provider, patient_ann, goal_key="goal_4548_4", goal="6.5")
    page = _page(admin, patient_ann)
    assert 'data-value="6.4"' in page
    assert 'data-value="92.5"' not in page
    assert "Goal" not in page


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_roles_that_may_not_read_results_get_no_progress(request, role, provider, patient_ann):
    _hba1c(provider, patient_ann, "6.4", datetime(2026, 3, 1, 15, tzinfo=UTC))
    user = request.getfixturevalue(role)
    client = signed_in_client(user)
    url = reverse("staff:lab_progress", kwargs={"patient_id": patient_ann.id})
    assert client.get(url).status_code == 403
    chart = reverse("staff:patient_chart", kwargs={"patient_id": patient_ann.id})
    page = client.get(chart).content.decode()
    assert ">Progress</h2>" not in page
    assert "6.4" not in page


def test_a_patient_without_values_gets_a_plain_message(provider, patient_ann):
    assert "No measurements or lab results yet." in _page(provider, patient_ann)
