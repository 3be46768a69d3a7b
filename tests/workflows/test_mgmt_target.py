"""Which management cluster a command talks to: the order of the candidates and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from scs_kaas.errors import SettingsError
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.mgmt.state import StatePaths
from scs_kaas.workflows.mgmt.target import management_kubeconfig


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("kubeconfig")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        name: touch(tmp_path / name / "config") for name in ("flag", "setting", "env", "home/.kube")
    }


def resolve(
    tmp_path: Path, option: Path | None, setting: Path | None, env: Path | None
) -> tuple[Path, str]:
    settings = Settings.model_validate(
        {"management": {"kubeconfig": str(setting)}} if setting else {}
    )
    paths = StatePaths(tmp_path / "state", settings.prefix)
    environ = {"KUBECONFIG": f"{env}:/other"} if env else {}
    found = management_kubeconfig(option, settings, paths, environ, tmp_path / "home")
    return found.path, found.source


def test_order_flag_move_setting_env_default(tmp_path: Path, files: dict[str, Path]) -> None:
    flag, setting, env = files["flag"], files["setting"], files["env"]
    assert resolve(tmp_path, flag, setting, env)[0] == flag
    assert resolve(tmp_path, None, setting, env) == (setting, "setting management.kubeconfig")
    assert resolve(tmp_path, None, None, env) == (env, "$KUBECONFIG")
    assert resolve(tmp_path, None, None, None)[0] == files["home/.kube"]
    # after `kaas mgmt move` the moved-to cluster wins over the setting naming the old manager
    moved = touch(StatePaths(tmp_path / "state", Settings().prefix).moved_kubeconfig)
    path, source = resolve(tmp_path, None, setting, env)
    assert path == moved and "kaas mgmt move" in source
    assert resolve(tmp_path, flag, setting, env)[0] == flag


def test_a_missing_file_names_where_it_came_from(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        resolve(tmp_path, None, tmp_path / "gone", None)
    assert str(raised.value.problems[0]).startswith("kubeconfig: no such file")
    assert raised.value.problems[0].source == "setting management.kubeconfig"
