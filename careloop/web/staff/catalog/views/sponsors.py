from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability, has_capability
from careloop.audit.services import audit_record
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Plan, PlanStatus, RosterEntry, Sponsor
from careloop.memberships.selectors.catalog import sponsor_roster, sponsors_with_counts
from careloop.memberships.services import sponsors
from careloop.patients.access import access_patient
from careloop.web.decorators import staff_view
from careloop.web.money import dollars
from careloop.web.staff.catalog.forms import (
    RosterAddForm,
    RosterTerminateForm,
    RosterUploadForm,
    SponsorForm,
    show_errors,
)
from careloop.web.staff.catalog.views.common import render_form
from careloop.web.staff.patients.views.common import acting_user, search_rows

CANDIDATE_LIMIT = 10
UPLOAD_LIMIT_BYTES = 1_000_000


def _sponsor(sponsor_id: int) -> Sponsor:
    return get_object_or_404(Sponsor, id=sponsor_id)


def _plan_choices(sponsor: Sponsor | None) -> list[tuple[int, str]]:
    chosen = set(sponsor.plans.values_list("id", flat=True)) if sponsor else set()
    return [
        (plan.id, plan.name)
        for plan in Plan.objects.order_by("kind", "rank", "name")
        if plan.status != PlanStatus.RETIRED or plan.id in chosen
    ]


@staff_view(Capability.CATALOG_VIEW)
def sponsor_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/catalog/sponsor_list.html",
        {
            "sponsors": sponsors_with_counts().prefetch_related("plans"),
            "can_manage": has_capability(acting_user(request), Capability.SPONSOR_MANAGE),
        },
    )


@staff_view(Capability.CATALOG_VIEW)
def sponsor_detail(request: HttpRequest, sponsor_id: int) -> HttpResponse:
    user = acting_user(request)
    sponsor = _sponsor(sponsor_id)
    roster = sponsor_roster(sponsor)
    if roster:
        # The roster names patients: one event lists everyone shown, as a search does.
        audit_record(
            action="sponsor.roster_view",
            actor=user,
            object_type="sponsor",
            object_id=sponsor.id,
            detail={"patient_ids": [entry.patient_id for entry in roster]},
        )
    can_manage = has_capability(user, Capability.SPONSOR_MANAGE)
    query = request.GET.get("q", "").strip()[:200] if can_manage else ""
    candidates, more = search_rows(request, query, limit=CANDIDATE_LIMIT)
    return render(
        request,
        "staff/catalog/sponsor_detail.html",
        {
            "sponsor": sponsor,
            "roster": roster,
            "can_manage": can_manage,
            "query": query,
            "candidates": candidates,
            "more": more,
            "add_form": RosterAddForm(),
        },
    )


