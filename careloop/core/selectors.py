from careloop.core.models import ClinicSettings


def clinic_settings() -> ClinicSettings:
    """The clinic's settings row, or unsaved defaults before an admin has saved any.

    Reading never writes: pages render on every request, and a read that created rows would
    turn a refused request into a change.
    """
    return ClinicSettings.objects.order_by("id").first() or ClinicSettings()
