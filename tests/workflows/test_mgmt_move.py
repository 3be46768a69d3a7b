"""`kaas mgmt move`: two emulated API servers (the kind cluster and the workload cluster that
takes over) and a stand-in clusterctl (tests/workflows/stand_in_clusterctl.py)."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from scs_kaas import naming, versions
from scs_kaas.errors import ClusterError, SettingsError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.clusterctl import Clusterctl, Kubeconfig, same_minor, source_kubeconfig
from scs_kaas.workflows import mgmt_move
from scs_kaas.workflows.mgmt import StepEvent
from tests.kube.conftest import Emulator

CAPI = "cluster.x-k8s.io/v1beta2"
PREFIX = "team"
STAND_IN = Path(__file__).with_name("stand_in_clusterctl.py")
TOKEN = "emulator-token-not-secret"


@pytest.fixture
def clusterctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clusterctl:
    """The stand-in as an executable on PATH; its calls land in tmp_path/clusterctl.log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "clusterctl"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} {STAND_IN} "$@"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STAND_IN_LOG", str(tmp_path / "clusterctl.log"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(sys.path))
    return Clusterctl.find()


def calls(tmp_path: Path) -> list[list[str]]:
    log = tmp_path / "clusterctl.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def labels(prefix: str, cluster: str) -> dict[str, str]:
    return {
        naming.LABEL_PREFIX: prefix,
        naming.LABEL_MANAGED_BY: naming.MANAGED_BY,
        naming.LABEL_CLUSTER_NAME: cluster,
    }


def add_cluster(
    kube: KubeClient, namespace: str, name: str, prefix: str | None = PREFIX, available: bool = True
) -> None:
    apply(
        kube,
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            {
                "apiVersion": CAPI,
                "kind": "Cluster",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": labels(prefix, name) if prefix else {},
                },
                "spec": {},
            },
        ],
    )
    condition = {
        "type": "Available",
        "status": "True" if available else "False",
        "reason": "Available" if available else "NotAvailable",
        "lastTransitionTime": "2026-11-24T12:00:00Z",
    }
    kube.dynamic.patch(
        kube.resource(CAPI, "Cluster").status,
        body={"status": {"conditions": [condition]}},
        name=name,
        namespace=namespace,
        content_type="application/merge-patch+json",
    )


def add_kubeconfig_secret(kube: KubeClient, namespace: str, name: str, emulator: Emulator) -> None:
    """What CAPI writes for every cluster: `<name>-kubeconfig` with its admin kubeconfig."""
    value = yaml.safe_dump(emulator.kubeconfig(f"{name}-admin@{name}"))
    apply(
        kube,
        [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": f"{name}-kubeconfig",
                    "namespace": namespace,
                    "labels": {naming.LABEL_CLUSTER_NAME: name},
                },
                "type": "cluster.x-k8s.io/secret",
                "data": {"value": base64.b64encode(value.encode()).decode()},
            }
        ],
    )


def names(kube: KubeClient, selector: str | None = None) -> list[str]:
    listed = kube.dynamic.get(kube.resource(CAPI, "Cluster"), label_selector=selector).to_dict()
    return sorted(f"{c['metadata']['namespace']}/{c['metadata']['name']}" for c in listed["items"])


ORC = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "orc-system"}},
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "orc-stand-in", "namespace": "orc-system"},
        "data": {"version": versions.ORC},
    },
]


@pytest.fixture
def landscape(kube: KubeClient, target_emulator: Emulator) -> KubeClient:
    """kind holds: team/ha (the target), team/app, and other/theirs of another prefix."""
    add_cluster(kube, "ha", "ha")
    add_kubeconfig_secret(kube, "ha", "ha", target_emulator)
    add_cluster(kube, "app", "app")
    add_cluster(kube, "zoo", "zoo")
    add_cluster(kube, "theirs", "theirs", prefix="other")
    return kube


def test_plan_lists_what_moves_and_moves_the_targets_namespace_last(landscape: KubeClient) -> None:
    plan = mgmt_move.plan_move(landscape, PREFIX, "ha")
    assert plan.target_namespace == "ha"
    assert plan.clusters == ("app/app", "ha/ha", "zoo/zoo")
    # an interruption before the last move leaves the target on the source: a re-run finds it
    assert plan.namespaces == ("app", "zoo", "ha")


def test_plan_refuses_an_unknown_target_and_names_the_known_ones(landscape: KubeClient) -> None:
    with pytest.raises(ClusterError, match=r"no cluster 'nope' .*app/app, ha/ha, zoo/zoo"):
        mgmt_move.plan_move(landscape, PREFIX, "nope")
    with pytest.raises(ClusterError, match="no cluster 'theirs' of prefix 'team'"):
        mgmt_move.plan_move(landscape, PREFIX, "theirs")


def test_plan_refuses_a_target_that_is_not_available(kube: KubeClient) -> None:
    add_cluster(kube, "ha", "ha", available=False)
    with pytest.raises(ClusterError, match="ha/ha is not Available"):
        mgmt_move.plan_move(kube, PREFIX, "ha")


def test_plan_refuses_a_namespace_shared_with_another_owner(landscape: KubeClient) -> None:
    add_cluster(landscape, "app", "stranger", prefix="other")
    add_cluster(landscape, "app", "unlabelled", prefix=None)
    with pytest.raises(ClusterError, match=r"whole namespaces.*app/stranger, app/unlabelled"):
        mgmt_move.plan_move(landscape, PREFIX, "ha")


