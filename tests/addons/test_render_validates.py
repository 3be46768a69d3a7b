"""Every add-on switch, on and off, renders objects an API server would accept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from kubernetes_validate.utils import SchemaNotFoundError  # type: ignore[import-untyped]

from scs_kaas.render.addons import render_addons
from scs_kaas.settings.addons import AddonsSettings
from tests.addons.support import (
    CA,
    CRD_KINDS,
    context,
    crd_validate,
    workload_objects,
    write_yaml,
)

SWITCHES: dict[str, list[Any]] = {
    "cni": ["cilium", "calico"],
    "metrics_server": [True, False],
    "traefik": [True, False],
    "ingress_nginx": [True, False],
    "cert_manager": [True, False],
    "monitoring": [True, False],
    "nvidia_gpu_operator": [True, False],
    "metrics_server_insecure_tls": [True, False],
    "ingress_proxy_protocol": [True, False],
    "cilium_kube_proxy_replacement": [True, False],
}
EVERYTHING_ON = {
    "cert_manager": True,
    "cert_manager_letsencrypt_email": "ops@example.org",
    "monitoring": True,
    "nvidia_gpu_operator": True,
    "ingress_proxy_protocol": True,
    "cilium_kube_proxy_replacement": True,
    "custom_charts": [
        {
            "name": "podinfo",
            "repo": "https://stefanprodan.github.io/podinfo",
            "chart": "podinfo",
            "version": "6.9.2",
            "namespace": "podinfo",
            "values": {"replicaCount": 2},
        }
    ],
    "custom_manifests": [
        {
            "name": "team-ns",
            "yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n",
        }
    ],
}
EVERYTHING_OFF = {
    "cni": "calico",
    "metrics_server": False,
    "traefik": False,
    "ingress_nginx": False,
    "cert_manager": False,
    "monitoring": False,
    "nvidia_gpu_operator": False,
}


def variants() -> list[tuple[str, dict[str, Any]]]:
    named = [("defaults", {}), ("everything-on", EVERYTHING_ON), ("everything-off", EVERYTHING_OFF)]
    for switch, values in SWITCHES.items():
        named += [(f"{switch}={value}", {switch: value}) for value in values]
    return named


def rendered(settings: dict[str, Any], **context_changes: Any) -> list[dict[str, Any]]:
    ctx = context(gpu_node_groups=("gpu",), **context_changes)
    return render_addons(ctx, AddonsSettings.model_validate(settings))


def test_every_switch_passes_crd_validation(tmp_path: Path) -> None:
    files = [
        write_yaml(tmp_path / f"{index:02d}.yaml", rendered(settings))
        for index, (_, settings) in enumerate(variants())
    ]
    files.append(
        write_yaml(
            tmp_path / "ca-ipv6.yaml",
            rendered(EVERYTHING_ON, ca_bundle=CA, pod_cidrs=("10.244.0.0/16", "fd00:10:244::/56")),
        )
    )
    report = crd_validate(files)
    assert " 0 failed" in report
    # Every HelmChartProxy and ClusterResourceSet was checked, none skipped as unknown.
    assert (
        "HelmChartProxy/prod-cilium" in report and "ClusterResourceSet/prod-cloud-config" in report
    )


@pytest.mark.parametrize(("name", "settings"), variants(), ids=[n for n, _ in variants()])
def test_plain_manifests_pass_kubernetes_schemas(name: str, settings: dict[str, Any]) -> None:
    objects = rendered(settings, ca_bundle=CA)
    carriers = [o for o in objects if o["kind"] in ("ConfigMap", "Secret")]
    checked = 0
    for obj in carriers + workload_objects(objects):
        try:
            kubernetes_validate.validate(obj, "1.34.0", strict=True)
            checked += 1
        except SchemaNotFoundError:
            assert obj["kind"] in CRD_KINDS, f"{name}: no schema for {obj['kind']}"
    # At least the cloud-config carrier, its Secret, and the cinder StorageClass and carrier.
    assert checked >= 4
