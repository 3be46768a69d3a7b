"""`kaas addons list`: the catalog, and a cluster's view of it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from scs_kaas.cli.app import app
from scs_kaas.render.addons import CATALOG

runner = CliRunner()


def test_list_json_is_the_catalog_with_pins_and_defaults() -> None:
    result = runner.invoke(app, ["addons", "list", "-o", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == [a.name for a in CATALOG]
    by_name = {r["name"]: r for r in rows}
    assert by_name["cilium"]["kind"] == "helm"
    assert by_name["cilium"]["version"] == "1.19.8"  # the pin of the default Kubernetes minor
    assert by_name["cilium"]["default"] is True
    assert by_name["calico"]["default"] is False
    assert by_name["cinder-csi"]["kind"] == "helm+manifest"
    assert by_name["cloud-config"]["chart"] is None
    assert all("enabled" not in r for r in rows)


def test_list_for_a_cluster_file_shows_what_it_gets(tmp_path: Path) -> None:
    cluster_file = tmp_path / "prod.yaml"
    cluster_file.write_text(
        yaml.safe_dump(
            {
                "addons": {
                    "cni": "calico",
                    "monitoring": True,
                    "overrides": {"monitoring": {"version": "79.0.0"}},
                    "custom_manifests": [{"name": "quota", "file": "quota.yaml"}],
                }
            }
        )
    )
    result = runner.invoke(
        app, ["addons", "list", "-e", str(tmp_path), "-f", str(cluster_file), "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["calico"]["enabled"] is True and rows["cilium"]["enabled"] is False
    assert rows["monitoring"]["enabled"] is True
    assert rows["monitoring"]["version"] == "79.0.0"
    assert rows["custom-quota"]["kind"] == "manifest"


def test_list_table_and_yaml() -> None:
    table = runner.invoke(app, ["addons", "list"])
    assert table.exit_code == 0, table.output
    assert "snapshot-controller" in table.stdout and "Add-on catalog" in table.stdout
    as_yaml = runner.invoke(app, ["addons", "list", "-o", "yaml"])
    assert yaml.safe_load(as_yaml.stdout)[0]["name"] == "cloud-config"