def test_move_installs_providers_moves_every_namespace_and_verifies(
    landscape: KubeClient,
    target: KubeClient,
    kubeconfig_file: Path,
    clusterctl: Clusterctl,
    tmp_path: Path,
) -> None:
    events: list[StepEvent] = []
    plan = mgmt_move.plan_move(landscape, PREFIX, "ha")
    moved = mgmt_move.move_management(
        landscape, source_kubeconfig(kubeconfig_file, None), plan, clusterctl, ORC, events.append
    )
    assert yaml.safe_load(moved.get_secret_value())["current-context"] == "ha-admin@ha"
    assert names(target) == ["app/app", "ha/ha", "zoo/zoo"]
    assert names(landscape) == ["theirs/theirs"]  # another prefix stays where it was
    assert target.dynamic.get(target.resource("v1", "ConfigMap"), namespace="orc-system").items
    commands = [c[0] for c in calls(tmp_path)]
    assert commands == ["init", "move", "move", "move"]
    init, *moves = calls(tmp_path)
    assert f"openstack:{versions.CAPO}" in init and f"helm:{versions.CAAPH}" in init
    assert [m[m.index("--namespace") + 1] for m in moves] == ["app", "zoo", "ha"]
    # the target's kubeconfig reached clusterctl through memory, not a file on disk
    assert all(m[m.index("--to-kubeconfig") + 1].startswith("/proc/self/fd/") for m in moves)
    assert [e.step for e in events if e.phase != "start"] == [
        "kubeconfig",
        "orc",
        "providers",
        "move app",
        "move zoo",
        "move ha",
        "verify",
    ]
    assert TOKEN not in repr(events)


def test_an_interrupted_move_continues_without_installing_twice(
    landscape: KubeClient,
    target: KubeClient,
    kubeconfig_file: Path,
    clusterctl: Clusterctl,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = source_kubeconfig(kubeconfig_file, None)
    monkeypatch.setenv("STAND_IN_FAIL_NAMESPACE", "ha")
    plan = mgmt_move.plan_move(landscape, PREFIX, "ha")
    with pytest.raises(ClusterError, match="`clusterctl move` failed"):
        mgmt_move.move_management(landscape, source, plan, clusterctl, ORC)
    assert names(target) == ["app/app", "zoo/zoo"]
    monkeypatch.delenv("STAND_IN_FAIL_NAMESPACE")
    again = mgmt_move.plan_move(landscape, PREFIX, "ha")  # the target is still on the source
    assert again.namespaces == ("ha",)
    mgmt_move.move_management(landscape, source, again, clusterctl, ORC)
    assert names(target) == ["app/app", "ha/ha", "zoo/zoo"]
    assert [c[0] for c in calls(tmp_path)] == ["init", "move", "move", "move", "move"]


def test_a_move_that_leaves_clusters_behind_is_reported(
    landscape: KubeClient, kubeconfig_file: Path, clusterctl: Clusterctl
) -> None:
    plan = mgmt_move.plan_move(landscape, PREFIX, "ha")
    add_cluster(landscape, "app", "late")  # created while the move ran: clusterctl missed it
    partial = mgmt_move.MovePlan(plan.prefix, plan.target, "ha", ("zoo", "ha"), plan.clusters)
    with pytest.raises(ClusterError, match=r"incomplete: still on the source: app/app, app/late"):
        mgmt_move.move_management(
            landscape, source_kubeconfig(kubeconfig_file, None), partial, clusterctl, ORC
        )


def test_clusterctl_must_match_the_pinned_cluster_api(
    clusterctl: Clusterctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert clusterctl.check_version() == versions.CLUSTER_API
    monkeypatch.setenv("STAND_IN_VERSION", "v1.9.0")
    with pytest.raises(
        ClusterError, match=f"clusterctl v1.9.0 does not match.*{versions.CLUSTER_API}"
    ):
        clusterctl.check_version()


def test_missing_clusterctl_names_the_version_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ClusterError, match=f"install clusterctl {versions.CLUSTER_API}"):
        Clusterctl.find()


@pytest.mark.parametrize(
    ("found", "pinned", "same"),
    [
        ("v1.14.0", "v1.14.4", True),
        ("1.14.9", "v1.14.4", True),
        ("v1.13.4", "v1.14.4", False),
        ("", "v1.14.4", False),
        ("v2.14.4", "v1.14.4", False),
    ],
)
def test_same_minor(found: str, pinned: str, same: bool) -> None:
    assert same_minor(found, pinned) is same


@pytest.mark.parametrize("name", ["", "HA", "-ha", "ha_1", "a" * 41, "ha/../x"])
def test_an_invalid_target_name_is_rejected_before_any_contact(name: str) -> None:
    with pytest.raises(SettingsError) as raised:
        mgmt_move.check_cluster_name(name)
    assert "--to" in str(raised.value.problems[0])


def test_manifests_come_from_a_file_and_bad_ones_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "install.yaml"
    good.write_text(yaml.safe_dump_all(ORC), encoding="utf-8")
    assert mgmt_move.load_manifests(str(good)) == ORC
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(Exception, match="other than Kubernetes objects"):
        mgmt_move.load_manifests(str(bad))
    with pytest.raises(Exception, match="cannot read the ORC manifests"):
        mgmt_move.load_manifests(str(tmp_path / "missing.yaml"))


def test_kubeconfig_arguments_carry_contexts() -> None:
    from scs_kaas.kube.clusterctl import move_args

    args = move_args(Kubeconfig("/src", "kind"), Kubeconfig("/proc/self/fd/7"), "app")
    assert args == [
        "move",
        "--kubeconfig",
        "/src",
        "--kubeconfig-context",
        "kind",
        "--to-kubeconfig",
        "/proc/self/fd/7",
        "--namespace",
        "app",
    ]
