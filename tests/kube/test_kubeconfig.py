"""Merging a workload cluster's admin kubeconfig into the user's, and using it from memory."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from scs_kaas.errors import ClusterError
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.kubeconfig import merge, merge_into_file, read_admin_kubeconfig
from scs_kaas.kube.secrets import apply_secret
from scs_kaas.localmgmt import ManagementCluster
from tests.support.mgmt_move_world import as_capi_writes_it


def capi_kubeconfig(cluster: str, server: str, token: str = "admin-token") -> dict[str, Any]:
    """Shaped like the Secret Cluster API writes (names as R1 used them)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": server}}],
        "users": [{"name": f"{cluster}-admin", "user": {"token": token}}],
        "contexts": [
            {
                "name": f"{cluster}-admin@{cluster}",
                "context": {"cluster": cluster, "user": f"{cluster}-admin"},
            }
        ],
        "current-context": f"{cluster}-admin@{cluster}",
    }


USERS: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "home", "cluster": {"server": "https://home.example:6443"}}],
    "users": [{"name": "me", "user": {"token": "my-token"}}],
    "contexts": [{"name": "home", "context": {"cluster": "home", "user": "me"}}],
    "current-context": "home",
    "preferences": {"colors": True},
}


def names_in(config: dict[str, Any], section: str) -> list[str]:
    return [entry["name"] for entry in config[section]]


def test_merge_adds_the_cluster_and_keeps_everything_else() -> None:
    merged = merge(USERS, capi_kubeconfig("prod", "https://prod.example:6443"), "prod")
    assert names_in(merged, "contexts") == ["home", "prod-admin@prod"]
    assert names_in(merged, "clusters") == ["home", "prod"]
    assert names_in(merged, "users") == ["me", "prod-admin"]
    assert merged["current-context"] == "home"
    assert merged["preferences"] == {"colors": True}
    assert merged["users"][0] == USERS["users"][0]
    assert USERS["contexts"] == [{"name": "home", "context": {"cluster": "home", "user": "me"}}]


def test_merge_replaces_an_older_entry_of_the_same_cluster() -> None:
    first = merge(USERS, capi_kubeconfig("prod", "https://old:6443", "old-token"), "prod")
    second = merge(first, capi_kubeconfig("prod", "https://new:6443", "new-token"), "prod")
    assert names_in(second, "contexts") == ["home", "prod-admin@prod"]
    assert second["clusters"][1]["cluster"]["server"] == "https://new:6443"
    assert second["users"][1]["user"]["token"] == "new-token"


def test_merge_renames_whatever_the_secret_calls_its_entries() -> None:
    odd = capi_kubeconfig("x", "https://prod:6443")
    merged = merge({}, odd, "prod")
    assert merged["contexts"] == [
        {"name": "prod-admin@prod", "context": {"cluster": "prod", "user": "prod-admin"}}
    ]
    assert merged["current-context"] == "prod-admin@prod"  # an empty kubeconfig gets one


def test_an_incomplete_kubeconfig_is_refused_without_quoting_it() -> None:
    broken = capi_kubeconfig("prod", "https://prod:6443", "sekrit-token")
    broken["users"] = []
    with pytest.raises(ClusterError) as caught:
        merge(USERS, broken, "prod")
    assert "sekrit" not in str(caught.value)


@pytest.fixture
def workload_config(workload_apiserver: ManagementCluster) -> dict[str, Any]:
    loaded = yaml.safe_load(workload_apiserver.kubeconfig.read_text(encoding="utf-8"))
    return as_capi_writes_it(loaded, "demo")


@pytest.fixture
def workload(kube: KubeClient, namespace: str, workload_config: dict[str, Any]) -> str:
    """CAPI's Secret of cluster demo, in this test's namespace, pointing at the workload API
    server (a real one); returns the namespace."""
    text = yaml.safe_dump(workload_config)
    apply_secret(
        kube, namespace, "demo-kubeconfig", {"value": text}, type_="cluster.x-k8s.io/secret"
    )
    return namespace


def test_merge_into_file_writes_0600_and_keeps_other_contexts(
    kube: KubeClient, workload: str, tmp_path: Path
) -> None:
    path = tmp_path / "kube" / "config"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(USERS), encoding="utf-8")
    path.chmod(0o644)
    context = merge_into_file(kube, workload, "demo", path)
    assert context == "demo-admin@demo"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert names_in(written, "contexts") == ["home", "demo-admin@demo"]
    assert written["current-context"] == "home"
    assert [p.name for p in path.parent.iterdir()] == ["config"]  # no temporary file left

    with KubeClient.from_file(path, context) as workload_client:
        assert workload_client.resource("v1", "Namespace").kind == "Namespace"


def test_merge_into_a_new_file(kube: KubeClient, workload: str, tmp_path: Path) -> None:
    path = tmp_path / "absent" / "config"
    merge_into_file(kube, workload, "demo", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text())["current-context"] == "demo-admin@demo"


def test_a_broken_user_kubeconfig_is_left_alone(
    kube: KubeClient, workload: str, tmp_path: Path
) -> None:
    path = tmp_path / "config"
    path.write_text("clusters: [unclosed", encoding="utf-8")
    with pytest.raises(ClusterError, match="not valid YAML; left unchanged"):
        merge_into_file(kube, workload, "demo", path)
    assert path.read_text() == "clusters: [unclosed"


def test_the_workload_kubeconfig_is_used_from_memory(
    kube: KubeClient,
    workload: str,
    workload_config: dict[str, Any],
    workload_apiserver: ManagementCluster,
) -> None:
    secret = read_admin_kubeconfig(kube, workload, "demo")
    key = workload_config["users"][0]["user"]["client-key-data"]
    assert key[:40] not in repr(secret)
    text = secret.get_secret_value()
    with KubeClient.from_text(text, origin=f"Secret {workload}/demo-kubeconfig") as client:
        assert client.context == "demo-admin@demo"
        assert client.server == f"https://127.0.0.1:{workload_apiserver.ports.apiserver}"
        assert client.resource("v1", "Namespace").kind == "Namespace"
