"""Every add-on chart and URL the renderer pins, in one place. Checked 2026-12-01.

Bump a version here and every cluster renders it; a single cluster can override one with
`addons.overrides.<name>.version`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

CHECKED = "2026-12-01"


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart at one exact version in one repository."""

    repo: str
    chart: str
    version: str


# The CNIs and the cloud provider follow the cluster's Kubernetes minor: each minor gets a release
# whose upstream compatibility list names it (tests/addons/test_pins.py holds those lists).
CILIUM_REPO = "https://helm.cilium.io/"
# Cilium 1.19 is e2e tested on Kubernetes 1.32-1.35; 1.36 needs the 1.20 line.
CILIUM_BY_MINOR: Mapping[str, str] = MappingProxyType(
    {"1.32": "1.19.8", "1.33": "1.19.8", "1.34": "1.19.8", "1.35": "1.19.8", "1.36": "1.20.1"}
)
# Calico is installed through its operator; the chart version is the Calico release. Calico 3.31
# is tested on Kubernetes 1.32-1.34, 3.32 on 1.34-1.36.
CALICO_REPO = "https://docs.tigera.io/calico/charts"
CALICO_BY_MINOR: Mapping[str, str] = MappingProxyType(
    {"1.32": "v3.31.7", "1.33": "v3.31.7", "1.34": "v3.32.3", "1.35": "v3.32.3", "1.36": "v3.32.3"}
)

# cloud-provider-openstack releases one chart line per Kubernetes minor (2.Y for 1.Y) and supports
# that minor best, so the chart follows the cluster's Kubernetes version. The newest patch of
# each line in the chart repository's index (gh-pages index.yaml).
CLOUD_PROVIDER_OPENSTACK_REPO = "https://kubernetes.github.io/cloud-provider-openstack"
OPENSTACK_CCM_BY_MINOR: Mapping[str, str] = MappingProxyType(
    {"1.32": "2.32.0", "1.33": "2.33.1", "1.34": "2.34.2", "1.35": "2.35.0", "1.36": "2.36.0"}
)
CINDER_CSI_BY_MINOR: Mapping[str, str] = MappingProxyType(
    {"1.32": "2.32.2", "1.33": "2.33.1", "1.34": "2.34.3", "1.35": "2.35.0", "1.36": "2.36.0"}
)

# Volume snapshot CRDs and the snapshot-controller (kubernetes-csi/external-snapshotter v8.3),
# packaged as one chart; R1 shipped the CRDs without the controller, so snapshots never worked.
SNAPSHOT_CONTROLLER = ChartPin("https://piraeus.io/helm-charts/", "snapshot-controller", "4.1.0")
METRICS_SERVER = ChartPin(
    "https://kubernetes-sigs.github.io/metrics-server/", "metrics-server", "3.13.0"
)
KUBELET_CSR_APPROVER = ChartPin(
    "https://postfinance.github.io/kubelet-csr-approver", "kubelet-csr-approver", "1.2.11"
)
# Traefik (traefik/traefik-helm-chart, Traefik v3.7): the maintained default ingress controller.
TRAEFIK = ChartPin("https://traefik.github.io/charts", "traefik", "41.3.0")
# Retired upstream in March 2026: no more releases or fixes. Only as an explicit opt-in.
INGRESS_NGINX = ChartPin("https://kubernetes.github.io/ingress-nginx", "ingress-nginx", "4.13.3")
CERT_MANAGER = ChartPin("https://charts.jetstack.io", "cert-manager", "v1.19.1")
KUBE_PROMETHEUS_STACK = ChartPin(
    "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "79.7.1"
)
NVIDIA_GPU_OPERATOR = ChartPin("https://helm.ngc.nvidia.com/nvidia", "gpu-operator", "v25.10.0")

LETSENCRYPT_SERVERS: Mapping[str, str] = MappingProxyType(
    {
        "production": "https://acme-v02.api.letsencrypt.org/directory",
        "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    }
)


def chart_for_minor(
    repo: str, chart: str, by_minor: Mapping[str, str], kubernetes_version: str
) -> ChartPin:
    """The chart version pinned for the cluster's minor, else the one of the newest minor not
    newer than it (else the oldest): settings admit only the minors every table lists."""
    minor = _minor(kubernetes_version)
    known = sorted(by_minor, key=_minor)
    older = [m for m in known if _minor(m) <= minor]
    line = older[-1] if older else known[0]
    return ChartPin(repo, chart, by_minor[line])


def cloud_provider_openstack_chart(
    chart: str, by_minor: Mapping[str, str], kubernetes_version: str
) -> ChartPin:
    return chart_for_minor(CLOUD_PROVIDER_OPENSTACK_REPO, chart, by_minor, kubernetes_version)


def _minor(version: str) -> tuple[int, int]:
    parts = version.lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError) as error:
        raise ValueError(f"not a Kubernetes version: {version!r}") from error
