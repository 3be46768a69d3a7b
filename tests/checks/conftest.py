from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks import e2e_fixture


@pytest.fixture(scope="session")
def e2e_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled stand-in of the e2e suite (see e2e_fixture)."""
    return e2e_fixture.build(tmp_path_factory.mktemp("e2e-suite"))
