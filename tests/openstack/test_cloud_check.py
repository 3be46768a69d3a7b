"""`kaas cloud check` and `kaas image ensure` against the local cloud, in-process and as a user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from openstack.connection import Connection

from scs_kaas.files import write_atomic
from scs_kaas.localcloud import LocalCloud
from scs_kaas.settings.model import Settings
from scs_kaas.workflows import cloud_check
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

KAAS = str(Path(sys.executable).parent / "kaas")
CLOUD = "kaas-test"
SERVICES = {"identity", "compute", "network", "load-balancer", "block-storage", "image"}
IMPOSSIBLE = "node_groups=[{name: huge, count: 1000}]"


def test_the_defaults_fit_into_a_fresh_project(app: Connection) -> None:
    report = cloud_check.run(app, Settings(), include_cluster=True)
    assert report.ok, report.problems
    endpoints = {f.name for f in report.findings if f.kind == "endpoint" and f.ok}
    assert endpoints == SERVICES
    flavors = {f.name: f.detail for f in report.findings if f.kind == "flavor"}
    assert flavors["SCS-2V-4"].startswith("2 vCPUs, 4096 MiB RAM, no disk")
    quotas = {f.name: f.detail for f in report.findings if f.kind == "quota"}
    assert quotas["servers"].startswith("need 5, free ")
    assert quotas["load balancers"].startswith("need 2, free ")
    assert report.unreadable == []
    images = {f.name: f.detail for f in report.findings if f.kind == "image"}
    assert images == {
        "Ubuntu 24.04": "active (management.image)",
        "ubuntu-capi-image-v1.34.10": "does not exist: `kaas image ensure` uploads it (node image)",
    }
    assert [(f.name, f.ok) for f in report.findings if f.kind == "network"] == [("public", True)]


def test_an_impossible_cluster_is_short_of_quota(app: Connection) -> None:
    settings = Settings.model_validate(
        {
            "node_groups": [{"name": "huge", "count": 1000}],
            "control_plane": {"flavor": "nope"},
            "external_network": "elsewhere",
            "management": {"image": "Debian 3.0"},
        }
    )
    report = cloud_check.run(app, settings, include_cluster=True)
    assert not report.ok
    problems = {(p.kind, p.name) for p in report.problems}
    assert problems == {
        ("quota", "servers"),
        ("quota", "vCPUs"),
        ("quota", "RAM"),
        ("quota", "volumes"),  # SCS-2V-4 has no disk: a root volume each
        ("quota", "volume storage"),
        ("flavor", "nope"),
        ("network", "elsewhere"),
        ("image", "Debian 3.0"),
    }
    servers = next(p for p in report.problems if p.name == "servers")
    assert "need 1002" in servers.detail and "short by" in servers.detail


def _clouds_yaml(localcloud: LocalCloud, project: Project, folder: Path) -> dict[str, str]:
    """A clouds.yaml with the project's app credential (0600), and the env that points at it."""
    config = localcloud.app_credential_config(project.credential.id, project.credential.secret)
    path = folder / "clouds.yaml"
    write_atomic(path, yaml.safe_dump({"clouds": {CLOUD: config}}), mode=0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    return {**env, "OS_CLIENT_CONFIG_FILE": str(path), "KAAS_ENV": str(folder)}


def _kaas(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KAAS, *args, "--set", f"cloud={CLOUD}"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )


def test_cli_cloud_check_passes_and_fails(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    env = _clouds_yaml(localcloud, project, tmp_path)
    fits = _kaas(env, "cloud", "check", "small", "-o", "json")
    assert fits.returncode == 0, fits.stderr
    report = json.loads(fits.stdout)
    assert report["ok"] is True
    assert report["project_id"] == project.tenant.project_id

    table = _kaas(env, "cloud", "check")  # the management host only, as a table
    assert table.returncode == 0, table.stderr
    assert "load-balancer" in table.stdout

    short = _kaas(env, "cloud", "check", "big", "--set", IMPOSSIBLE)
    assert short.returncode == 1
    assert "lacks what the settings need" in short.stderr
    assert "servers: need 1002" in short.stderr
    for result in (fits, table, short):
        assert project.credential.secret not in result.stdout + result.stderr


def test_cli_rejects_bad_input_before_any_cloud_call(tmp_path: Path) -> None:
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(tmp_path / "none.yaml")}
    bad = _kaas(env, "cloud", "check", "x", "--set", "control_plane.count=2")
    assert bad.returncode == 2
    assert "control_plane.count" in bad.stderr
    image = _kaas(env, "image", "ensure", "--kubernetes-version", "1.99", "--sha256", "x")
    assert image.returncode == 2
    assert "--kubernetes-version" in image.stderr and "--sha256" in image.stderr


def test_cli_image_ensure_uploads_then_reuses(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    env = _clouds_yaml(localcloud, project, tmp_path)
    source = tmp_path / "node.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(source), "64M"], check=True)
    first = _kaas(env, "image", "ensure", "--file", str(source), "-o", "json")
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["name"] == "ubuntu-capi-image-v1.34.10"
    assert (made["reused"], made["disk_format"], made["min_disk_gib"]) == (False, "raw", 1)
    assert "uploading ubuntu-capi-image-v1.34.10 (raw)" in first.stderr

    again = _kaas(env, "image", "ensure", "demo", "--kubernetes-version", "1.34")
    assert again.returncode == 0, again.stderr
    assert made["id"] in again.stdout
    assert "reusing image" in again.stderr
