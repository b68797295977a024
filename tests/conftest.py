"""pytest set-up for symgrad's tests: the tests on ../shared (the shared cases, seeds and
write-ups beside the repository; see reference.shared) skip without it, and fail without it
under CI=true."""

import pytest
from reference import shared, shared_required


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "needs_shared(*parts): the test reads ../shared/PARTS; skipped when it is "
        "missing, failed when it is missing under CI=true")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # skip before any fixture is set up; under CI=true, fail in the call (a failure, not an error)
    if not shared_required():
        for mark in item.iter_markers("needs_shared"):
            shared(*mark.args)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    for mark in item.iter_markers("needs_shared"):
        shared(*mark.args)
