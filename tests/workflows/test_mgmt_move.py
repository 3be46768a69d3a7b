"""`kaas mgmt move` with the real clusterctl between two real management clusters: the session's
(`kube`, the kind cluster of a real setup) and a second one with every provider (`target`), which
plays the workload cluster `ha` that takes over management. The target has the providers, so the
workflow skips `clusterctl init` (which would fetch them from GitHub) as on a re-run.

Every test has a prefix and namespaces of its own (`world`). Nodes never join here, so the real
CAPI controller would never report a cluster Available: the clusters are made paused, and the
test writes their status through the status subresource as the controller would (Available,
ControlPlaneInitialized, infrastructure provisioned). clusterctl refuses to move paused clusters,
so once planned they are resumed; the controller keeps ControlPlaneInitialized once True.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from scs_kaas import naming, versions
from scs_kaas.errors import ClusterError, SettingsError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.clusterctl import Clusterctl, Kubeconfig, same_minor, source_kubeconfig
from scs_kaas.localmgmt import ManagementCluster, programs
from scs_kaas.workflows.mgmt import move as mgmt_move
from scs_kaas.workflows.progress import StepEvent
from tests.support.mgmt_move_world import (
    CAPI,
    ORC,
    World,
    add_cluster,
    add_kubeconfig_secret,
    client_key,
    clusterctl_binary,
    labels,
    names,
    play_status,
    resume,
    secrets,
    target_kubeconfig,
)


@dataclass
class Calls:
    """clusterctl's command lines, as the workflow ran them (the real binary ran each)."""

    made: list[list[str]] = field(default_factory=list)

    def __call__(self, args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        self.made.append(list(args[1:]))
        return subprocess.run(args, **kwargs)  # noqa: PLW1510 -- check=False comes in kwargs


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def clusterctl(calls: Calls, monkeypatch: pytest.MonkeyPatch) -> Clusterctl:
    """The real clusterctl, built with the management cluster's programs."""
    binary = clusterctl_binary()
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: run `kaas devcloud build`", pytrace=False)
    monkeypatch.setenv("CLUSTERCTL_DISABLE_VERSIONCHECK", "true")  # it would ask GitHub
    return Clusterctl(str(binary), run=calls)


@pytest.fixture
def landscape(kube: KubeClient, world: World, move_target: ManagementCluster) -> KubeClient:
    """The source holds team/ha (the target), team/app, team/zoo and other/theirs of another
    prefix, each in a namespace of its own; app also has a Secret labelled for moving."""
    add_cluster(kube, world.ns("ha"), "ha", world.prefix)
    add_kubeconfig_secret(kube, world.ns("ha"), "ha", target_kubeconfig(move_target, "ha"))
    add_cluster(kube, world.ns("app"), "app", world.prefix)
    apply(
        kube,
        [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "app-extra",
                    "namespace": world.ns("app"),
                    "labels": {naming.LABEL_MOVE: ""},
                },
                "stringData": {"note": "moves along"},
            }
        ],
    )
    add_cluster(kube, world.ns("zoo"), "zoo", world.prefix)
    add_cluster(kube, world.ns("theirs"), "theirs", world.other_prefix)
    return kube


def test_plan_lists_what_moves_and_moves_the_targets_namespace_last(
    landscape: KubeClient, world: World
) -> None:
    plan = mgmt_move.plan(landscape, world.prefix, "ha")
    assert plan.target_namespace == world.ns("ha")
    assert plan.clusters == (world.key("app"), world.key("ha"), world.key("zoo"))
    # an interruption before the last move leaves the target on the source: a re-run finds it
    assert plan.namespaces == (world.ns("app"), world.ns("zoo"), world.ns("ha"))


def test_plan_refuses_an_unknown_target_and_names_the_known_ones(
    landscape: KubeClient, world: World
) -> None:
    known = ", ".join([world.key("app"), world.key("ha"), world.key("zoo")])
    with pytest.raises(ClusterError, match=rf"no cluster 'nope' .*{known}"):
        mgmt_move.plan(landscape, world.prefix, "nope")
    with pytest.raises(ClusterError, match=f"no cluster 'theirs' of prefix '{world.prefix}'"):
        mgmt_move.plan(landscape, world.prefix, "theirs")


def test_plan_refuses_a_target_that_is_not_available(kube: KubeClient, world: World) -> None:
    add_cluster(kube, world.ns("ha"), "ha", world.prefix, available=False)
    with pytest.raises(ClusterError, match=f"{world.key('ha')} is not Available"):
        mgmt_move.plan(kube, world.prefix, "ha")


def test_plan_refuses_a_namespace_shared_with_another_owner(
    landscape: KubeClient, world: World
) -> None:
    add_cluster(landscape, world.ns("app"), "stranger", world.other_prefix)
    add_cluster(landscape, world.ns("app"), "unlabelled", None)
    shared = f"{world.key('app', 'stranger')}, {world.key('app', 'unlabelled')}"
    with pytest.raises(ClusterError, match=rf"whole namespaces.*{shared}"):
        mgmt_move.plan(landscape, world.prefix, "ha")


