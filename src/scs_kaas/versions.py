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
        # newer patches of 1.32 and 1.33 exist but could not be confirmed here (2026-12-01);
        # 1.34.10, 1.35.3 and 1.36.3 are the newest the Go module proxy serves (k8s.io/api)
        "1.34": "v1.34.10",
        "1.35": "v1.35.3",
        "1.36": "v1.36.3",
    }
)
DEFAULT_KUBERNETES_VERSION = KUBERNETES_PATCH_RELEASES["1.34"]

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
# The conformance runner of `kaas check conformance`, installed on the management host and built
# from its Go module for the tests (localmgmt/programs/hydrophone). hydrophone (SIG Testing) runs
# the release team's conformance image of the cluster's own Kubernetes version as one pod and
# copies out e2e.log and junit_01.xml. Over sonobuoy, which R1 used: sonobuoy is archived, its
# aggregator and plugin layer add a second image and a tarball format to parse, and its Go module
# is not served where this project builds its programs, while sigs.k8s.io/hydrophone v0.8.0 is.
HYDROPHONE = "v0.8.0"
# Only the tests run kwok ("Kubernetes WithOut Kubelet", a Kubernetes SIG project): it plays the
# kubelets of fake nodes, so that the smoke check's pod becomes Ready on a workload API server
# without a container runtime (localmgmt/programs/kwok; the newest release the Go module proxy
# serves, checked 2026-12-02). kube-scheduler comes from k8s.io/kubernetes as pinned below.
KWOK = "v0.8.0"

# The smoke check's web app (`kaas check smoke`): agnhost, the e2e suite's own test image
# (Kubernetes v1.36's e2e uses 2.63.0), pulled from registry.k8s.io by the workload cluster.
AGNHOST_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.63.0"

# The local management cluster (`localmgmt`, `kaas devcloud`, the tests) builds these from their
# Go modules; each is pinned in src/scs_kaas/localmgmt/programs/<folder>/go.mod. Checked
# 2026-12-01 against the Go module proxy this project can reach: where the pin above is not
# served there, the nearest served release is used and named here.
LOCAL_MANAGEMENT = MappingProxyType(
    {
        # k8s.io/kubernetes: inside Cluster API v1.14's management-cluster range (1.33-1.36)
        "k8s.io/kubernetes": "v1.36.3",
        "go.etcd.io/etcd/server/v3": "v3.6.16",
        # v1.14.4 and v1.14.3's sources are not served; v1.14.2 is
        "sigs.k8s.io/cluster-api": "v1.14.2",
        # v0.15.x is not served at all; v0.14.7 serves only infrastructure v1beta1
        "sigs.k8s.io/cluster-api-provider-openstack": "v0.14.7",
        "github.com/k-orc/openstack-resource-controller/v2": ORC,
        "sigs.k8s.io/cluster-api-addon-provider-helm": CAAPH,
        "sigs.k8s.io/kustomize/kustomize/v5": "v5.8.2",
    }
)
