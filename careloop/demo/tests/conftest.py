"""The full demo clinic, seeded once per test module (it takes a while) and rolled back after."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from careloop.demo.seed import demo_seed


@pytest.fixture(scope="module")
def demo_clinic(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        demo_seed()
        yield
        transaction.set_rollback(True)
