import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from careloop.patients.models import Patient


def fold(text: str) -> str:
    """Lower case without accents: the form names are compared in ("Zoë" -> "zoe")."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold_search_columns(patient: "Patient") -> None:
    """Refresh the patient's `search_*` columns from the fields they mirror."""
    limit = 100
    patient.search_given = fold(patient.legal_given_name)[:limit]
    patient.search_family = fold(patient.legal_family_name)[:limit]
    patient.search_preferred = fold(patient.preferred_name)[:limit]
    patient.search_phone = patient.mobile_phone.lstrip("+")
    patient.search_email = patient.email.strip().lower()
