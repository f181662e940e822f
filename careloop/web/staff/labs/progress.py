"""The progress section: each measure the patient has over time (lab result values, and the
measurements signed notes record) as a server-rendered SVG line chart with its data table,
the patient's goal where one exists and, for a lab component, its reference range.

A goal is itself a measurement: a note field keyed `goal_<key>` (e.g. `goal_weight`) sets the
goal of the `<key>` series, and `goal_` followed by a LOINC code with `_` for `-`
(`goal_4548_4`) the goal of that lab component; the latest signed value is the goal.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.care.models import LabOrderStatus, LabResult, Measurement
from careloop.patients.access import access_patient
from careloop.patients.models import Patient
from careloop.web.decorators import staff_view
from careloop.web.staff.labs.common import range_text
from careloop.web.staff.patients.views.common import acting_user

GOAL_PREFIX = "goal_"
WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 28


@dataclass(frozen=True)
class Point:
    at: datetime
    value: Decimal
    flag: str = ""


@dataclass
class Series:
    key: str
    label: str
    unit: str
    points: list[Point] = field(default_factory=list)
    goal: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def first_at(self) -> datetime:
        return self.points[0].at

    @property
    def last_at(self) -> datetime:
        return self.points[-1].at

    @property
    def reference_range(self) -> str:
        return range_text(self.low, self.high)


@dataclass(frozen=True)
class PlottedPoint:
    x: float
    y: float
    point: Point


@dataclass(frozen=True)
class Chart:
    """One series laid out on the SVG canvas (y grows downwards)."""

    series: Series
    points: list[PlottedPoint]
    path: str
    goal_y: float | None
    band: tuple[float, float] | None  # the reference range: top y and height
    top_label: Decimal
    bottom_label: Decimal
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    plot_width: int = WIDTH - LEFT - RIGHT
    baseline: int = HEIGHT - BOTTOM


def _goal_key(series_key: str) -> str:
    return GOAL_PREFIX + series_key.removeprefix("loinc:").replace("-", "_")


def progress_series(patient: Patient, *, results: bool, measurements: bool) -> list[Series]:
    """The patient's series, lab components first (catalog order), then measurements by label.
    Results of cancelled orders are left out."""
    found: dict[str, Series] = {}
    if results:
        rows = (
            LabResult.objects.filter(order__patient=patient)
            .exclude(order__status=LabOrderStatus.CANCELLED)
            .select_related("component__panel")
            .order_by("component__panel__order", "component__order", "observed_at", "id")
        )
        for row in rows:
            key = f"loinc:{row.component.loinc}"
            if key not in found:
                low, high = row.component.range_for(patient.sex_at_birth)
                found[key] = Series(key, row.component.name, row.unit, low=low, high=high)
            found[key].points.append(Point(row.observed_at, row.value, row.flag))
    goals: dict[str, Decimal] = {}
    # Goals come from notes too: only those who read notes see them.
    taken = Measurement.objects.filter(patient=patient)
    if not measurements:
        taken = taken.none()
    for measurement in taken.order_by("label", "measured_at", "id"):
        if measurement.key.startswith(GOAL_PREFIX):
            goals[measurement.key] = measurement.value  # the latest wins
            continue
        if measurement.key not in found:
            found[measurement.key] = Series(measurement.key, measurement.label, measurement.unit)
        found[measurement.key].points.append(Point(measurement.measured_at, measurement.value))
    for series in found.values():
        series.goal = goals.get(_goal_key(series.key))
    return list(found.values())


def _scale(value: Decimal, bottom: Decimal, top: Decimal) -> float:
    span = top - bottom
    share = float((value - bottom) / span) if span else 0.5
    return round(TOP + (1 - share) * (HEIGHT - TOP - BOTTOM), 1)


def chart(series: Series) -> Chart:
    """Lay the series out: time along x (evenly spread when all on one moment), values along
    y between the lowest and highest of the values, the goal and the reference range."""
    values = [point.value for point in series.points]
    bounds = [*values, *(v for v in (series.goal, series.low, series.high) if v is not None)]
    bottom, top = min(bounds), max(bounds)
    margin = (top - bottom) / 10 if top != bottom else (abs(top) / 10 or Decimal(1))
    bottom, top = bottom - margin, top + margin
    first, last = series.points[0].at, series.points[-1].at
    seconds = (last - first).total_seconds()
    plotted = []
    for index, point in enumerate(series.points):
        if seconds:
            share = (point.at - first).total_seconds() / seconds
        else:
            share = (index + 1) / (len(series.points) + 1)
        x = round(LEFT + share * (WIDTH - LEFT - RIGHT), 1)
        plotted.append(PlottedPoint(x, _scale(point.value, bottom, top), point))
    band = None
    if series.low is not None or series.high is not None:
        band_top = _scale(series.high if series.high is not None else top, bottom, top)
        band_bottom = _scale(series.low if series.low is not None else bottom, bottom, top)
        band = (band_top, round(band_bottom - band_top, 1))
    return Chart(
        series=series,
        points=plotted,
        path=" ".join(f"{p.x},{p.y}" for p in plotted),
        goal_y=_scale(series.goal, bottom, top) if series.goal is not None else None,
        band=band,
        top_label=top.quantize(Decimal("0.1")),
        bottom_label=bottom.quantize(Decimal("0.1")),
    )


def progress_charts(user: User, patient: Patient) -> dict[str, Any]:
    """Charts of what this person may read: lab values with lab_result.view, note
    measurements and goals with note.read."""
    results = has_capability(user, Capability.LAB_RESULT_VIEW)
    measurements = has_capability(user, Capability.NOTE_READ)
    series = progress_series(patient, results=results, measurements=measurements)
    return {"charts": [chart(one) for one in series if one.points]}


def progress_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return progress_charts(acting_user(request), patient)


@staff_view(Capability.LAB_RESULT_VIEW)
def lab_progress(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = access_patient(
        user, patient_id, capability=Capability.LAB_RESULT_VIEW, action="care.progress_view"
    )
    return render(
        request,
        "staff/labs/progress.html",
        {"patient": patient, "data": progress_charts(user, patient)},
    )
