"""Note pages: the list for those who read notes, starting a note from a template, editing
and signing a draft, reading a signed note and adding an addendum; the services' refusals
(someone else's draft, a signed note) shown as errors that change nothing."""

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.care.models import ClinicalNote, Measurement, NoteAddendum
from careloop.care.services.notes import note_save, note_sign, note_start
from careloop.care.tests.note_builders import FILLED, coaching_template, progress_template
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _draft(author, patient, template):
    return note_start(actor=author, patient=patient, template=template)


def _signed(author, patient, template):
    note = _draft(author, patient, template)
    sections = {key: FILLED[key] for key in template.sections}
    note_save(actor=author, note=note, sections=sections, values={"weight": "88"})
    return note_sign(actor=author, note=note)


def _state(note: ClinicalNote) -> tuple[object, ...]:
    note.refresh_from_db()
    return note.status, note.sections, note.values, note.addenda.count()


def _form(note: ClinicalNote, **changes: str) -> dict[str, str]:
    data = {f"sections.{key}": text for key, text in FILLED.items()}
    data.update({"values.weight": "88", "values.systolic": "128", "values.goal": "Walk 8k steps"})
    data.update(changes)
    return data


def test_a_provider_starts_a_progress_note_and_edits_the_draft(admin, provider, patient_ann):
    template = progress_template(admin)
    client = signed_in_client(provider)
    listing = reverse("staff:note_list", kwargs={"patient_id": patient_ann.id})
    assert "Monthly progress (progress note)" in client.get(listing).content.decode()
    response = client.post(
        reverse("staff:note_new", kwargs={"patient_id": patient_ann.id}),
        {"template": template.id},
    )
    note = ClinicalNote.objects.get()
    assert response["Location"] == reverse("staff:note_edit", kwargs={"note_id": note.id})
    edit = client.get(response["Location"]).content.decode()
    for name in ("sections.subjective", "sections.plan", "values.weight", "values.goal"):
        assert f'name="{name}"' in edit
    client.post(response["Location"], _form(note, action="save"))
    assert _state(note) == (
        "draft",
        FILLED,
        {"weight": "88", "systolic": "128", "goal": "Walk 8k steps"},
        0,
    )


def test_signing_from_the_edit_page_signs_and_records_measurements(admin, provider, patient_ann):
    note = _draft(provider, patient_ann, progress_template(admin))
    url = reverse("staff:note_edit", kwargs={"note_id": note.id})
    response = signed_in_client(provider).post(url, _form(note, action="sign"))
    assert response["Location"] == reverse("staff:note_detail", kwargs={"note_id": note.id})
    assert _state(note)[0] == "signed"
    recorded = {key: str(value) for key, value in Measurement.objects.values_list("key", "value")}
    assert recorded == {"weight": "88.000", "systolic": "128.000"}
    page = signed_in_client(provider).get(response["Location"]).content.decode()
    assert f"Signed</span> by {provider.display_name}" in page
    assert "Feels better; walking daily." in page
    assert "88 kg" in page
    assert reverse("staff:note_edit", kwargs={"note_id": note.id}) not in page


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"values.weight": "heavy"}, "values.weight", "invalid"),
        ({"values.systolic": "400"}, "values.systolic", "out_of_range"),
        ({"sections.plan": "", "action": "sign"}, "sections.plan", "required"),
    ],
)
def test_bad_input_names_the_field_and_rule_and_changes_nothing(
    admin, provider, patient_ann, changes, field, rule
):
    note = _draft(provider, patient_ann, progress_template(admin))
    before = _state(note)
    url = reverse("staff:note_edit", kwargs={"note_id": note.id})
    response = signed_in_client(provider).post(url, _form(note, **{"action": "save", **changes}))
    assert response.status_code == 422
    page = response.content.decode()
    assert f"<strong>{field}</strong>" in page
    assert f"({rule})" in page
    # What was typed stays in the form to be corrected.
    assert "Feels better; walking daily." in page
    assert _state(note) == before
    assert not Measurement.objects.exists()


def test_someone_elses_draft_is_refused_and_unchanged(admin, provider, coach, patient_ann):
    note = _draft(coach, patient_ann, coaching_template(admin))
    before = _state(note)
    url = reverse("staff:note_edit", kwargs={"note_id": note.id})
    client = signed_in_client(provider)
    page = client.post(url, {"sections.plan": "Mine now", "action": "sign"}, follow=True)
    assert "Only the author may edit or sign this draft" in page.content.decode()
    assert _state(note) == before
    assert "Only the author" in client.get(url, follow=True).content.decode()
    refusals = AuditEvent.objects.filter(action="care.note_refused", actor_id=provider.id)
    assert set(refusals.values_list("outcome", "detail__code")) == {("denied", "not_author")}


