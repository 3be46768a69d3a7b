"""Small objects for the tests against the real management cluster (its fixtures are in
tests/support/management.py)."""

from __future__ import annotations

from typing import Any

CAPI = "cluster.x-k8s.io/v1beta2"


def cluster_manifest(
    namespace: str, name: str, paused: bool, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Cluster as small as CAPI's webhook admits: one reference is required, here to an
    OpenStackCluster that is never made (so no provider acts on this cluster)."""
    return {
        "apiVersion": CAPI,
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {
            "paused": paused,
            "infrastructureRef": {
                "apiGroup": "infrastructure.cluster.x-k8s.io",
                "kind": "OpenStackCluster",
                "name": name,
            },
        },
    }
