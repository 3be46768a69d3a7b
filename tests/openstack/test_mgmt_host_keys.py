"""Host keys from the console log, against the real local cloud.

Nova's fake driver prints a fixed console text without keys, so this is the path of a host
that has not printed its keys (yet), or of a cloud without console logs: `kaas mgmt create`
says so and forgets older keys of the address, `kaas mgmt wait` fails naming the escape hatch,
and `--trust-on-first-use` is the only way to SSH without keys. The positive path (keys in a
console text -> known_hosts) is tested with text in tests/test_hostkeys.py and
tests/workflows/test_mgmt_access.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scs_kaas.errors import KaasError
from scs_kaas.localcloud import LocalCloud
from scs_kaas.ssh.target import SshTarget
from scs_kaas.workflows.mgmt import access as mgmt_access
from scs_kaas.workflows.mgmt.state import StatePaths
from tests.support.host_key_samples import REBUILT
from tests.support.projects import LOCALCLOUD, Project, kaas_environment

pytestmark = LOCALCLOUD

KAAS = str(Path(sys.executable).parent / "kaas")
CLOUD = "localcloud"
ENVIRONMENT = {
    "prefix": "hk",
    "cloud": CLOUD,
    "external_network": "public",
    "management": {"flavor": "SCS-2V-4-20s", "image": "Ubuntu 24.04"},
}


def _kaas(env: dict[str, str], folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KAAS, "mgmt", *args, "-e", str(folder), "--state-dir", str(folder / "state")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=600,
    )


def test_without_keys_in_the_console_log_ssh_needs_trust_on_first_use(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    env = kaas_environment(localcloud, project, tmp_path, ENVIRONMENT)
    created = _kaas(env, tmp_path, "create", "--no-image", "-o", "json")
    assert created.returncode == 0, created.stderr
    summary = json.loads(created.stdout)
    address, server_id = summary["floating_ip"], summary["server_id"]
    assert f"the console log shows no SSH host keys of {address} yet" in created.stderr
    paths = StatePaths(tmp_path / "state", "hk")
    assert not paths.known_hosts.exists()

    waited = _kaas(env, tmp_path, "wait", "--timeout", "2")
    assert waited.returncode == 1
    message = " ".join(waited.stderr.split())
    assert f"showed no SSH host keys within 2 s, so {address} cannot be verified" in message
    assert "pass --trust-on-first-use" in message
    assert not paths.known_hosts.exists()

    printed = _kaas(env, tmp_path, "ssh", "--print")
    assert printed.returncode == 0, printed.stderr
    assert "StrictHostKeyChecking=yes" in printed.stdout
    assert f"no host key of {address} is recorded yet" in " ".join(printed.stderr.split())
    tofu = _kaas(env, tmp_path, "ssh", "--print", "--trust-on-first-use")
    assert tofu.returncode == 0, tofu.stderr
    assert "StrictHostKeyChecking=accept-new" in tofu.stdout
    assert tofu.stderr == ""

    # the workflow underneath: an older key of the address is forgotten, none is invented
    conn = project.app
    target = SshTarget("ubuntu", address, paths.private_key, paths.known_hosts)
    paths.known_hosts.write_text(f"{address} {REBUILT.type} {REBUILT.key}\nother x y\n")
    note = mgmt_access.record_created_host(conn, server_id, target)
    assert "no SSH host keys" in note
    assert paths.known_hosts.read_text() == "other x y\n"
    with pytest.raises(KaasError, match="pass --trust-on-first-use"):
        mgmt_access.fetch_host_keys(conn, server_id, target, timeout=1, interval=0.2)
    assert paths.known_hosts.read_text() == "other x y\n"


def test_a_server_without_a_console_log_names_the_reason(project: Project, tmp_path: Path) -> None:
    target = SshTarget("u", "192.0.2.1", tmp_path / "id", tmp_path / "known_hosts")
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(KaasError) as error:
        mgmt_access.fetch_host_keys(project.app, missing, target, timeout=1, interval=0.2)
    assert f"Nova gave no console log for server {missing} (HTTP 404" in str(error.value)
    assert "--trust-on-first-use" in str(error.value)
    assert not target.known_hosts.exists()
