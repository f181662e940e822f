"""Employer sponsors: who they are, which plans they pay for and how much, and their roster.

A roster entry covers one patient between two dates (termination exclusive); a patient is on a
sponsor's roster at most once at any date. Roster files are checked in full first (a preview)
and applied all or nothing, so a file with a typo never leaves half a roster behind.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed
from careloop.core.phone import normalize_phone
from careloop.memberships import catalog_rules as rules
from careloop.memberships.models import Plan, PlanStatus, RosterEntry, Sponsor, SponsorShare
from careloop.patients.models import Patient
from careloop.patients.search import fold

# --- sponsors -------------------------------------------------------------------------------


class SponsorFields(TypedDict, total=False):
    name: str
    contact_name: str
    contact_email: str
    contact_phone: str
    share: str
    fixed_share_amount: int | None
    plan_ids: list[int]
    active: bool


SPONSOR_DEFAULTS: dict[str, Any] = {
    "contact_name": "",
    "contact_email": "",
    "contact_phone": "",
    "share": SponsorShare.ALL.value,
    "fixed_share_amount": None,
    "plan_ids": [],
    "active": True,
}


def _contact_email(value: Any) -> str:
    cleaned = rules.text("contact_email", value, label="Contact email", limit=254, required=False)
    if not cleaned:
        return ""
    try:
        validate_email(cleaned)
    except ValidationError:
        raise ValidationFailed.single(
            "contact_email",
            f"“{cleaned}” is not an email address such as name@example.com.",
            "invalid",
        ) from None
    local, _, domain = cleaned.rpartition("@")
    return f"{local}@{domain.lower()}"


def _clean_sponsor(
    values: dict[str, Any], *, sponsor: Sponsor | None
) -> tuple[dict[str, Any], list[Plan]]:
    checks = rules.Checks()
    cleaned: dict[str, Any] = {
        "name": checks.run(
            lambda: rules.text("name", values.get("name"), label="Name", limit=200), ""
        ),
        "contact_name": checks.run(
            lambda: rules.text(
                "contact_name",
                values.get("contact_name"),
                label="Contact name",
                limit=200,
                required=False,
            ),
            "",
        ),
        "contact_email": checks.run(lambda: _contact_email(values.get("contact_email")), ""),
        "contact_phone": checks.run(
            lambda: normalize_phone(str(values.get("contact_phone") or ""), field="contact_phone"),
            "",
        ),
        "share": checks.run(
            lambda: rules.choice(
                "share", values.get("share"), label="Share", choices=SponsorShare.choices
            ),
            SponsorShare.ALL.value,
        ),
        "fixed_share_amount": None,
        "active": checks.run(
            lambda: rules.flag("active", values.get("active"), label="Active"), True
        ),
    }
    amount = values.get("fixed_share_amount")
    if cleaned["share"] == SponsorShare.FIXED:
        if amount is None or amount == "":
            checks.add(
                "fixed_share_amount",
                "A fixed share needs its amount per member per month.",
                "required",
            )
        else:
            cleaned["fixed_share_amount"] = checks.run(
                lambda: rules.amount("fixed_share_amount", amount, label="Fixed share"), None
            )
            if cleaned["fixed_share_amount"] == 0:
                checks.add(
                    "fixed_share_amount",
                    "A fixed share of $0.00 pays nothing; give an amount above zero.",
                    "too_small",
                )
    elif amount is not None and amount != "":
        checks.add(
            "fixed_share_amount",
            "Leave the fixed share empty when the sponsor pays the whole price.",
            "not_applicable",
        )
    plan_ids = list(values.get("plan_ids") or [])
    plans = list(Plan.objects.filter(id__in=plan_ids))
    missing = sorted(set(plan_ids) - {plan.id for plan in plans})
    if missing:
        checks.add(
            "plan_ids",
            f"There is no plan with id {', '.join(str(i) for i in missing)}.",
            "not_found",
        )
    already = set(sponsor.plans.values_list("id", flat=True)) if sponsor is not None else set()
    for plan in plans:
        if plan.status == PlanStatus.RETIRED and plan.id not in already:
            checks.add("plan_ids", f"“{plan.name}” is retired and sells no more.", "plan_retired")
    if not checks.has("name"):
        same = Sponsor.objects.filter(name__iexact=cleaned["name"])
        if sponsor is not None:
            same = same.exclude(id=sponsor.id)
        if same.exists():
            checks.add("name", f"A sponsor called “{cleaned['name']}” already exists.", "taken")
    checks.raise_if_any()
    return cleaned, plans


def sponsor_create(*, actor: User, **fields: Unpack[SponsorFields]) -> Sponsor:
    """Add an employer that pays for its people: all of the price, or a fixed amount each."""
    with transaction.atomic():
        cleaned, plans = _clean_sponsor(SPONSOR_DEFAULTS | dict(fields), sponsor=None)
        sponsor = Sponsor.objects.create(**cleaned, created_at=clock.now())
        sponsor.plans.set(plans)
        audit_record(
            action="sponsor.create",
            actor=actor,
            object_type="sponsor",
            object_id=sponsor.id,
            detail={"fields": sorted([*cleaned, "plans"])},
        )
    return sponsor


def sponsor_update(*, actor: User, sponsor: Sponsor, **changes: Unpack[SponsorFields]) -> Sponsor:
    with transaction.atomic():
        locked = Sponsor.objects.select_for_update().get(id=sponsor.id)
        current_plans = sorted(locked.plans.values_list("id", flat=True))
        current: dict[str, Any] = {
            name: getattr(locked, name) for name in SPONSOR_DEFAULTS if name != "plan_ids"
        } | {"name": locked.name, "plan_ids": current_plans}
        cleaned, plans = _clean_sponsor(current | dict(changes), sponsor=locked)
        changed = sorted(name for name, value in cleaned.items() if current[name] != value)
        for name in changed:
            setattr(locked, name, cleaned[name])
        if changed:
            locked.save(update_fields=changed)
        if sorted(plan.id for plan in plans) != current_plans:
            locked.plans.set(plans)
            changed.append("plans")
        if changed:
            audit_record(
                action="sponsor.update",
                actor=actor,
                object_type="sponsor",
                object_id=locked.id,
                detail={"fields": changed},
            )
    return locked


# --- roster ---------------------------------------------------------------------------------


def _overlapping(
    sponsor: Sponsor, patient_id: int, effective_on: date, terminated_on: date | None
) -> RosterEntry | None:
    for entry in RosterEntry.objects.filter(sponsor=sponsor, patient_id=patient_id):
        starts_before_end = terminated_on is None or entry.effective_on < terminated_on
        ends_after_start = entry.terminated_on is None or entry.terminated_on > effective_on
        if starts_before_end and ends_after_start:
            return entry
    return None


def _span(entry: RosterEntry) -> str:
    ends = f" until {entry.terminated_on.isoformat()}" if entry.terminated_on else ""
    return f"from {entry.effective_on.isoformat()}{ends}"


def _roster_problems(
    sponsor: Sponsor, patient: Patient, effective_on: date | None, terminated_on: date | None
) -> list[FieldError]:
    problems: list[FieldError] = []
    if not sponsor.active:
        problems.append(
            FieldError("sponsor", f"{sponsor.name} is inactive; reactivate it first.", "inactive")
        )
    if effective_on is None:
        problems.append(FieldError("effective_on", "Effective date is required.", "required"))
        return problems
    if effective_on < patient.date_of_birth:
        problems.append(
            FieldError(
                "effective_on",
                f"The effective date {effective_on.isoformat()} is before "
                f"{patient.full_name}'s birth.",
                "before_birth",
            )
        )
    if terminated_on is not None and terminated_on <= effective_on:
        problems.append(
            FieldError(
                "terminated_on",
                "The termination date must be after the effective date.",
                "ends_before_start",
            )
        )
        return problems
    clash = _overlapping(sponsor, patient.id, effective_on, terminated_on)
    if clash is not None:
        problems.append(
            FieldError(
                "effective_on",
                f"{patient.full_name} is already on {sponsor.name}'s roster {_span(clash)}.",
                "already_on_roster",
            )
        )
    return problems


def _add_entry(
    actor: User, sponsor: Sponsor, patient: Patient, effective_on: date, terminated_on: date | None
) -> RosterEntry:
    entry = RosterEntry.objects.create(
        sponsor=sponsor,
        patient=patient,
        effective_on=effective_on,
        terminated_on=terminated_on,
        created_at=clock.now(),
    )
    audit_record(
        action="sponsor.roster_add",
        actor=actor,
        patient_id=patient.id,
        object_type="roster_entry",
        object_id=entry.id,
        detail={"fields": ["effective_on", "terminated_on"], "sponsor_id": sponsor.id},
    )
    return entry


def roster_add(
    *,
    actor: User,
    sponsor: Sponsor,
    patient: Patient,
    effective_on: date | None,
    terminated_on: date | None = None,
) -> RosterEntry:
    """Put a patient on a sponsor's roster from `effective_on` (until `terminated_on`, if given)."""
    with transaction.atomic():
        locked = Sponsor.objects.select_for_update().get(id=sponsor.id)
        problems = _roster_problems(locked, patient, effective_on, terminated_on)
        if problems:
            raise ValidationFailed(problems)
        assert effective_on is not None
        return _add_entry(actor, locked, patient, effective_on, terminated_on)


