"""Builders of the management-cluster objects that carry add-ons to a workload cluster.

Helm charts become a HelmChartProxy (CAAPH); plain objects become a ConfigMap, or a Secret of type
`addons.cluster.x-k8s.io/resource-set` when they hold secrets, plus a ClusterResourceSet.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import yaml

from scs_kaas.render.addons.context import AddonContext, AddonRenderError
from scs_kaas.render.addons.pins import ChartPin

ADDON_LABEL = "kaas.scs.community/addon"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
RESOURCE_SET_SECRET_TYPE = "addons.cluster.x-k8s.io/resource-set"  # noqa: S105
# Room below the API server's 1 MiB object limit for the carrier's metadata.
MAX_CARRIER_BYTES = 1_000_000

# CAAPH renders valuesTemplate as a Go template per cluster. Our own values refer to cluster fields
# through these placeholders; everything else is escaped so that `{{` in user values (Prometheus
# alert texts, for example) reaches the chart unchanged.
CONTROL_PLANE_HOST = "__kaas_control_plane_host__"
CONTROL_PLANE_PORT = "__kaas_control_plane_port__"
_GO_TEMPLATE_REFERENCES = MappingProxyType(
    {
        CONTROL_PLANE_HOST: "{{ .Cluster.spec.controlPlaneEndpoint.host }}",
        CONTROL_PLANE_PORT: "{{ .Cluster.spec.controlPlaneEndpoint.port }}",
    }
)


def object_name(ctx: AddonContext, addon: str) -> str:
    return f"{ctx.cluster_name}-{addon}"


def carrier_name(ctx: AddonContext, addon: str) -> str:
    # The suffix keeps the ConfigMaps and Secrets clear of the other Secrets in the namespace,
    # such as CAPO's `<cluster>-cloud-config` and CAPI's `<cluster>-kubeconfig`.
    return f"{ctx.cluster_name}-{addon}-manifests"


def labels_for(ctx: AddonContext, addon: str) -> dict[str, str]:
    """The caller's common labels plus the add-on label, by which an apply prunes."""
    return {**dict(sorted(ctx.labels.items())), ADDON_LABEL: addon}


def metadata(ctx: AddonContext, addon: str, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": ctx.namespace, "labels": labels_for(ctx, addon)}


def cluster_selector(ctx: AddonContext) -> dict[str, Any]:
    return {"matchLabels": {CLUSTER_NAME_LABEL: ctx.cluster_name}}


def values_template(values: Mapping[str, Any]) -> str:
    """Helm values as the Go template CAAPH expects: literal `{{` escaped, placeholders resolved."""
    text = yaml.safe_dump(dict(values), sort_keys=True, default_flow_style=False, width=1 << 20)
    text = text.replace("{{", '{{ "{{" }}')
    for placeholder, reference in _GO_TEMPLATE_REFERENCES.items():
        text = text.replace(placeholder, reference)
    return text


def helm_chart_proxy(
    ctx: AddonContext,
    addon: str,
    chart: ChartPin,
    release_namespace: str,
    values: Mapping[str, Any],
    release_name: str,
) -> dict[str, Any]:
    return {
        "apiVersion": "addons.cluster.x-k8s.io/v1alpha1",
        "kind": "HelmChartProxy",
        "metadata": metadata(ctx, addon, object_name(ctx, addon)),
        "spec": {
            "clusterSelector": cluster_selector(ctx),
            "repoURL": chart.repo,
            "chartName": chart.chart,
            "version": chart.version,
            "releaseName": release_name,
            "namespace": release_namespace,
            # Continuous: a changed version or values upgrades the release, and deleting the
            # proxy uninstalls it, so turning an add-on off removes it from the cluster.
            "reconcileStrategy": "Continuous",
            "options": {"install": {"createNamespace": True}},
            "valuesTemplate": values_template(values),
        },
    }


def manifests_text(objects: Sequence[Mapping[str, Any]]) -> str:
    return yaml.safe_dump_all([dict(o) for o in objects], sort_keys=False, width=1 << 20)


def resource_set(
    ctx: AddonContext, addon: str, objects: Sequence[Mapping[str, Any]], secret: bool
) -> list[dict[str, Any]]:
    """A ConfigMap (or Secret) with the objects as YAML, and the ClusterResourceSet applying it."""
    return resource_set_of_text(ctx, addon, manifests_text(objects), secret)


def resource_set_of_text(
    ctx: AddonContext, addon: str, text: str, secret: bool
) -> list[dict[str, Any]]:
    name = carrier_name(ctx, addon)
    key = f"{addon}.yaml"
    # The API server stores at most 1 MiB per object, and the Secret's base64 grows by a third.
    encoded_size = len(text.encode()) * (4 / 3 if secret else 1)
    if encoded_size > MAX_CARRIER_BYTES:
        raise AddonRenderError(
            f"add-on {addon}: {int(encoded_size)} bytes of manifests do not fit into one "
            f"{'Secret' if secret else 'ConfigMap'} (at most {MAX_CARRIER_BYTES})"
        )
    carrier: dict[str, Any]
    if secret:
        carrier = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata(ctx, addon, name),
            "type": RESOURCE_SET_SECRET_TYPE,
            "data": {key: base64.b64encode(text.encode()).decode()},
        }
    else:
        carrier = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata(ctx, addon, name),
            "data": {key: text},
        }
    crs = {
        "apiVersion": "addons.cluster.x-k8s.io/v1beta2",
        "kind": "ClusterResourceSet",
        "metadata": metadata(ctx, addon, object_name(ctx, addon)),
        "spec": {
            "clusterSelector": cluster_selector(ctx),
            "resources": [{"kind": carrier["kind"], "name": name}],
            # Reconcile re-applies changed content (a rotated credential, a new issuer email).
            # A ClusterResourceSet never deletes what it applied; helm add-ons do.
            "strategy": "Reconcile",
        },
    }
    return [carrier, crs]


def workload_metadata(name: str, addon: str, namespace: str | None = None) -> dict[str, Any]:
    """Metadata of an object applied inside the workload cluster."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = {ADDON_LABEL: addon, "app.kubernetes.io/managed-by": "scs-kaas"}
    return meta
