"""Billing test fixtures: a localstripe server for the Stripe gateway tests."""

from collections.abc import Iterator

import pytest

from careloop.testing.localstripe import LocalStripe, run_localstripe


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    """One localstripe server per test session (so per xdist worker), stopped at the end."""
    with run_localstripe() as server:
        yield server
