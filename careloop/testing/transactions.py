"""A block of test work that leaves the database as it found it."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a transaction (a savepoint inside another) that is rolled back when
    it ends, as when it raises: each example of a property test, each role's request in the
    authorization matrix, the seeded demo clinic after its tests all start from the same
    rows and leave nothing behind."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
