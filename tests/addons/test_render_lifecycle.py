"""Turning add-ons off drops exactly their objects; renders are deterministic; overrides apply."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
import yaml

from scs_kaas.render.addons import ADDON_LABEL as ADDON
from scs_kaas.render.addons import AddonRenderError, render_addons
from scs_kaas.settings.addons import AddonsSettings
from tests.addons.support import (
    by_kind,
    chart_proxy,
    chart_values,
    context,
    keys,
    of_addon,
    workload_objects,
)

ALL_ON = AddonsSettings(
    cert_manager=True,
    cert_manager_letsencrypt_email="ops@example.org",
    monitoring=True,
    nvidia_gpu_operator=True,
)
# Switch off -> the add-ons whose objects must disappear (metrics-server takes its CSR approver).
TURNED_OFF = {
    "metrics_server": {"metrics-server", "kubelet-csr-approver"},
    "traefik": {"traefik"},
    "cert_manager": {"cert-manager"},
    "monitoring": {"monitoring"},
    "nvidia_gpu_operator": {"nvidia-gpu-operator"},
}
# ... and those whose content follows the switch: the Let's Encrypt issuer names the ingress
# controller's class.
ADAPTED = {"ingress_nginx": {"cert-manager"}, "traefik": {"cert-manager"}}


def _render(settings: AddonsSettings) -> list[dict[str, Any]]:
    return render_addons(context(gpu_node_groups=("gpu",)), settings)


@pytest.mark.parametrize("switch", sorted(TURNED_OFF))
def test_turning_an_addon_off_drops_exactly_its_objects(switch: str) -> None:
    before = _render(ALL_ON)
    after = _render(ALL_ON.model_copy(update={switch: False}))
    dropped = [o for addon in TURNED_OFF[switch] for o in of_addon(before, addon)]
    assert dropped, f"{switch} rendered nothing while on"
    assert keys(before) - keys(after) == keys(dropped)
    assert keys(after) <= keys(before)
    adapted = ADAPTED.get(switch, set())
    changed = [o for addon in adapted for o in of_addon(after, addon)]
    assert keys(changed) == keys([o for addon in adapted for o in of_addon(before, addon)])
    # Everything else is unchanged, object for object.
    assert [
        o for o in before if o not in dropped and o["metadata"]["labels"][ADDON] not in adapted
    ] == [o for o in after if o not in changed]


def test_switching_the_cni_replaces_exactly_the_cni() -> None:
    cilium = _render(ALL_ON)
    calico = _render(ALL_ON.model_copy(update={"cni": "calico"}))
    assert keys(cilium) - keys(calico) == {("HelmChartProxy", "prod-cilium")}
    assert keys(calico) - keys(cilium) == {("HelmChartProxy", "prod-calico")}


def test_dropping_the_issuer_email_drops_only_its_resource_set() -> None:
    before = _render(ALL_ON)
    after = _render(ALL_ON.model_copy(update={"cert_manager_letsencrypt_email": None}))
    assert keys(before) - keys(after) == {
        ("ConfigMap", "prod-cert-manager-manifests"),
        ("ClusterResourceSet", "prod-cert-manager"),
    }


def test_rendering_twice_is_identical() -> None:
    settings = ALL_ON.model_copy(
        update={"overrides": AddonsSettings.model_validate({"overrides": {"cilium": {}}}).overrides}
    )
    first = yaml.safe_dump_all(_render(settings))
    assert yaml.safe_dump_all(_render(settings)) == first
    # The order of the caller's labels does not matter either.
    labels = dict(reversed(list(context().labels.items())))
    shuffled = render_addons(
        context(gpu_node_groups=("gpu",), labels=MappingProxyType(labels)), settings
    )
    assert yaml.safe_dump_all(shuffled) == first


def test_the_catalog_order_is_the_render_order() -> None:
    names = [o["metadata"]["labels"]["kaas.scs.community/addon"] for o in _render(ALL_ON)]
    first_seen = list(dict.fromkeys(names))
    assert first_seen[:4] == ["cloud-config", "cilium", "openstack-ccm", "snapshot-controller"]


def test_version_override_replaces_the_pin_and_values_merge_deeply() -> None:
    settings = AddonsSettings.model_validate(
        {
            "overrides": {
                "cilium": {
                    "version": "1.18.9",
                    "values": {"hubble": {"enabled": True}, "ipam": {"mode": "kubernetes"}},
                },
                "metrics_server": {"values": {"podDisruptionBudget": {"enabled": False}}},
            }
        }
    )
    objects = _render(settings)
    assert chart_proxy(objects, "cilium")["spec"]["version"] == "1.18.9"
    cilium = chart_values(objects, "cilium")
    assert cilium["hubble"] == {"enabled": True}
    assert cilium["ipam"]["mode"] == "kubernetes"
    assert cilium["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"] == ["192.168.0.0/16"]
    assert cilium["MTU"] == 1400
    pdb = chart_values(objects, "metrics-server")["podDisruptionBudget"]
    assert pdb == {"enabled": False, "maxUnavailable": 1}


def test_go_template_braces_in_user_values_reach_the_chart_unchanged() -> None:
    alert = "{{ $labels.instance }} is down"
    settings = AddonsSettings.model_validate(
        {"monitoring": True, "overrides": {"monitoring": {"values": {"note": alert}}}}
    )
    template = chart_proxy(_render(settings), "monitoring")["spec"]["valuesTemplate"]
    assert alert not in template  # escaped, or CAAPH would evaluate it
    # What Go's text/template makes of it: each {{ "{{" }} becomes a literal {{.
    assert "{{" not in template.replace('{{ "{{" }}', "")
    assert yaml.safe_load(template.replace('{{ "{{" }}', "{{"))["note"] == alert


def test_custom_chart_and_manifests_render_like_builtins() -> None:
    secret_doc = "apiVersion: v1\nkind: Secret\nmetadata: {name: token, namespace: default}\n"
    settings = AddonsSettings.model_validate(
        {
            "custom_charts": [
                {
                    "name": "podinfo",
                    "repo": "oci://ghcr.io/stefanprodan/charts",
                    "chart": "podinfo",
                    "version": "6.9.2",
                    "namespace": "apps",
                    "values": {"replicaCount": 2},
                }
            ],
            "custom_manifests": [
                {"name": "rbac", "file": "rbac.yaml"},
                {"name": "token", "yaml": secret_doc},
            ],
        }
    )
    rbac = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: oidc-admins}\nroleRef: {apiGroup: rbac.authorization.k8s.io, "
        "kind: ClusterRole, name: cluster-admin}\n"
        "subjects: [{kind: Group, name: admins, apiGroup: rbac.authorization.k8s.io}]\n"
    )
    ctx = context(manifest_files=MappingProxyType({"rbac.yaml": rbac}))
    objects = render_addons(ctx, settings)
    proxy = chart_proxy(objects, "custom-podinfo")
    assert proxy["metadata"]["name"] == "prod-custom-podinfo"
    assert proxy["spec"]["repoURL"] == "oci://ghcr.io/stefanprodan/charts"
    assert proxy["spec"]["namespace"] == "apps"
    assert yaml.safe_load(proxy["spec"]["valuesTemplate"]) == {"replicaCount": 2}
    assert keys(of_addon(objects, "custom-rbac")) == {
        ("ConfigMap", "prod-custom-rbac-manifests"),
        ("ClusterResourceSet", "prod-custom-rbac"),
    }
    inner = workload_objects(of_addon(objects, "custom-rbac"))
    assert [o["metadata"]["name"] for o in inner] == ["oidc-admins"]
    # A manifest holding a Secret travels in a resource-set Secret, not a ConfigMap.
    assert by_kind(of_addon(objects, "custom-token"), "ConfigMap") == []
    (carrier,) = by_kind(of_addon(objects, "custom-token"), "Secret")
    assert carrier["type"] == "addons.cluster.x-k8s.io/resource-set"


def test_custom_manifest_file_not_read_by_the_caller_is_an_error() -> None:
    settings = AddonsSettings.model_validate(
        {"custom_manifests": [{"name": "quota", "file": "quota.yaml"}]}
    )
    assert settings.files_to_read() == ("quota.yaml",)
    with pytest.raises(AddonRenderError, match=r"did not read file 'quota\.yaml'"):
        render_addons(context(), settings)
    broken = context(manifest_files=MappingProxyType({"quota.yaml": "kind: [unclosed"}))
    with pytest.raises(AddonRenderError, match="not valid YAML"):
        render_addons(broken, settings)


def test_manifests_too_big_for_one_config_map_are_refused() -> None:
    big = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {blob: " + "x" * 1_100_000
    settings = AddonsSettings.model_validate(
        {"custom_manifests": [{"name": "big", "yaml": big + "}\n"}]}
    )
    with pytest.raises(AddonRenderError, match="do not fit"):
        render_addons(context(), settings)
