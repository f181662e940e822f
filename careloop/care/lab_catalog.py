"""The lab catalog Careloop ships: panels and their LOINC-coded components, UCUM units and
adult reference ranges (typical published values; a clinic's own lab may use others).

`lab_catalog_seed` is idempotent: it adds what is missing and updates names, units and ranges
of what is there, keyed by panel code and LOINC code. The data migration runs it, so every
database (demo, tests, production) starts with the catalog.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ComponentSeed:
    loinc: str
    name: str
    unit: str
    low: str | None = None
    high: str | None = None
    female: tuple[str | None, str | None] | None = None
    male: tuple[str | None, str | None] | None = None
    critical: tuple[str | None, str | None] | None = None


@dataclass(frozen=True)
class PanelSeed:
    code: str
    name: str
    loinc: str
    components: tuple[ComponentSeed, ...]


CATALOG: tuple[PanelSeed, ...] = (
    PanelSeed(
        "hba1c",
        "Hemoglobin A1c",
        "4548-4",
        (
            ComponentSeed(
                "4548-4",
                "Hemoglobin A1c/Hemoglobin.total in Blood",
                "%",
                "4.0",
                "5.6",
                critical=(None, "14.0"),
            ),
        ),
    ),
    PanelSeed(
        "lipid",
        "Lipid panel",
        "57698-3",
        (
            ComponentSeed(
                "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", None, "199"
            ),
            ComponentSeed(
                "2085-9",
                "HDL Cholesterol [Mass/volume] in Serum or Plasma",
                "mg/dL",
                "40",
                None,
                female=("50", None),
            ),
            ComponentSeed(
                "13457-7",
                "LDL Cholesterol [Mass/volume] in Serum or Plasma by calculation",
                "mg/dL",
                None,
                "99",
            ),
            ComponentSeed(
                "2571-8",
                "Triglyceride [Mass/volume] in Serum or Plasma",
                "mg/dL",
                None,
                "149",
                critical=(None, "1000"),
            ),
        ),
    ),
    PanelSeed(
        "cmp",
        "Comprehensive metabolic panel",
        "24323-8",
        (
            ComponentSeed(
                "2345-7",
                "Glucose [Mass/volume] in Serum or Plasma",
                "mg/dL",
                "70",
                "99",
                critical=("40", "500"),
            ),
            ComponentSeed(
                "3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", "7", "20"
            ),
            ComponentSeed(
                "2160-0",
                "Creatinine [Mass/volume] in Serum or Plasma",
                "mg/dL",
                "0.6",
                "1.3",
                female=("0.5", "1.1"),
                male=("0.7", "1.3"),
            ),
            ComponentSeed(
                "2951-2",
                "Sodium [Moles/volume] in Serum or Plasma",
                "mmol/L",
                "135",
                "145",
                critical=("120", "160"),
            ),
            ComponentSeed(
                "2823-3",
                "Potassium [Moles/volume] in Serum or Plasma",
                "mmol/L",
                "3.5",
                "5.1",
                critical=("2.5", "6.5"),
            ),
            ComponentSeed(
                "2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", "98", "107"
            ),
            ComponentSeed(
                "2028-9",
                "Carbon dioxide, total [Moles/volume] in Serum or Plasma",
                "mmol/L",
                "22",
                "29",
            ),
            ComponentSeed(
                "17861-6",
                "Calcium [Mass/volume] in Serum or Plasma",
                "mg/dL",
                "8.6",
                "10.3",
                critical=("6.0", "13.0"),
            ),
            ComponentSeed(
                "2885-2", "Protein [Mass/volume] in Serum or Plasma", "g/dL", "6.0", "8.3"
            ),
            ComponentSeed(
                "1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", "3.5", "5.0"
            ),
            ComponentSeed(
                "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", "0.1", "1.2"
            ),
            ComponentSeed(
                "6768-6",
                "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
                "U/L",
                "44",
                "147",
            ),
            ComponentSeed(
                "1742-6",
                "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
                "U/L",
                "7",
                "56",
            ),
            ComponentSeed(
                "1920-8",
                "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
                "U/L",
                "10",
                "40",
            ),
        ),
    ),
    PanelSeed(
        "tsh",
        "Thyroid stimulating hormone",
        "3016-3",
        (
            ComponentSeed(
                "3016-3",
                "Thyrotropin [Units/volume] in Serum or Plasma",
                "m[IU]/L",
                "0.4",
                "4.0",
                critical=(None, "100"),
            ),
        ),
    ),
)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def lab_catalog_seed(panel_model: Any, component_model: Any) -> None:
    """Add or update the catalog; takes the models so a migration can pass its historical ones."""
    for panel_order, seed in enumerate(CATALOG):
        panel, _ = panel_model.objects.update_or_create(
            code=seed.code,
            defaults={"name": seed.name, "loinc": seed.loinc, "order": panel_order},
        )
        for order, item in enumerate(seed.components):
            female = item.female or (None, None)
            male = item.male or (None, None)
            critical = item.critical or (None, None)
            component_model.objects.update_or_create(
                loinc=item.loinc,
                defaults={
                    "panel": panel,
                    "name": item.name,
                    "unit": item.unit,
                    "low": _decimal(item.low),
                    "high": _decimal(item.high),
                    "female_low": _decimal(female[0]),
                    "female_high": _decimal(female[1]),
                    "male_low": _decimal(male[0]),
                    "male_high": _decimal(male[1]),
                    "critical_low": _decimal(critical[0]),
                    "critical_high": _decimal(critical[1]),
                    "order": order,
                },
            )
