import pytest

from careloop.patients.models import Patient


@pytest.mark.parametrize(
    ("tag", "shown"),
    [
        ("fr", "French (fr)"),
        ("es", "Spanish (es)"),
        ("pt-BR", "Brazilian Portuguese (pt-BR)"),
        ("tlh", "tlh"),
    ],
)
def test_the_preferred_language_shows_its_name(tag, shown):
    assert Patient(preferred_language=tag).preferred_language_display == shown
