"""Start-up: commands that need neither a cloud nor a cluster import neither client library.

openstacksdk and the Kubernetes client take half a second to import. A fact of `sys.modules` in
a fresh process, not a timing (bench/startup.py measures the time).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("openstack", "keystoneauth1", "kubernetes")

# Runs the typer app in this fresh process (as the console script does), then reports the exit
# code and which heavy libraries got imported on the way.
PROBE = """
import json, sys
from pathlib import Path
from scs_kaas.cli.app import run
code = run(sys.argv[2:]) if len(sys.argv) > 2 else 0
heavy = [name for name in {heavy!r} if name in sys.modules]
Path(sys.argv[1]).write_text(json.dumps({{"code": code, "heavy": heavy}}))
"""


def _imported(args: list[str], cwd: Path) -> tuple[int, list[str], str]:
    report = cwd / "probe.json"
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, str(report), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.exists(), done.stderr
    found = json.loads(report.read_text())
    return found["code"], found["heavy"], done.stdout


def test_importing_the_app_imports_no_client_library(tmp_path: Path) -> None:
    assert _imported([], tmp_path)[:2] == (0, [])


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["cluster", "--help"],
        ["mgmt", "--help"],
        ["devcloud", "--help"],
        ["cluster", "render", "demo"],
        ["config", "show"],
        ["config", "show", "demo", "-o", "yaml"],
        ["config", "schema"],
        ["addons", "list"],
    ],
)
def test_offline_commands_import_no_client_library(args: list[str], tmp_path: Path) -> None:
    code, heavy, stdout = _imported(args, tmp_path)
    assert code == 0
    assert stdout  # the command really ran and printed its result
    assert heavy == []


def test_the_probe_sees_a_command_that_needs_the_cloud(tmp_path: Path) -> None:
    """The probe is able to fail: `cloud check` imports openstacksdk (and fails to log in)."""
    code, heavy, _ = _imported(["cloud", "check", "--set", "cloud=no-such-cloud"], tmp_path)
    assert code != 0
    assert "openstack" in heavy
