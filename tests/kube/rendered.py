"""A cluster as `kaas cluster create` renders it for the real management cluster, paused, and its
objects as the API server holds them: shared by the apply, autoscaler and admission tests.

The rendered Cluster gets `spec.paused: true`: the real Cluster API controllers then leave the
cluster's objects alone (no machines, no status churn between two applies), while the real API
server and the providers' admission webhooks (defaulting, validation) see every object.
"""

from __future__ import annotations

from typing import Any

from kubernetes.client.exceptions import ApiException

from scs_kaas.kube.client import KubeClient
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings
from scs_kaas.workflows.cluster.prepare import management_facts


def render(kube: KubeClient, cluster: str, **settings: Any) -> list[dict[str, Any]]:
    """The cluster as `kaas cluster create` renders it for this management cluster (in the CAPO
    API version it serves)."""
    # in the test's namespace, named after the cluster (the default is `<prefix>-<cluster>`)
    layers = [Layer("test", {"namespace": cluster, **settings})]
    loaded = build_settings(cluster, layers).settings
    identity = placeholder_identity("openstack")
    newest = render_cluster(cluster, loaded, CloudFacts(), identity)
    facts = management_facts(kube, newest)
    manifests = render_cluster(cluster, loaded, CloudFacts(), identity, management=facts)
    for manifest in manifests:
        if manifest["kind"] == "Cluster":  # see the module docstring
            manifest["spec"]["paused"] = True
    return manifests


def stored(kube: KubeClient, manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The object as the API server holds it, or None."""
    meta = manifest["metadata"]
    resource = kube.resource(manifest["apiVersion"], manifest["kind"])
    try:
        found = resource.get(name=meta["name"], namespace=meta.get("namespace"))
    except ApiException as error:
        if error.status == 404:
            return None
        raise
    return dict(found.to_dict())