def _terminate(actor: User, entry: RosterEntry, terminated_on: date) -> None:
    entry.terminated_on = terminated_on
    entry.save(update_fields=["terminated_on"])
    audit_record(
        action="sponsor.roster_terminate",
        actor=actor,
        patient_id=entry.patient_id,
        object_type="roster_entry",
        object_id=entry.id,
        detail={"fields": ["terminated_on"], "sponsor_id": entry.sponsor_id},
    )


def roster_terminate(*, actor: User, entry: RosterEntry, terminated_on: date | None) -> RosterEntry:
    """End a roster entry: the sponsor covers the patient until the day before `terminated_on`."""
    with transaction.atomic():
        Sponsor.objects.select_for_update().get(id=entry.sponsor_id)
        locked = RosterEntry.objects.select_for_update().get(id=entry.id)
        if terminated_on is None:
            raise ValidationFailed.single(
                "terminated_on", "Termination date is required.", "required"
            )
        if locked.terminated_on is not None:
            raise ValidationFailed.single(
                "terminated_on",
                f"This entry was already terminated on {locked.terminated_on.isoformat()}.",
                "already_terminated",
            )
        if terminated_on <= locked.effective_on:
            raise ValidationFailed.single(
                "terminated_on",
                f"The termination date must be after the effective date "
                f"{locked.effective_on.isoformat()}.",
                "ends_before_start",
            )
        _terminate(actor, locked, terminated_on)
    return locked


