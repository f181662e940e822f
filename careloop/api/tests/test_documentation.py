import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from careloop.api.management.commands import openapi

pytestmark = pytest.mark.django_db


def test_the_interactive_docs_load_every_asset_from_careloop_itself():
    page = Client().get("/api/v1/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    assert all(asset.startswith("/") for asset in assets), assets


def test_the_openapi_document_is_served():
    document = Client().get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/patients" in document["paths"]


def test_the_drift_check_fails_when_the_committed_document_differs(tmp_path, monkeypatch):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(openapi, "DOCUMENT", stale)
    with pytest.raises(CommandError, match="out of date"):
        call_command("openapi", check=True)
    call_command("openapi")
    call_command("openapi", check=True)
