"""The tests of the seeded clinic run on one xdist worker, so the clinic is seeded once a run.

pytest-xdist's `--dist loadgroup` (the Makefile) groups tests by the suffix it adds to their
ids from the `xdist_group` marker (conftest). With pytest 9.2 that suffix no longer took, so
both workers seeded the clinic, two minutes each; pytest is pinned to a version where it does.
"""

import pytest


def test_this_package_is_one_xdist_group(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs only on an xdist worker with --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@demo_clinic")
