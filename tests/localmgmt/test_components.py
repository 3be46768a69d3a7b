"""The providers' kustomize output, adapted for controllers running as local processes."""

from __future__ import annotations

import base64
from typing import Any

from scs_kaas.localmgmt import components
from scs_kaas.localmgmt.components import PROVIDERS, localize

CAPO = next(p for p in PROVIDERS if p.name == "infrastructure-openstack")
VALIDATE = "/validate-infrastructure-cluster-x-k8s-io-v1beta1-openstackcluster"
CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _kustomized() -> list[dict[str, Any]]:
    """The shape kustomize gives CAPO's config/default (abridged, values as upstream's)."""
    service = {"name": "capo-webhook-service", "namespace": "capo-system"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "capo-system"}},
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {
                "name": "openstackclusters.infrastructure.cluster.x-k8s.io",
                "annotations": {"cert-manager.io/inject-ca-from": "capo-system/capo-serving-cert"},
                "labels": {"cluster.x-k8s.io/v1beta1": "v1beta1"},
            },
            "spec": {
                "conversion": {
                    "strategy": "Webhook",
                    "webhook": {
                        "clientConfig": {"service": {**service, "path": "/convert"}},
                        "conversionReviewVersions": ["v1", "v1beta1"],
                    },
                }
            },
        },
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "capo-controller"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "capo-webhook-service"}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c"}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "i"}},
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {
                "name": "capo-validating-webhook-configuration",
                "annotations": {"cert-manager.io/inject-ca-from": "capo-system/capo-serving-cert"},
            },
            "webhooks": [
                {
                    "name": "validation.openstackcluster.infrastructure.cluster.x-k8s.io",
                    "clientConfig": {"service": {**service, "path": VALIDATE}},
                }
            ],
        },
    ]


def test_deployments_services_and_cert_manager_objects_are_dropped() -> None:
    local = localize(_kustomized(), CAPO, 26010, CA)
    kinds = [d["kind"] for d in local.before_start + local.webhooks]
    assert kinds == ["Namespace", "CustomResourceDefinition", "ValidatingWebhookConfiguration"]


def test_webhooks_and_conversions_point_at_loopback_with_our_ca() -> None:
    local = localize(_kustomized(), CAPO, 26010, CA)
    (config,) = local.webhooks
    bundle = base64.b64encode(CA).decode()
    assert config["webhooks"][0]["clientConfig"] == {
        "url": f"https://127.0.0.1:26010{VALIDATE}",
        "caBundle": bundle,
    }
    crd = local.before_start[1]
    assert crd["spec"]["conversion"]["webhook"]["clientConfig"] == {
        "url": "https://127.0.0.1:26010/convert",
        "caBundle": bundle,
    }
    assert "annotations" not in crd["metadata"]  # nothing left for cert-manager to inject


def test_every_object_carries_clusterctls_labels_and_keeps_the_contract_label() -> None:
    local = localize(_kustomized(), CAPO, 26010, CA)
    for document in local.before_start + local.webhooks:
        labels = document["metadata"]["labels"]
        assert labels[components.CLUSTERCTL_LABEL] == ""
        assert labels[components.PROVIDER_LABEL] == "infrastructure-openstack"
    assert local.before_start[1]["metadata"]["labels"]["cluster.x-k8s.io/v1beta1"] == "v1beta1"


def test_inventory_entries_are_what_clusterctl_init_writes() -> None:
    entries = {p.name: components.inventory_entry(p) for p in PROVIDERS}
    assert entries["orc"] is None  # installed beside clusterctl, not by it
    capo = entries["infrastructure-openstack"]
    assert capo is not None
    assert capo["providerName"] == "openstack"
    assert capo["type"] == "InfrastructureProvider"
    assert capo["metadata"]["namespace"] == "capo-system"
    assert capo["version"] == "v0.14.7"
    types = sorted(str(e["type"]) for e in entries.values() if e)
    assert types == [
        "AddonProvider",
        "BootstrapProvider",
        "ControlPlaneProvider",
        "CoreProvider",
        "InfrastructureProvider",
    ]
