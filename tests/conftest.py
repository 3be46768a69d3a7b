"""The real management cluster's fixtures (tests/management.py) for every test folder, and the
Hypothesis settings of every property test."""

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.management"]


def pytest_configure(config: pytest.Config) -> None:
    # The properties are about inputs, not speed: on a busy machine (test workers side by side,
    # each with its cloud) generating inputs or running an example takes longer, and Hypothesis
    # would fail such a test for being slow.
    settings.register_profile("kaas", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("kaas")
