"""Which API versions a management cluster serves of the kinds scs-kaas writes there (read only).

Asked through API discovery, the same view `KubeClient.resource` (and so every apply) uses, which
needs no permission to read CustomResourceDefinitions. The answer is plain data; choosing what to
render from it is `render.capo_versions.choose_management_facts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.failures import translated

INFRA_GROUP = "infrastructure.cluster.x-k8s.io"
CLUSTER_GROUP = "cluster.x-k8s.io"
ADDONS_GROUP = "addons.cluster.x-k8s.io"


@dataclass(frozen=True)
class ServedApis:
    """The versions served of each kind, newest first; () when the kind is not installed."""

    server: str
    openstack_cluster: tuple[str, ...]  # openstackclusters.infrastructure.cluster.x-k8s.io (CAPO)
    openstack_machine_template: tuple[str, ...]  # openstackmachinetemplates (CAPO)
    cluster: tuple[str, ...]  # clusters.cluster.x-k8s.io (CAPI)
    helm_chart_proxy: tuple[str, ...]  # helmchartproxies.addons.cluster.x-k8s.io (CAAPH)


def _newest_first(versions: set[str]) -> tuple[str, ...]:
    """v2 > v1 > v1beta2 > v1beta1 > v1alpha1, as Kubernetes orders versions."""

    def key(version: str) -> tuple[int, int, int]:
        base, _, rest = version[1:].partition("beta")
        stage = 1
        if not rest:
            base, _, rest = version[1:].partition("alpha")
            stage = 0 if rest else 2
        try:
            return (stage, int(base), int(rest or 0))
        except ValueError:
            return (-1, 0, 0)

    return tuple(sorted(versions, key=key, reverse=True))


def served_versions(kube: KubeClient, group: str, kind: str) -> tuple[str, ...]:
    """The versions of `group` that serve `kind`, newest first (from discovery)."""
    with translated(f"API discovery of {kind} ({group}) at {kube.server}"):
        found = kube._dynamic.resources.search(group=group, kind=kind)
    return _newest_first({str(r.api_version) for r in found if r.kind == kind and r.group == group})


def served_apis(kube: KubeClient) -> ServedApis:
    """What the management cluster serves of CAPO, CAPI and CAAPH; changes nothing."""
    return ServedApis(
        server=kube.server,
        openstack_cluster=served_versions(kube, INFRA_GROUP, "OpenStackCluster"),
        openstack_machine_template=served_versions(kube, INFRA_GROUP, "OpenStackMachineTemplate"),
        cluster=served_versions(kube, CLUSTER_GROUP, "Cluster"),
        helm_chart_proxy=served_versions(kube, ADDONS_GROUP, "HelmChartProxy"),
    )
