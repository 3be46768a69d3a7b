"""The world of the `kaas mgmt move` tests (tests/workflows/test_mgmt_move.py and
tests/cli/test_mgmt_move_cli.py): a prefix and namespaces of each test's own on the session's two
management clusters (`world`, registered by `pytest_plugins` in tests/conftest.py), clusters as
CAPI leaves them, their kubeconfig Secrets, and an admission policy that holds the Available
status a test wrote (`holding_available`)."""

from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from scs_kaas import naming, versions
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.localcloud.waiting import wait_until
from scs_kaas.localmgmt import ManagementCluster, programs
from tests.support.admission import ADMISSION
from tests.support.management import release
from tests.support.objects import cluster_manifest

CAPI = "cluster.x-k8s.io/v1beta2"


def clusterctl_binary() -> Path:
    return programs.binary_path(programs.by_name("clusterctl"))


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
    _patch_status(kube, namespace, name, played, initialization, attempts=10)


def write_status(kube: KubeClient, namespace: str, name: str, played: list[dict[str, Any]]) -> None:
    """Conditions `played` (by type, keeping the others) and the initialization a cluster has
    once up, through the status subresource on the resourceVersion read."""
    initialization = {"infrastructureProvisioned": True, "controlPlaneInitialized": True}
    _patch_status(kube, namespace, name, played, initialization, attempts=20)


def _patch_status(
    kube: KubeClient,
    namespace: str,
    name: str,
    played: list[dict[str, Any]],
    initialization: dict[str, bool],
    attempts: int,
) -> None:
    """The status write both helpers make: conditions `played` replace those of their types,
    on the resourceVersion read; a 409 (the controller wrote in between) reads again."""
    resource = kube.resource(CAPI, "Cluster")
    for _ in range(attempts):
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
