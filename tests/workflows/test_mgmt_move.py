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

import base64
import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from scs_kaas import naming, versions
from scs_kaas.errors import ClusterError, SettingsError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.clusterctl import Clusterctl, Kubeconfig, same_minor, source_kubeconfig
from scs_kaas.localcloud.waiting import wait_until
from scs_kaas.localmgmt import ManagementCluster, programs
from scs_kaas.workflows.mgmt import move as mgmt_move
from scs_kaas.workflows.progress import StepEvent
from tests.kube.admission import ADMISSION
from tests.kube.objects import cluster_manifest
from tests.management import release

CAPI = "cluster.x-k8s.io/v1beta2"


def clusterctl_binary() -> Path:
    return programs.binary_path(programs.by_name("clusterctl"))


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


@dataclass(frozen=True)
class World:
    """One test's prefix and namespaces (the management clusters are the session's)."""

    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def prefix(self) -> str:
        return f"team-{self.suffix}"

    @property
    def other_prefix(self) -> str:
        return f"other-{self.suffix}"

    def ns(self, short: str) -> str:
        return f"{short}-{self.suffix}"

    def key(self, short: str, name: str | None = None) -> str:
        return f"{self.ns(short)}/{name or short}"

    @property
    def selector(self) -> str:
        return f"{naming.LABEL_PREFIX}={self.prefix}"


@pytest.fixture
def world(kube: KubeClient, target: KubeClient) -> Iterator[World]:
    made = World()
    yield made
    for client in (kube, target):
        listed = client.resource("v1", "Namespace").get().to_dict()["items"]
        for item in listed:
            if item["metadata"]["name"].endswith(f"-{made.suffix}"):
                release(client, item["metadata"]["name"])


def labels(prefix: str, cluster: str) -> dict[str, str]:
    return {
        naming.LABEL_PREFIX: prefix,
        naming.LABEL_MANAGED_BY: naming.MANAGED_BY,
        naming.LABEL_CLUSTER_NAME: cluster,
    }


def condition(type_: str, status: bool) -> dict[str, Any]:
    return {
        "type": type_,
        "status": "True" if status else "False",
        "reason": type_ if status else f"Not{type_}",
        "message": "",
        "lastTransitionTime": "2026-11-24T12:00:00Z",
    }


def play_status(
    kube: KubeClient, namespace: str, name: str, available: bool = True, initialized: bool = True
) -> None:
    """Pause the Cluster and write the status the real controller would write once its nodes
    joined: through the status subresource, by condition type, on the resourceVersion read."""
    resource = kube.resource(CAPI, "Cluster")
    resource.patch(
        name=name,
        namespace=namespace,
        body={"spec": {"paused": True}},
        content_type="application/merge-patch+json",
    )
    played = [condition("Available", available), condition("ControlPlaneInitialized", initialized)]
    initialization = {"infrastructureProvisioned": True, "controlPlaneInitialized": initialized}
    for _ in range(10):
        live = resource.get(name=name, namespace=namespace).to_dict()
        kept = [
            c
            for c in (live.get("status") or {}).get("conditions") or []
            if c["type"] not in {p["type"] for p in played}
        ]
        body = {
            "metadata": {"resourceVersion": live["metadata"]["resourceVersion"]},
            "status": {"initialization": initialization, "conditions": [*kept, *played]},
        }
        try:
            resource.status.patch(
                name=name,
                namespace=namespace,
                body=body,
                content_type="application/merge-patch+json",
            )
        except ApiException as error:
            if error.status == 409:
                continue
            raise
        return
    raise AssertionError(f"Cluster {namespace}/{name} kept changing under the test")


def write_status(kube: KubeClient, namespace: str, name: str, played: list[dict[str, Any]]) -> None:
    """Conditions `played` (by type, keeping the others) and the initialization a cluster has
    once up, through the status subresource on the resourceVersion read."""
    resource = kube.resource(CAPI, "Cluster")
    initialization = {"infrastructureProvisioned": True, "controlPlaneInitialized": True}
    for _ in range(20):
        live = resource.get(name=name, namespace=namespace).to_dict()
        kept = [
            c
            for c in (live.get("status") or {}).get("conditions") or []
            if c["type"] not in {p["type"] for p in played}
        ]
        body = {
            "metadata": {"resourceVersion": live["metadata"]["resourceVersion"]},
            "status": {"initialization": initialization, "conditions": [*kept, *played]},
        }
        try:
            resource.status.patch(
                name=name,
                namespace=namespace,
                body=body,
                content_type="application/merge-patch+json",
            )
        except ApiException as error:
            if error.status == 409:
                continue
            raise
        return
    raise AssertionError(f"Cluster {namespace}/{name} kept changing under the test")