# --- roster files ---------------------------------------------------------------------------

ROSTER_COLUMNS = ("given_name", "family_name", "date_of_birth", "effective_on", "terminated_on")
REQUIRED_COLUMNS = ROSTER_COLUMNS[:4]
ROSTER_FILE_ROW_LIMIT = 5000
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


class RowOutcome(StrEnum):
    ADD = "add"
    TERMINATE = "terminate"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    INVALID = "invalid"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"


OUTCOME_LABELS = {
    RowOutcome.ADD: "to add",
    RowOutcome.TERMINATE: "to terminate",
    RowOutcome.UNCHANGED: "unchanged",
    RowOutcome.NOT_FOUND: "not found",
    RowOutcome.AMBIGUOUS: "ambiguous",
    RowOutcome.INVALID: "invalid",
    RowOutcome.CONFLICT: "in conflict with the roster",
    RowOutcome.DUPLICATE: "repeated in the file",
}

APPLICABLE = frozenset({RowOutcome.ADD, RowOutcome.TERMINATE, RowOutcome.UNCHANGED})


@dataclass
class RosterRow:
    """One line of a roster file and what applying it would do."""

    line: int
    given_name: str
    family_name: str
    date_of_birth: str
    outcome: RowOutcome
    message: str
    patient: Patient | None = None
    effective_on: date | None = None
    terminated_on: date | None = None
    entry: RosterEntry | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in APPLICABLE

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome].capitalize()