def test_a_signed_note_cannot_be_edited(admin, provider, patient_ann):
    note = _signed(provider, patient_ann, progress_template(admin))
    before = _state(note)
    url = reverse("staff:note_edit", kwargs={"note_id": note.id})
    page = signed_in_client(provider).post(url, _form(note, action="save"), follow=True)
    assert "This note is signed and cannot change" in page.content.decode()
    assert _state(note) == before


def test_a_coach_is_offered_only_coaching_templates_and_cannot_start_a_progress_note(
    admin, coach, patient_ann
):
    progress = progress_template(admin)
    coaching_template(admin)
    client = signed_in_client(coach)
    listing = client.get(reverse("staff:note_list", kwargs={"patient_id": patient_ann.id}))
    assert "Coaching session" in listing.content.decode()
    assert "Monthly progress" not in listing.content.decode()
    url = reverse("staff:note_new", kwargs={"patient_id": patient_ann.id})
    response = client.post(url, {"template": progress.id})
    assert response.status_code == 422
    assert "Only providers write progress notes" in response.content.decode()
    assert not ClinicalNote.objects.exists()


def test_starting_without_a_template_names_the_field(provider, patient_ann):
    url = reverse("staff:note_new", kwargs={"patient_id": patient_ann.id})
    response = signed_in_client(provider).post(url, {"template": ""})
    assert response.status_code == 422
    assert "<strong>template</strong>" in response.content.decode()
    assert not ClinicalNote.objects.exists()


def test_an_addendum_is_added_to_a_signed_note(admin, provider, coach, patient_ann):
    note = _signed(provider, patient_ann, coaching_template(admin))
    url = reverse("staff:note_addendum", kwargs={"note_id": note.id})
    signed_in_client(coach).post(url, {"text": "Called: feeling well."})
    addendum = NoteAddendum.objects.get()
    assert (addendum.author, addendum.text) == (coach, "Called: feeling well.")
    page = signed_in_client(provider).get(reverse("staff:note_detail", kwargs={"note_id": note.id}))
    assert "Called: feeling well." in page.content.decode()


def test_an_empty_addendum_names_the_field_and_adds_nothing(admin, provider, patient_ann):
    note = _signed(provider, patient_ann, progress_template(admin))
    url = reverse("staff:note_addendum", kwargs={"note_id": note.id})
    response = signed_in_client(provider).post(url, {"text": "  "})
    assert response.status_code == 422
    assert "<strong>text</strong>" in response.content.decode()
    assert not NoteAddendum.objects.exists()


def test_a_draft_takes_no_addendum(admin, provider, patient_ann):
    note = _draft(provider, patient_ann, progress_template(admin))
    url = reverse("staff:note_addendum", kwargs={"note_id": note.id})
    page = signed_in_client(provider).post(url, {"text": "Later"}, follow=True)
    assert "A draft is edited, not amended" in page.content.decode()
    assert not NoteAddendum.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "billing", "admin"])
def test_roles_that_do_not_read_notes_see_no_contents(request, role, admin, provider, patient_ann):
    note = _signed(provider, patient_ann, progress_template(admin))
    client = signed_in_client(request.getfixturevalue(role))
    for url in (
        reverse("staff:note_list", kwargs={"patient_id": patient_ann.id}),
        reverse("staff:note_detail", kwargs={"note_id": note.id}),
    ):
        assert client.get(url).status_code == 403
    chart = reverse("staff:patient_chart", kwargs={"patient_id": patient_ann.id})
    page = client.get(chart).content.decode()
    assert ">Notes</h2>" not in page
    assert "Feels better" not in page


def test_the_chart_lists_notes_for_clinicians(admin, provider, coach, patient_ann):
    note = _signed(provider, patient_ann, progress_template(admin))
    chart = reverse("staff:patient_chart", kwargs={"patient_id": patient_ann.id})
    page = signed_in_client(coach).get(chart).content.decode()
    assert ">Notes</h2>" in page
    assert reverse("staff:note_detail", kwargs={"note_id": note.id}) in page
