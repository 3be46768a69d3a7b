"""Every pinned version the tool relies on, in one place.

Checked 2026-11-24 against the upstream release pages known to the project. Add-on chart pins live
in `scs_kaas.render.addons.pins`; everything else is here.
"""

from __future__ import annotations

from types import MappingProxyType

# The newest patch release the project has validated for each supported Kubernetes minor. A user
# who writes `1.33` gets the patch listed here; a user who writes `v1.33.7` gets exactly that.
KUBERNETES_PATCH_RELEASES = MappingProxyType(
    {
        "1.32": "v1.32.9",
        "1.33": "v1.33.5",
        "1.34": "v1.34.1",
        "1.35": "v1.35.0",
        "1.36": "v1.36.0",
    }
)
DEFAULT_KUBERNETES_VERSION = "v1.34.1"

# Cluster API and its providers, installed by clusterctl on the management cluster.
CLUSTER_API = "v1.14.4"
CAPO = "v0.15.1"
ORC = "v2.6.0"
CAAPH = "v0.6.4"

# Tools on the management host (`render.cloud_init`), checked 2026-11-24 against the upstream
# release notes. kind v0.33.0 runs Kubernetes v1.37.0 by default, inside the management-cluster
# range of Cluster API v1.14 (v1.33-v1.37); kubectl is one minor behind so it also talks to the
# workload clusters (v1.32-v1.36) within its supported skew where it matters most.
KIND = "v0.33.0"
KUBECTL = "v1.36.0"
HELM = "v4.3.0"
K9S = "v0.51.0"
CILIUM_CLI = "v0.19.6"
# The conformance runner: hydrophone (SIG Testing) runs the release team's conformance image of
# the cluster's own Kubernetes version; sonobuoy, which R1 used, is no longer maintained.
HYDROPHONE = "v0.7.0"
