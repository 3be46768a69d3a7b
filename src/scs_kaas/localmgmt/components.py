"""The providers' install manifests, made by kustomize from their own `config/` folders, adapted
for controllers that run as local processes instead of Deployments.

kustomize adds what the raw `config/crd/bases` files lack (the contract labels CAPI resolves
references by, the conversion-webhook patches, clusterctl's move labels, the provider label).
What only a Deployment-based install has is replaced: webhook Services become URLs on
127.0.0.1 with our CA (cert-manager would inject it otherwise), and clusterctl's labels are
added as `clusterctl init` adds them, so `clusterctl move` recognises the providers.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scs_kaas.localmgmt.programs import BuildError, module_dir, pinned_version

CLUSTERCTL_LABEL = "clusterctl.cluster.x-k8s.io"
PROVIDER_LABEL = "cluster.x-k8s.io/provider"
# Kinds a local-process install has no use for: the controllers are no pods, and the serving
# certificates come from our own CA.
_DROPPED_KINDS = {"Deployment", "Service", "Certificate", "Issuer"}


@dataclass(frozen=True)
class Provider:
    """One controller's provider: where kustomize finds it and how clusterctl knows it."""

    name: str  # clusterctl's inventory name, e.g. "infrastructure-openstack"
    provider_name: str  # e.g. "openstack"
    provider_type: str | None  # CoreProvider, ..., or None for ORC (not a clusterctl provider)
    program_module: str  # wrapper module under programs/
    module: str  # upstream Go module
    config: str  # kustomize folder inside the module
    namespace: str
    binary: str

    def version(self) -> str:
        return pinned_version(self.program_module, self.module)


PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "cluster-api",
        "cluster-api",
        "CoreProvider",
        "cluster-api",
        "sigs.k8s.io/cluster-api",
        "core/config/default",
        "capi-system",
        "capi-manager",
    ),
    Provider(
        "bootstrap-kubeadm",
        "kubeadm",
        "BootstrapProvider",
        "cluster-api",
        "sigs.k8s.io/cluster-api",
        "bootstrap/kubeadm/config/default",
        "capi-kubeadm-bootstrap-system",
        "kubeadm-bootstrap-manager",
    ),
    Provider(
        "control-plane-kubeadm",
        "kubeadm",
        "ControlPlaneProvider",
        "cluster-api",
        "sigs.k8s.io/cluster-api",
        "controlplane/kubeadm/config/default",
        "capi-kubeadm-control-plane-system",
        "kubeadm-control-plane-manager",
    ),
    Provider(
        "infrastructure-openstack",
        "openstack",
        "InfrastructureProvider",
        "capo",
        "sigs.k8s.io/cluster-api-provider-openstack",
        "config/default",
        "capo-system",
        "capo-manager",
    ),
    # ORC's config/default pulls a remote base from GitHub; its CRDs are all it needs here
    # (it has no webhooks), and it is installed beside clusterctl, not by it.
    Provider(
        "orc",
        "orc",
        None,
        "orc",
        "github.com/k-orc/openstack-resource-controller/v2",
        "config/crd",
        "orc-system",
        "orc-manager",
    ),
    Provider(
        "addon-helm",
        "helm",
        "AddonProvider",
        "caaph",
        "sigs.k8s.io/cluster-api-addon-provider-helm",
        "config/default",
        "caaph-system",
        "caaph-manager",
    ),
)


def kustomize_build(kustomize: Path, provider: Provider) -> list[dict[str, Any]]:
    folder = module_dir(provider.program_module, provider.module) / provider.config
    done = subprocess.run(
        [str(kustomize), "build", str(folder)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BuildError(f"kustomize build {folder} failed: {done.stderr.strip()[-500:]}")
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def clusterctl_crd() -> dict[str, Any]:
    """The CRD of clusterctl's provider inventory, from the cluster-api module."""
    path = (
        module_dir("cluster-api", "sigs.k8s.io/cluster-api")
        / "cmd/clusterctl/config/manifest/clusterctl-api.yaml"
    )
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    _label(document, {CLUSTERCTL_LABEL: "", PROVIDER_LABEL: "clusterctl"})
    return dict(document)


def inventory_entry(provider: Provider) -> dict[str, Any] | None:
    """The `Provider` object `clusterctl init` would have written for `provider`."""
    if provider.provider_type is None:
        return None
    return {
        "apiVersion": "clusterctl.cluster.x-k8s.io/v1alpha3",
        "kind": "Provider",
        "metadata": {
            "name": provider.name,
            "namespace": provider.namespace,
            "labels": {CLUSTERCTL_LABEL: "", PROVIDER_LABEL: provider.name},
        },
        "providerName": provider.provider_name,
        "type": provider.provider_type,
        "version": provider.version(),
    }


@dataclass(frozen=True)
class LocalComponents:
    """A provider's objects, split by when they may be applied."""

    before_start: list[dict[str, Any]]  # namespace, CRDs, RBAC: the controller needs them
    webhooks: list[dict[str, Any]]  # applied once the controller serves them


def localize(
    documents: list[dict[str, Any]],
    provider: Provider,
    webhook_port: int,
    ca_pem: bytes,
) -> LocalComponents:
    """Point every webhook and conversion at 127.0.0.1:`webhook_port`, trusted through `ca_pem`."""
    before: list[dict[str, Any]] = []
    webhooks: list[dict[str, Any]] = []
    ca_bundle = base64.b64encode(ca_pem).decode()
    labels = {CLUSTERCTL_LABEL: "", PROVIDER_LABEL: provider.name}
    for document in documents:
        kind = document.get("kind")
        if kind in _DROPPED_KINDS:
            continue
        _label(document, labels)
        annotations = document["metadata"].get("annotations") or {}
        annotations.pop("cert-manager.io/inject-ca-from", None)
        if not annotations:
            document["metadata"].pop("annotations", None)
        if kind in {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}:
            for webhook in document.get("webhooks") or []:
                webhook["clientConfig"] = _local_client(webhook["clientConfig"], webhook_port)
                webhook["clientConfig"]["caBundle"] = ca_bundle
            webhooks.append(document)
            continue
        if kind == "CustomResourceDefinition":
            conversion = (document.get("spec") or {}).get("conversion") or {}
            hook = conversion.get("webhook") or {}
            if conversion.get("strategy") == "Webhook" and "clientConfig" in hook:
                hook["clientConfig"] = _local_client(hook["clientConfig"], webhook_port)
                hook["clientConfig"]["caBundle"] = ca_bundle
        before.append(document)
    return LocalComponents(before, webhooks)


def _local_client(client: Mapping[str, Any], port: int) -> dict[str, Any]:
    service = client.get("service") or {}
    path = service.get("path") or "/"
    return {"url": f"https://127.0.0.1:{port}{path}"}


def _label(document: dict[str, Any], labels: Mapping[str, str]) -> None:
    metadata = document.setdefault("metadata", {})
    metadata["labels"] = {**(metadata.get("labels") or {}), **labels}


def webhook_names(components: LocalComponents) -> Iterator[str]:
    for document in components.webhooks:
        for webhook in document.get("webhooks") or []:
            yield str(webhook["name"])
