"""What the add-on renderer needs to know about one workload cluster, resolved by the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from scs_kaas.errors import KaasError


class AddonRenderError(KaasError):
    """The add-on inputs cannot make a working cluster (bad cloud.conf, unreadable manifest)."""

    exit_code = 2


@dataclass(frozen=True)
class AddonContext:
    """Facts about one cluster; every rendered object goes into `namespace`.

    `cloud_conf` is secret (it holds the application credential): it only ever leaves the
    renderer base64-encoded inside a Secret, never in a ConfigMap, Helm values or a log line.
    """

    cluster_name: str
    namespace: str
    mtu: int
    pod_cidrs: tuple[str, ...]
    service_cidrs: tuple[str, ...]
    cloud_conf: str = field(repr=False)
    kubernetes_version: str
    ca_bundle: str | None = None
    gpu_node_groups: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Text of the custom manifest files named in the settings (`file:`), keyed by that name. The
    # caller reads them, so rendering stays free of I/O.
    manifest_files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
