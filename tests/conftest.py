"""The shared fixtures of every test folder, registered once here (tests/support/), and the
Hypothesis settings of every property test."""

import pytest
from hypothesis import HealthCheck, settings

# The modules of tests/support/ that define fixtures. Registered here and nowhere else: a
# fixture imported into a conftest or test module is registered again there, with a session
# cache of its own (a second management cluster or cloud in the same state folder).
pytest_plugins = [
    "tests.support.management",
    "tests.support.mgmt_move_world",
    "tests.support.localcloud",
    "tests.support.sshd",
]


def pytest_configure(config: pytest.Config) -> None:
    # The properties are about inputs, not speed: on a busy machine (test workers side by side,
    # each with its cloud) generating inputs or running an example takes longer, and Hypothesis
    # would fail such a test for being slow.
    settings.register_profile("kaas", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("kaas")
