"""One changing command per cluster at a time: create, delete, upgrade, scale,
rotate-credentials and gc hold the cluster's Lease (`kube.lease`) in its namespace on the
management cluster, from whichever machine they run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from scs_kaas import naming
from scs_kaas.kube.apply import apply
from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.lease import holder_identity, lease_held
from scs_kaas.render.metadata import common_labels, manifest
from scs_kaas.workflows.cluster.target import ClusterTarget


def _namespace_exists(kube: KubeClient, namespace: str) -> bool:
    found = kube.get("v1", "Namespace", namespace, action=f"reading namespace {namespace}")
    return found is not None


@contextmanager
def cluster_lock(
    kube: KubeClient,
    target: ClusterTarget,
    command: str,
    timeout: float,
    say: Callable[[str], None],
    make_namespace: bool = False,
) -> Iterator[None]:
    """Hold the cluster's Lease while the block runs (see `kube.lease.lease_held`).

    A create makes the namespace first, as its apply would (same object, same field manager:
    the apply then finds it unchanged). Without a namespace the other commands hold nothing:
    none of the cluster is there to be changed side by side.
    """
    if not _namespace_exists(kube, target.namespace):
        if not make_namespace:
            yield
            return
        labels = common_labels(target.name, target.prefix)
        apply(kube, [manifest("v1", "Namespace", target.namespace, None, labels)])
    holder = holder_identity(f"kaas cluster {command} {target.name}")
    name = naming.cluster_lease(target.name)
    with lease_held(kube, target.namespace, name, holder, timeout, say):
        yield
