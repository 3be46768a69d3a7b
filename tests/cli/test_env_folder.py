"""A mistyped environment folder is bad input, never a silent fall-back to the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import kaas


@pytest.mark.parametrize(
    "argv",
    [
        ("config", "show", "demo"),
        ("cluster", "render", "demo"),
        ("mgmt", "create", "--dry-run"),
        ("mgmt", "move", "--to", "ha"),
    ],
)
def test_a_missing_env_folder_exits_2_naming_it(tmp_path: Path, argv: tuple[str, ...]) -> None:
    missing = tmp_path / "prdo"
    result = kaas(*argv, "--env", str(missing))
    assert result.exit_code == 2, result.stderr
    assert f"environment folder: no such directory (got {missing})" in result.stderr
    assert "flag --env" in result.stderr
    assert result.stdout == ""


def test_kaas_env_pointing_nowhere_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAAS_ENV", str(tmp_path / "gone"))
    result = kaas("config", "show", "demo")
    assert result.exit_code == 2
    assert "$KAAS_ENV" in result.stderr


def test_an_existing_env_folder_still_works(tmp_path: Path) -> None:
    (tmp_path / "environment.yaml").write_text("prefix: team\n")
    result = kaas("config", "show", "-o", "json", "--env", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert '"team"' in result.stdout