@contextlib.contextmanager
def holding_available(kube: KubeClient, namespace: str, name: str) -> Iterator[None]:
    """A running (unpaused) Cluster that the real controller cannot report unavailable: an
    admission policy of the test's own refuses every status write of this one Cluster that
    would leave Available other than True (the controller computes False: nodes never join
    here). The test then writes Available=True and ControlPlaneInitialized=True itself."""
    policy = f"test-available-{uuid.uuid4().hex[:10]}"
    documents: list[dict[str, Any]] = [
        {
            "apiVersion": ADMISSION,
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": policy},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "resourceRules": [
                        {
                            "apiGroups": ["cluster.x-k8s.io"],
                            "apiVersions": ["*"],
                            "operations": ["UPDATE"],
                            "resources": ["clusters/status"],
                            "resourceNames": [name],
                            "scope": "Namespaced",
                        }
                    ],
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": namespace}
                    },
                },
                "validations": [
                    {
                        "expression": "has(object.status) && has(object.status.conditions) &&"
                        " object.status.conditions.exists(c, c.type == 'Available' &&"
                        " c.status == 'True')",
                        "message": f"{policy}: Available stays True",
                    }
                ],
            },
        },
        {
            "apiVersion": ADMISSION,
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": policy},
            "spec": {"policyName": policy, "validationActions": ["Deny"]},
        },
    ]
    resource = kube.resource(CAPI, "Cluster")

    def in_force() -> bool:
        try:
            resource.status.patch(
                name=name,
                namespace=namespace,
                body={"status": {"conditions": [condition("Available", False)]}},
                content_type="application/merge-patch+json",
                dry_run="All",
            )
        except ApiException as error:
            if policy in str(error.body):
                return True
            raise
        return False

    for document in documents:
        kube.resource(ADMISSION, document["kind"]).create(body=document)
    try:
        wait_until(in_force, 30, f"admission policy {policy} in force")
        write_status(
            kube,
            namespace,
            name,
            [condition("Available", True), condition("ControlPlaneInitialized", True)],
        )
        yield
    finally:
        for document in reversed(documents):
            kube.resource(ADMISSION, document["kind"]).delete(name=document["metadata"]["name"])


def add_running_cluster(kube: KubeClient, namespace: str, name: str, prefix: str) -> None:
    """An unpaused Cluster whose control plane came up (the real controller keeps
    ControlPlaneInitialized once True)."""
    apply(
        kube,
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            cluster_manifest(namespace, name, False, labels(prefix, name)),
        ],
    )
    write_status(kube, namespace, name, [condition("ControlPlaneInitialized", True)])


def resume(kube: KubeClient, selector: str) -> None:
    """Unpause the clusters (clusterctl moves running clusters only)."""
    resource = kube.resource(CAPI, "Cluster")
    for item in resource.get(label_selector=selector).to_dict()["items"]:
        resource.patch(
            name=item["metadata"]["name"],
            namespace=item["metadata"]["namespace"],
            body={"spec": {"paused": False}},
            content_type="application/merge-patch+json",
        )


def add_cluster(
    kube: KubeClient,
    namespace: str,
    name: str,
    prefix: str | None,
    available: bool = True,
    initialized: bool = True,
) -> None:
    apply(
        kube,
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            cluster_manifest(namespace, name, True, labels(prefix, name) if prefix else {}),
        ],
    )
    play_status(kube, namespace, name, available, initialized)


def as_capi_writes_it(config: dict[str, Any], cluster: str) -> dict[str, Any]:
    """A real cluster's admin kubeconfig under the names CAPI gives its entries."""
    (server,), (user,) = config["clusters"], config["users"]
    context = f"{cluster}-admin@{cluster}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": server["cluster"]}],
        "users": [{"name": f"{cluster}-admin", "user": user["user"]}],
        "contexts": [
            {"name": context, "context": {"cluster": cluster, "user": f"{cluster}-admin"}}
        ],
        "current-context": context,
    }


def target_kubeconfig(target_cluster: ManagementCluster, name: str) -> dict[str, Any]:
    loaded = yaml.safe_load(target_cluster.kubeconfig.read_text(encoding="utf-8"))
    return as_capi_writes_it(loaded, name)


def client_key(config: dict[str, Any]) -> str:
    """A piece of the kubeconfig's private key: it must show nowhere."""
    return str(config["users"][0]["user"]["client-key-data"])[10:50]


def add_kubeconfig_secret(
    kube: KubeClient, namespace: str, name: str, config: dict[str, Any]
) -> None:
    """What CAPI writes for every cluster: `<name>-kubeconfig` with its admin kubeconfig."""
    value = yaml.safe_dump(config)
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
    listed = kube.resource(CAPI, "Cluster").get(label_selector=selector).to_dict()
    return sorted(f"{c['metadata']['namespace']}/{c['metadata']['name']}" for c in listed["items"])


def secrets(kube: KubeClient, namespace: str) -> list[str]:
    listed = kube.resource("v1", "Secret").get(namespace=namespace).to_dict()["items"]
    return sorted(s["metadata"]["name"] for s in listed)


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