@dataclass
class RosterPreview:
    rows: list[RosterRow] = field(default_factory=list)
    file_error: str = ""

    @property
    def problems(self) -> list[RosterRow]:
        return [row for row in self.rows if not row.ok]

    @property
    def applicable(self) -> bool:
        """True when every row can be applied and at least one changes the roster."""
        return (
            not self.file_error
            and not self.problems
            and any(row.outcome != RowOutcome.UNCHANGED for row in self.rows)
        )

    def count(self, outcome: RowOutcome) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def summary(self) -> str:
        """ "2 to add, 1 not found": every outcome present, in a fixed order."""
        return ", ".join(
            f"{self.count(outcome)} {label}"
            for outcome, label in OUTCOME_LABELS.items()
            if self.count(outcome)
        )


def _parse_date(text: str) -> date | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _plan_rows(sponsor: Sponsor, content: str) -> RosterPreview:
    preview = RosterPreview()
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    headers = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    if missing:
        preview.file_error = (
            f"The file's first line must name the columns {', '.join(ROSTER_COLUMNS)} "
            f"(terminated_on may be left out); missing: {', '.join(missing)}."
        )
        return preview
    reader.fieldnames = headers
    seen: dict[int, int] = {}
    for record in reader:
        if len(preview.rows) >= ROSTER_FILE_ROW_LIMIT:
            preview.file_error = f"A roster file may hold at most {ROSTER_FILE_ROW_LIMIT} rows."
            return preview
        values = {key: (value or "").strip() for key, value in record.items() if key}
        if not any(values.values()):
            continue
        preview.rows.append(_plan_row(sponsor, reader.line_num, values, seen))
    if not preview.rows:
        preview.file_error = "The file has a header line but no rows."
    return preview


def _plan_row(
    sponsor: Sponsor, line: int, values: dict[str, str], seen: dict[int, int]
) -> RosterRow:
    row = RosterRow(
        line=line,
        given_name=values.get("given_name", ""),
        family_name=values.get("family_name", ""),
        date_of_birth=values.get("date_of_birth", ""),
        outcome=RowOutcome.INVALID,
        message="",
    )
    problems = []
    if not row.given_name or not row.family_name:
        problems.append("given_name and family_name are required")
    birth = _parse_date(row.date_of_birth)
    if birth is None:
        problems.append(f"date_of_birth “{row.date_of_birth}” is not a date such as 1980-05-17")
    row.effective_on = _parse_date(values.get("effective_on", ""))
    if row.effective_on is None:
        problems.append(
            f"effective_on “{values.get('effective_on', '')}” is not a date such as 2025-01-01"
        )
    terminated_text = values.get("terminated_on", "")
    if terminated_text:
        row.terminated_on = _parse_date(terminated_text)
        if row.terminated_on is None:
            problems.append(f"terminated_on “{terminated_text}” is not a date such as 2025-12-31")
    if (
        row.effective_on is not None
        and row.terminated_on is not None
        and row.terminated_on <= row.effective_on
    ):
        problems.append("terminated_on must be after effective_on")
    if problems or birth is None:
        row.message = "; ".join(problems) + "."
        return row
    matches = list(
        Patient.objects.filter(
            search_given=fold(row.given_name)[:100],
            search_family=fold(row.family_name)[:100],
            date_of_birth=birth,
        )[:2]
    )
    if not matches:
        row.outcome = RowOutcome.NOT_FOUND
        row.message = "No patient has this name and date of birth; register them first."
        return row
    if len(matches) > 1:
        row.outcome = RowOutcome.AMBIGUOUS
        row.message = (
            "More than one patient has this name and date of birth; add this person from the "
            "roster page instead."
        )
        return row
    patient = row.patient = matches[0]
    if patient.id in seen:
        row.outcome = RowOutcome.DUPLICATE
        row.message = f"The same person as on line {seen[patient.id]}."
        return row
    seen[patient.id] = line
    assert row.effective_on is not None
    same_start = RosterEntry.objects.filter(
        sponsor=sponsor, patient=patient, effective_on=row.effective_on
    ).first()
    if same_start is not None:
        return _plan_known(row, same_start)
    problems_found = _roster_problems(sponsor, patient, row.effective_on, row.terminated_on)
    if problems_found:
        row.outcome = RowOutcome.CONFLICT
        row.message = " ".join(problem.message for problem in problems_found)
        return row
    row.outcome = RowOutcome.ADD
    row.message = "Will be added."
    return row


