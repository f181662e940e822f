import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.api.api import api

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def openapi_document() -> str:
    """The OpenAPI document as committed: stable key order, two-space indent, final newline."""
    return json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Write docs/openapi.json from the API, or --check that the committed one is current."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if the file is out of date.")

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        current = openapi_document()
        if check:
            if not DOCUMENT.exists() or DOCUMENT.read_text() != current:
                raise CommandError(
                    "docs/openapi.json is out of date with the API; run `make openapi`."
                )
            self.stdout.write("docs/openapi.json is current.")
            return
        DOCUMENT.write_text(current)
        self.stdout.write(f"Wrote {DOCUMENT}")