def test_move_moves_every_namespace_and_verifies(
    landscape: KubeClient,
    target: KubeClient,
    kubeconfig_file: Path,
    clusterctl: Clusterctl,
    calls: Calls,
    world: World,
    move_target: ManagementCluster,
) -> None:
    events: list[StepEvent] = []
    plan = mgmt_move.plan(landscape, world.prefix, "ha")
    resume(landscape, world.selector)
    moved = mgmt_move.run(
        landscape, source_kubeconfig(kubeconfig_file, None), plan, clusterctl, ORC, events.append
    )
    assert yaml.safe_load(moved.get_secret_value())["current-context"] == "ha-admin@ha"
    expected = [world.key("app"), world.key("ha"), world.key("zoo")]
    assert names(target, world.selector) == expected
    assert names(landscape, world.selector) == []
    # another prefix stays where it was
    assert names(landscape, f"{naming.LABEL_PREFIX}={world.other_prefix}") == [world.key("theirs")]
    on_target = target.resource(CAPI, "Cluster")
    for key in expected:
        namespace, name = key.split("/")
        arrived = on_target.get(name=name, namespace=namespace).to_dict()
        assert not arrived["spec"].get("paused"), key  # clusterctl resumed it on the target
        assert arrived["metadata"]["labels"] == labels(world.prefix, name)
    # the Secrets that belong to the clusters went along, and left the source
    assert {"ha-kubeconfig"} <= set(secrets(target, world.ns("ha")))
    assert {"app-extra"} <= set(secrets(target, world.ns("app")))
    assert "ha-kubeconfig" not in secrets(landscape, world.ns("ha"))
    assert "app-extra" not in secrets(landscape, world.ns("app"))
    assert target.resource("v1", "ConfigMap").get(namespace="orc-system").items
    # the target has the providers: no `clusterctl init`
    assert [c[0] for c in calls.made] == ["move", "move", "move"]
    assert [m[m.index("--namespace") + 1] for m in calls.made] == list(plan.namespaces)
    # the target's kubeconfig reached clusterctl through memory, not a file on disk
    assert all(m[m.index("--to-kubeconfig") + 1].startswith("/proc/self/fd/") for m in calls.made)
    assert [e.step for e in events if e.phase != "start"] == [
        "kubeconfig",
        "orc",
        "providers",
        *[f"move {n}" for n in plan.namespaces],
        "verify",
    ]
    assert [e.phase for e in events if e.step == "providers"] == ["exists"]
    assert client_key(target_kubeconfig(move_target, "ha")) not in repr(events)


def test_an_interrupted_move_continues_from_where_it_stopped(
    landscape: KubeClient,
    target: KubeClient,
    kubeconfig_file: Path,
    clusterctl: Clusterctl,
    calls: Calls,
    world: World,
) -> None:
    """clusterctl refuses to move ha while its control plane is not initialized (the real check
    of clusterctl): the others moved, ha stays; once initialized, a re-run moves ha alone."""
    source = source_kubeconfig(kubeconfig_file, None)
    play_status(landscape, world.ns("ha"), "ha", initialized=False)
    plan = mgmt_move.plan(landscape, world.prefix, "ha")
    resume(landscape, world.selector)
    with pytest.raises(ClusterError, match="`clusterctl move` failed"):
        mgmt_move.run(landscape, source, plan, clusterctl, ORC)
    assert names(target, world.selector) == [world.key("app"), world.key("zoo")]
    assert names(landscape, world.selector) == [world.key("ha")]
    play_status(landscape, world.ns("ha"), "ha")  # its control plane came up
    again = mgmt_move.plan(landscape, world.prefix, "ha")  # the target is still on the source
    assert again.namespaces == (world.ns("ha"),)
    resume(landscape, world.selector)
    mgmt_move.run(landscape, source, again, clusterctl, ORC)
    assert names(target, world.selector) == [world.key("app"), world.key("ha"), world.key("zoo")]
    assert names(landscape, world.selector) == []
    assert [c[0] for c in calls.made] == ["move"] * 4


def test_paused_clusters_are_refused_before_anything_moves(
    landscape: KubeClient,
    target: KubeClient,
    kubeconfig_file: Path,
    clusterctl: Clusterctl,
    calls: Calls,
    world: World,
) -> None:
    """Real clusterctl refuses a paused Cluster, after it may have moved other namespaces."""
    plan = mgmt_move.plan(landscape, world.prefix, "ha")
    resume(landscape, world.selector)
    play_status(landscape, world.ns("zoo"), "zoo")  # paused again
    with pytest.raises(ClusterError, match=f"does not move paused clusters: {world.key('zoo')} "):
        mgmt_move.run(landscape, source_kubeconfig(kubeconfig_file, None), plan, clusterctl, ORC)
    assert calls.made == []
    assert names(target, world.selector) == []


def test_a_move_that_leaves_clusters_behind_is_reported(
    landscape: KubeClient, kubeconfig_file: Path, clusterctl: Clusterctl, world: World
) -> None:
    plan = mgmt_move.plan(landscape, world.prefix, "ha")
    # created while the move ran: clusterctl missed it
    add_cluster(landscape, world.ns("app"), "late", world.prefix)
    partial = mgmt_move.MovePlan(
        plan.prefix,
        plan.target,
        plan.target_namespace,
        (world.ns("zoo"), world.ns("ha")),
        plan.clusters,
    )
    resume(landscape, world.selector)
    left = f"{world.key('app')}, {world.key('app', 'late')}"
    with pytest.raises(ClusterError, match=rf"incomplete: still on the source: {left}"):
        mgmt_move.run(landscape, source_kubeconfig(kubeconfig_file, None), partial, clusterctl, ORC)


def test_clusterctl_must_match_the_pinned_cluster_api(clusterctl: Clusterctl) -> None:
    found = clusterctl.check_version()  # the real binary's own answer
    assert found == programs.pinned_version("cluster-api", "sigs.k8s.io/cluster-api")
    assert same_minor(found, versions.CLUSTER_API)

    def older(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 0, "v1.9.0\n")

    with pytest.raises(
        ClusterError, match=f"clusterctl v1.9.0 does not match.*{versions.CLUSTER_API}"
    ):
        Clusterctl(clusterctl.binary, run=older).check_version()


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
