from careloop.core.models import ClinicSettings


def clinic_settings() -> ClinicSettings:
    """The clinic's settings row, created with defaults on first use."""
    settings_row = ClinicSettings.objects.order_by("id").first()
    if settings_row is None:
        settings_row, _ = ClinicSettings.objects.get_or_create(id=1)
    return settings_row