def _sponsor_form_page(request: HttpRequest, sponsor: Sponsor | None) -> HttpResponse:
    initial: dict[str, Any] = {"share": "all", "active": True}
    if sponsor is not None:
        initial = {
            "name": sponsor.name,
            "contact_name": sponsor.contact_name,
            "contact_email": sponsor.contact_email,
            "contact_phone": sponsor.contact_phone,
            "share": sponsor.share,
            "fixed_share_amount": dollars(sponsor.fixed_share_amount),
            "plan_ids": list(sponsor.plans.values_list("id", flat=True)),
            "active": sponsor.active,
        }
    form = SponsorForm(request.POST or None, initial=initial, plans=_plan_choices(sponsor))
    if request.method == "POST" and form.is_valid():
        user = acting_user(request)
        try:
            if sponsor is None:
                saved = sponsors.sponsor_create(actor=user, **form.values())
            else:
                saved = sponsors.sponsor_update(actor=user, sponsor=sponsor, **form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("staff:catalog_sponsor_detail", sponsor_id=saved.id)
    return render_form(
        request,
        form,
        title=f"Edit {sponsor.name}" if sponsor else "Add an employer sponsor",
        submit="Save sponsor",
        cancel_url=(
            reverse("staff:catalog_sponsor_detail", args=[sponsor.id])
            if sponsor
            else reverse("staff:catalog_sponsor_list")
        ),
        intro=(
            "A sponsor pays the whole price of the plans it covers, or a fixed amount per "
            "member each month (the member pays the rest)."
        ),
    )


@staff_view(Capability.SPONSOR_MANAGE)
def sponsor_create(request: HttpRequest) -> HttpResponse:
    return _sponsor_form_page(request, None)


@staff_view(Capability.SPONSOR_MANAGE)
def sponsor_edit(request: HttpRequest, sponsor_id: int) -> HttpResponse:
    return _sponsor_form_page(request, _sponsor(sponsor_id))


@require_POST
@staff_view(Capability.SPONSOR_MANAGE)
def roster_add(request: HttpRequest, sponsor_id: int) -> HttpResponse:
    sponsor = _sponsor(sponsor_id)
    form = RosterAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a patient and an effective date.")
        return redirect("staff:catalog_sponsor_detail", sponsor_id=sponsor.id)
    user = acting_user(request)
    patient = access_patient(
        user,
        form.cleaned_data["patient"],
        capability=Capability.SPONSOR_MANAGE,
        action="sponsor.roster_manage",
    )
    try:
        sponsors.roster_add(
            actor=user,
            sponsor=sponsor,
            patient=patient,
            effective_on=form.cleaned_data["effective_on"],
            terminated_on=form.cleaned_data["terminated_on"],
        )
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    else:
        messages.success(request, f"{patient.full_name} added to {sponsor.name}'s roster.")
    return redirect("staff:catalog_sponsor_detail", sponsor_id=sponsor.id)


@require_POST
@staff_view(Capability.SPONSOR_MANAGE)
def roster_terminate(request: HttpRequest, sponsor_id: int, entry_id: int) -> HttpResponse:
    sponsor = _sponsor(sponsor_id)
    entry = get_object_or_404(RosterEntry, id=entry_id, sponsor=sponsor)
    form = RosterTerminateForm(request.POST)
    terminated_on = form.cleaned_data["terminated_on"] if form.is_valid() else None
    try:
        sponsors.roster_terminate(
            actor=acting_user(request), entry=entry, terminated_on=terminated_on
        )
    except ValidationFailed as error:
        messages.error(request, " ".join(item.message for item in error.errors))
    else:
        messages.success(request, f"{entry.patient.full_name} terminated on {terminated_on}.")
    return redirect("staff:catalog_sponsor_detail", sponsor_id=sponsor.id)


def _read_upload(form: RosterUploadForm) -> str | None:
    upload = form.cleaned_data["file"]
    if upload.size > UPLOAD_LIMIT_BYTES:
        form.add_error("file", "The file is larger than 1 MB; split it into smaller files.")
        return None
    try:
        return str(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        form.add_error("file", "Save the file as CSV in UTF-8 and upload it again.")
        return None


@staff_view(Capability.SPONSOR_MANAGE)
def roster_upload(request: HttpRequest, sponsor_id: int) -> HttpResponse:
    """Upload a roster file, see what each row would do, then apply it all or not at all."""
    sponsor = _sponsor(sponsor_id)
    user = acting_user(request)
    form = RosterUploadForm()
    preview = None
    content = ""
    if request.method == "POST" and "content" in request.POST:
        content = request.POST["content"]
        try:
            result = sponsors.roster_upload_apply(actor=user, sponsor=sponsor, content=content)
        except ValidationFailed as error:
            messages.error(request, error.message + " Check the rows below.")
            preview = sponsors.roster_upload_preview(actor=user, sponsor=sponsor, content=content)
        else:
            messages.success(
                request,
                f"Roster updated: {result.count(sponsors.RowOutcome.ADD)} added, "
                f"{result.count(sponsors.RowOutcome.TERMINATE)} terminated, "
                f"{result.count(sponsors.RowOutcome.UNCHANGED)} unchanged.",
            )
            return redirect("staff:catalog_sponsor_detail", sponsor_id=sponsor.id)
    elif request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            read = _read_upload(form)
            if read is not None:
                content = read
                preview = sponsors.roster_upload_preview(
                    actor=user, sponsor=sponsor, content=content
                )
    status = 422 if request.method == "POST" and (form.errors or preview is None) else 200
    return render(
        request,
        "staff/catalog/roster_upload.html",
        {
            "sponsor": sponsor,
            "form": form,
            "preview": preview,
            "content": content,
            "outcomes": sponsors.RowOutcome,
        },
        status=status,
    )
