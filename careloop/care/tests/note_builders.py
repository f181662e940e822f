"""Note templates for the note tests (synthetic data only)."""

from careloop.accounts.models import User
from careloop.care.models import NoteTemplate
from careloop.care.services.notes import note_template_create

VITALS = [
    {"key": "weight", "label": "Weight", "kind": "number", "unit": "kg", "low": 20, "high": 350},
    {
        "key": "systolic",
        "label": "Systolic",
        "kind": "number",
        "unit": "mm[Hg]",
        "low": 60,
        "high": 260,
    },
    {"key": "goal", "label": "Goal", "kind": "text"},
]
SOAP = ["subjective", "objective", "assessment", "plan"]
FILLED = {
    "subjective": "Feels better; walking daily.",
    "objective": "Alert, well.",
    "assessment": "Improving.",
    "plan": "Continue; recheck in a month.",
}


def progress_template(admin: User, name: str = "Monthly progress") -> NoteTemplate:
    return note_template_create(
        actor=admin, name=name, kind="progress", sections=SOAP, fields=VITALS
    )


def coaching_template(admin: User) -> NoteTemplate:
    return note_template_create(
        actor=admin,
        name="Coaching session",
        kind="coaching",
        sections=["subjective", "plan"],
        fields=[VITALS[0], VITALS[2]],
    )
