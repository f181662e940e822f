import pytest
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


@override_settings(DEMO_MODE=True)
def test_the_sign_in_page_explains_the_demo_clinic_in_demo_mode():
    content = Client().get(reverse("accounts:login")).content.decode()
    assert "Demo clinic" in content
    assert ".venv/bin/careloop demo codes" in content
    assert "make run" in content


@override_settings(DEMO_MODE=False)
def test_the_sign_in_page_never_shows_demo_help_outside_demo_mode():
    content = Client().get(reverse("accounts:login")).content.decode()
    assert "Demo clinic" not in content
    assert "demo codes" not in content
    assert 'class="demo-help"' not in content
