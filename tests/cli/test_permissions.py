"""Files and folders of another user (issue #16, items 4 and 15): each is bad input, exit code 2,
with a message naming the path and the reason; never a PermissionError traceback, never a
misleading "not found". Run as an unprivileged user (root reads everything), via setpriv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import kaas

KAAS = str(Path(sys.executable).parent / "kaas")
NOBODY = 65534
CLOUDS_YAML = "clouds:\n  devcloud:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n"


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder the unprivileged user may enter (pytest's tmp_path is 0700 root)."""
    folder = Path(tempfile.mkdtemp(prefix="kaas-permissions-"))
    folder.chmod(0o755)
    (folder / "home").mkdir(mode=0o777)
    (folder / "home").chmod(0o777)
    yield folder
    shutil.rmtree(folder)


def _as_other_user(folder: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`kaas ARGV` as a user who owns none of the test's files."""
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv (util-linux) is needed to run as another user")
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    else:
        prefix = []  # the files below are 0000 or 0500: unreadable or unwritable for us too
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder / "home"),
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    return subprocess.run(
        [*prefix, KAAS, *argv],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        cwd=folder / "home",
        timeout=300,
    )


def _refused(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


def _env(folder: Path, text: str = "prefix: team\n") -> Path:
    env = folder / "env"
    env.mkdir(mode=0o755, exist_ok=True)
    (env / "environment.yaml").write_text(text)
    return env


def test_an_unreadable_environment_file(shared: Path) -> None:
    env = _env(shared)
    (env / "environment.yaml").chmod(0o000)
    result = _as_other_user(shared, "config", "show", "-e", str(env))
    _refused(result, f"{env / 'environment.yaml'}: cannot read the file: Permission denied")


def test_a_clusters_folder_that_cannot_be_looked_into(shared: Path) -> None:
    env = _env(shared)
    (env / "clusters").mkdir(mode=0o700)
    (env / "clusters").chmod(0o000)
    result = _as_other_user(shared, "cluster", "render", "prod", "-e", str(env))
    _refused(result, f"cannot read {env / 'clusters' / 'prod.yaml'}: Permission denied")


def test_a_state_directory_of_another_user(shared: Path) -> None:
    env = _env(shared)
    state = shared / "state"
    (state / "team").mkdir(parents=True, mode=0o700)
    (state / "team").chmod(0o700)
    result = _as_other_user(
        shared, "mgmt", "create", "--dry-run", "-e", str(env), "--state-dir", str(state)
    )
    _refused(result, "- state directory: ", "is not readable and writable by this user", "0700")


def test_a_state_folder_that_is_a_file(tmp_path: Path) -> None:
    _env(tmp_path)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "team").write_text("")  # where prefix team's files go
    result = kaas(
        "mgmt", "delete", "--dry-run", "-e", str(tmp_path / "env"),
        "--state-dir", str(tmp_path / "state"),
    )  # fmt: skip
    assert result.exit_code == 2, result
    assert "- state directory: " in result.stderr and "is not a folder" in result.stderr


def test_an_unwritable_out_folder(shared: Path) -> None:
    (shared / "r1.tfvars").write_text('cloud_provider = "gx-scs"\n')
    out = shared / "out"
    out.mkdir(mode=0o555)
    out.chmod(0o555)
    result = _as_other_user(
        shared, "config", "import-r1", str(shared / "r1.tfvars"), "--out", str(out)
    )
    _refused(result, f"- --out: cannot write {out / 'environment.yaml'}: Permission denied")


def test_an_unreadable_clouds_yaml_is_named(shared: Path) -> None:
    """Item 15: openstacksdk skips files it may not read, and the cloud was "not found"."""
    env = _env(shared)
    clouds = shared / "clouds.yaml"
    clouds.write_text(CLOUDS_YAML)
    clouds.chmod(0o000)
    result = _as_other_user(
        shared,
        "cloud", "check", "-e", str(env),
        OS_CLIENT_CONFIG_FILE=str(clouds), OS_CLOUD="devcloud",
    )  # fmt: skip
    _refused(result, "- cloud: 'devcloud'", f"{clouds} (Permission denied)")


def test_an_unknown_os_cloud_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 15: a cloud name without an entry exited 1, as if the cloud had failed."""
    env = _env(tmp_path)
    (tmp_path / "clouds.yaml").write_text(CLOUDS_YAML)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
    monkeypatch.setenv("OS_CLOUD", "nope")
    result = kaas("cloud", "check", "-e", str(env))
    assert result.exit_code == 2, result
    assert "- cloud: 'nope' is not an entry of clouds.yaml" in result.stderr
    assert "entries found: devcloud" in result.stderr