def _plan_known(row: RosterRow, entry: RosterEntry) -> RosterRow:
    """A row naming an entry already on the roster: unchanged, or its termination."""
    row.entry = entry
    if entry.terminated_on == row.terminated_on:
        row.outcome = RowOutcome.UNCHANGED
        row.message = "Already on the roster with these dates."
    elif entry.terminated_on is None:
        row.outcome = RowOutcome.TERMINATE
        assert row.terminated_on is not None
        row.message = f"Will be terminated on {row.terminated_on.isoformat()}."
    else:
        row.outcome = RowOutcome.CONFLICT
        row.message = (
            f"Already terminated on {entry.terminated_on.isoformat()}; the file says "
            f"{row.terminated_on.isoformat() if row.terminated_on else 'no termination'}."
        )
    return row


def roster_upload_preview(*, actor: User, sponsor: Sponsor, content: str) -> RosterPreview:
    """What applying a roster file would do, row by row; changes nothing.

    Columns: given_name, family_name, date_of_birth, effective_on, terminated_on (optional).
    Each row is matched to a patient by folded name and date of birth. Showing the matches is a
    read of those patients, so it is audited.
    """
    preview = _plan_rows(sponsor, content)
    audit_record(
        action="sponsor.roster_preview",
        actor=actor,
        object_type="sponsor",
        object_id=sponsor.id,
        detail={"patient_ids": [row.patient.id for row in preview.rows if row.patient]},
    )
    return preview


def roster_upload_apply(*, actor: User, sponsor: Sponsor, content: str) -> RosterPreview:
    """Apply a roster file all or nothing: any row that cannot be applied refuses the file."""
    with transaction.atomic():
        locked = Sponsor.objects.select_for_update().get(id=sponsor.id)
        preview = _plan_rows(locked, content)
        if preview.file_error:
            raise ValidationFailed.single("file", preview.file_error, "invalid_file")
        if preview.problems:
            raise ValidationFailed(
                [
                    FieldError("file", f"Line {row.line}: {row.message}", row.outcome.value)
                    for row in preview.problems
                ],
                "Nothing was applied: some rows need attention.",
            )
        for row in preview.rows:
            if row.outcome == RowOutcome.ADD:
                assert row.patient is not None
                assert row.effective_on is not None
                row.entry = _add_entry(
                    actor, locked, row.patient, row.effective_on, row.terminated_on
                )
            elif row.outcome == RowOutcome.TERMINATE:
                assert row.entry is not None
                assert row.terminated_on is not None
                _terminate(actor, row.entry, row.terminated_on)
        audit_record(
            action="sponsor.roster_upload",
            actor=actor,
            object_type="sponsor",
            object_id=locked.id,
            detail={
                "added": preview.count(RowOutcome.ADD),
                "terminated": preview.count(RowOutcome.TERMINATE),
                "unchanged": preview.count(RowOutcome.UNCHANGED),
            },
        )
    return preview
