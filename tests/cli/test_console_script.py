"""The real console script in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

KAAS = str(Path(sys.executable).parent / "kaas")
KINDS = {
    "Namespace",
    "Secret",
    "Cluster",
    "OpenStackCluster",
    "KubeadmControlPlane",
    "OpenStackMachineTemplate",
    "MachineHealthCheck",
    "KubeadmConfigTemplate",
    "MachineDeployment",
}


def _kaas(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KAAS, *args], capture_output=True, text=True, check=False, cwd=cwd)


def test_render_defaults_prints_a_whole_cluster(tmp_path: Path) -> None:
    result = _kaas("cluster", "render", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    documents = list(yaml.safe_load_all(result.stdout))
    assert {d["kind"] for d in documents} >= KINDS
    assert result.stderr == ""


def test_render_json_is_a_kubernetes_list(tmp_path: Path) -> None:
    result = _kaas("cluster", "render", "demo", "-o", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kind"] == "List"
    assert {item["kind"] for item in data["items"]} >= KINDS


def test_environment_folder_and_cluster_file(tmp_path: Path) -> None:
    (tmp_path / "environment.yaml").write_text("prefix: team\n")
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "prod.yaml").write_text("node_groups:\n  - {name: big, count: 5}\n")
    result = _kaas("cluster", "render", "prod", "--env", str(tmp_path), "-o", "json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    deployment = next(i for i in items if i["kind"] == "MachineDeployment")
    assert (deployment["metadata"]["name"], deployment["spec"]["replicas"]) == ("prod-big", 5)
    cluster = next(i for i in items if i["kind"] == "OpenStackCluster")
    assert "prefix=team" in cluster["spec"]["tags"]


def test_invalid_input_exits_2_names_the_setting_and_prints_nothing(tmp_path: Path) -> None:
    result = _kaas(
        "cluster", "render", "demo", "--set", "network.node_cidr=10.0.0.1/8", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "network.node_cidr" in result.stderr
    assert "CIDR notation" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_show_names_the_source_of_each_value(tmp_path: Path) -> None:
    (tmp_path / "environment.yaml").write_text("network:\n  mtu: 1450\n")
    result = _kaas("config", "show", "demo", "-e", str(tmp_path), "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["setting"]: row for row in json.loads(result.stdout)}
    assert rows["network.mtu"]["value"] == 1450
    assert rows["network.mtu"]["source"].endswith("environment.yaml:2")
    assert rows["prefix"]["source"] == "built-in default"
