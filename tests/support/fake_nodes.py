"""Nodes for a workload API server of the tests (a `ManagementCluster` without providers) that
run pods without a container runtime: the real kube-scheduler binds each pod to one of them and
kwok ("Kubernetes WithOut Kubelet", a Kubernetes SIG project) plays their kubelets, so that a
pod becomes Running and Ready, and a deleted one goes away. Both are real programs, built from
their Go modules on first use (`localmgmt.programs.TEST_TOOLS`); kwok's stages are its own
`fast` ones, read from its module: node-initialize, pod-ready, pod-complete, pod-delete.

Nothing runs inside those pods: nothing answers on their ports, exec and logs do not work.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kubernetes.client.exceptions import ApiException

from scs_kaas.errors import KaasError
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import condition_is, wait_for
from scs_kaas.localcloud.processes import running, start_detached, stop_together
from scs_kaas.localcloud.waiting import wait_until
from scs_kaas.localmgmt import ManagementCluster, commands, probes, programs

# kube-controller-manager of a workload cluster, as far as it works without a cloud or nodes
# that report: volumes bound to claims and protected while in use, the pods of Deployments.
WORKLOAD_CONTROLLERS = (
    *commands.MANAGEMENT_CONTROLLERS,
    "persistentvolume-binder-controller",
    "persistentvolume-protection-controller",
    "persistentvolumeclaim-protection-controller",
    "deployment-controller",
    "replicaset-controller",
    # takes a new node's node.kubernetes.io/not-ready taint off once kwok reports it Ready, and
    # would put it back if kwok stopped renewing the node's lease
    "node-lifecycle-controller",
)
# kwok manages the nodes carrying this annotation (its documented convention), no others.
ANNOTATION = "kwok.x-k8s.io/node"
NODES = ("kwok-node-1", "kwok-node-2")
_STAGES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
)
START_TIMEOUT = 120.0
LEASE_SECONDS = 40  # a kubelet's default


def node(name: str) -> dict[str, Any]:
    """A node as a kubelet registers it; kwok's node-initialize stage fills in its status
    (Ready, addresses, 1k CPUs, 1Ti of memory: far more than the smoke check's app asks)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {ANNOTATION: "fake"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
    }


def _schedulable(found: Mapping[str, Any] | None) -> bool:
    if found is None or (found.get("spec") or {}).get("taints"):
        return False
    return condition_is("Ready")(found)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scheduler(binary: Path, cluster: ManagementCluster, port: int) -> list[str]:
    pki, kubeconfig = cluster.layout.pki, cluster.kubeconfig
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        f"--tls-cert-file={pki.serving_cert}",
        f"--tls-private-key-file={pki.serving_key}",
        "--leader-elect=false",
        "--profiling=false",
        "--v=0",
    ]


def _kwok(binary: Path, cluster: ManagementCluster) -> list[str]:
    stages = programs.module_dir("kwok", "sigs.k8s.io/kwok") / "kustomize" / "stage"
    # No --server-address or --node-port: kwok then serves nothing (no exec, logs, metrics).
    return [
        str(binary),
        f"--kubeconfig={cluster.kubeconfig}",
        f"--manage-nodes-with-annotation-selector={ANNOTATION}=fake",
        f"--node-lease-duration-seconds={LEASE_SECONDS}",
        *(f"--config={stages / stage}" for stage in _STAGES),
    ]


@contextlib.contextmanager
def running_nodes(cluster: ManagementCluster, timeout: float = START_TIMEOUT) -> Iterator[None]:
    """kube-scheduler and kwok against `cluster`, and `NODES`, Ready; all removed afterwards."""
    built = programs.build(programs.TEST_TOOLS, cluster.bin_root)
    layout = cluster.layout
    port = _free_port()
    argvs = {
        "kube-scheduler": _scheduler(built["kube-scheduler"], cluster, port),
        "kwok": _kwok(built["kwok"], cluster),
    }
    pid_files = [layout.pid_file(name) for name in argvs]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(layout.root)}
    try:
        for name, argv in argvs.items():
            start_detached(
                argv, env, layout.pid_file(name), layout.logs / f"{name}.log", layout.root
            )

        def scheduler_ready() -> bool:
            for name in argvs:
                if running(layout.pid_file(name)) is None:
                    raise KaasError(f"{name} exited; see {layout.logs / name}.log")
            return probes.answers(f"https://127.0.0.1:{port}/healthz", layout.pki)

        wait_until(scheduler_ready, timeout, "kube-scheduler")
        with KubeClient.from_file(cluster.kubeconfig) as client:
            apply(client, [node(name) for name in NODES], "kaas-test-nodes")
            for name in NODES:  # kwok made it Ready, the node lifecycle controller untainted it
                wait_for(client, "v1", "Node", name, None, _schedulable, timeout)
        yield
    finally:
        try:
            with KubeClient.from_file(cluster.kubeconfig) as client:
                for name in NODES:
                    with contextlib.suppress(ApiException):
                        client.resource("v1", "Node").delete(name=name)
        finally:
            stop_together(pid_files)
