"""The full demo clinic, seeded once for every test in this package and rolled back after.

Seeding takes a while, so the tests that look at the seeded clinic live here together: one
xdist group keeps them on one worker (`--dist loadgroup` in the Makefile), which seeds the
clinic once per run of the suite instead of once per module and worker.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from careloop.core import clock
from careloop.demo.seed import demo_seed
from careloop.testing.transactions import rolled_back

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # First, before pytest-xdist's own hook turns the marker into the group suffix of the
    # test's id: a run of just this folder loads this conftest before xdist's hook.
    for item in items:
        if item.path.parent == HERE:
            item.add_marker(pytest.mark.xdist_group("demo_clinic"))


@pytest.fixture(scope="package")
def demo_clinic(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    # The demo's message attachments are written to a folder of this run, not the data folder.
    attachments = tmp_path_factory.mktemp("demo-attachments")
    # The clock stays at the instant seeding began, for the seeding and for every test that
    # looks at the clinic: a run of the suite that crosses the clinic's midnight would
    # otherwise look for tomorrow's bills and grants in a clinic seeded today.
    with (
        override_settings(MESSAGING_ATTACHMENT_DIR=attachments, CLOCK_AT=clock.now()),
        django_db_blocker.unblock(),
        rolled_back(),
    ):
        demo_seed()
        yield
