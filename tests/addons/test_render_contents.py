"""What each add-on carries into the workload cluster."""

from __future__ import annotations

import base64
import configparser
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scs_kaas.render.addons import AddonRenderError, render_addons
from scs_kaas.render.addons.cloud_config import CA_FILE
from scs_kaas.render.addons.context import ClusterNetworking
from scs_kaas.settings.addons import AddonsSettings
from tests.addons.support import (
    CA,
    CLOUD_CONF,
    by_kind,
    chart_proxy,
    chart_values,
    context,
    keys,
    of_addon,
    workload_objects,
)

DEFAULTS = AddonsSettings()


def test_every_object_goes_to_the_cluster_namespace_with_the_common_labels() -> None:
    for obj in render_addons(context(), AddonsSettings(cert_manager=True, monitoring=True)):
        meta = obj["metadata"]
        assert meta["namespace"] == "team-a"
        assert meta["labels"]["cluster.x-k8s.io/cluster-name"] == "prod"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "scs-kaas"
        assert meta["name"].startswith("prod-")


def test_chart_proxies_select_exactly_their_cluster() -> None:
    for proxy in by_kind(render_addons(context(), DEFAULTS), "HelmChartProxy"):
        addon = proxy["metadata"]["labels"]["kaas.scs.community/addon"]
        assert proxy["metadata"]["name"] == f"prod-{addon}"
        assert proxy["spec"]["clusterSelector"] == {
            "matchLabels": {"cluster.x-k8s.io/cluster-name": "prod"}
        }


def test_ccm_and_csi_carry_the_cluster_name() -> None:
    objects = render_addons(context(cluster_name="blue"), DEFAULTS)
    ccm = chart_values(objects, "openstack-ccm")
    assert ccm["cluster"]["name"] == "blue"
    assert ccm["secret"] == {"enabled": True, "create": False, "name": "cloud-config"}
    csi = chart_values(objects, "cinder-csi")
    assert csi["clusterID"] == "blue"
    assert csi["secret"]["create"] is False and csi["secret"]["name"] == "cloud-config"


def test_cloud_conf_reaches_kube_system_with_the_load_balancer_options() -> None:
    objects = render_addons(context(ca_bundle=CA), DEFAULTS)
    (secret,) = [o for o in workload_objects(objects) if o["kind"] == "Secret"]
    assert (secret["metadata"]["namespace"], secret["metadata"]["name"]) == (
        "kube-system",
        "cloud-config",
    )

    conf = base64.b64decode(secret["data"]["cloud.conf"]).decode()
    for line in ('tenant-id="project-42"', "manage-security-groups=true", "create-monitor=true"):
        assert line in conf
    assert f"ca-file={CA_FILE}" in conf
    # options no OpenStack CCM reads (pkg/openstack/openstack.go LoadBalancerOpts)
    assert "use-octavia" not in conf and "interface" not in conf
    assert base64.b64decode(secret["data"]["ca.crt"]).decode() == CA
    # The carrier in the management cluster is a resource-set Secret, not a ConfigMap.
    (carrier,) = of_addon(by_kind(objects, "Secret"), "cloud-config")
    assert carrier["type"] == "addons.cluster.x-k8s.io/resource-set"
    (resource_set,) = of_addon(by_kind(objects, "ClusterResourceSet"), "cloud-config")
    assert resource_set["spec"]["resources"] == [
        {"kind": "Secret", "name": carrier["metadata"]["name"]}
    ]
    # CAPO's identity Secret of the same cluster is `<cluster>-cloud-config`: never overwrite it.
    assert carrier["metadata"]["name"] != "prod-cloud-config"


def _cloud_conf(objects: list[dict[str, Any]]) -> configparser.ConfigParser:
    (secret,) = [o for o in workload_objects(objects) if o["kind"] == "Secret"]
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(base64.b64decode(secret["data"]["cloud.conf"]).decode())
    return parser


def test_cloud_conf_names_the_cluster_network_and_the_resolved_external_network() -> None:
    networking = ClusterNetworking(
        internal_network="k8s-clusterapi-cluster-team-a-prod",
        floating_network_id="0f9e6c4a-1111-2222-3333-444455556666",
    )
    conf = _cloud_conf(render_addons(context(networking=networking), DEFAULTS))
    assert conf["Networking"]["internal-network-name"] == "k8s-clusterapi-cluster-team-a-prod"
    assert conf["LoadBalancer"]["floating-network-id"] == "0f9e6c4a-1111-2222-3333-444455556666"
    assert "lb-provider" not in conf["LoadBalancer"]  # the cloud's default provider
    assert not _cloud_conf(render_addons(context(), DEFAULTS)).has_section("Networking")


def test_cloud_conf_with_the_ovn_provider_uses_its_only_balancing_method() -> None:
    ovn = _cloud_conf(
        render_addons(context(networking=ClusterNetworking(load_balancer_provider="ovn")), DEFAULTS)
    )
    assert (
        dict(ovn["LoadBalancer"]).items()
        >= {"lb-provider": "ovn", "lb-method": "SOURCE_IP_PORT"}.items()
    )
    amphora = ClusterNetworking(load_balancer_provider="amphora")
    conf = _cloud_conf(render_addons(context(networking=amphora), DEFAULTS))
    assert conf["LoadBalancer"]["lb-provider"] == "amphora"
    assert "lb-method" not in conf["LoadBalancer"]


def test_the_callers_cloud_conf_wins_over_the_network_options() -> None:
    own = CLOUD_CONF + "\n[Networking]\ninternal-network-name=mine\n"
    networking = ClusterNetworking(internal_network="k8s-clusterapi-cluster-team-a-prod")
    conf = _cloud_conf(render_addons(context(cloud_conf=own, networking=networking), DEFAULTS))
    assert conf["Networking"]["internal-network-name"] == "mine"


def test_cloud_conf_without_tenant_id_is_refused() -> None:
    with pytest.raises(AddonRenderError, match="tenant-id"):
        render_addons(context(cloud_conf="[Global]\nauth-url=x\n"), DEFAULTS)


def test_cilium_carries_mtu_and_pod_cidr() -> None:
    objects = render_addons(context(mtu=1350, pod_cidrs=("10.244.0.0/16",)), DEFAULTS)
    values = chart_values(objects, "cilium")
    assert values["MTU"] == 1350
    assert values["ipam"]["mode"] == "cluster-pool"
    assert values["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"] == ["10.244.0.0/16"]
    assert values["kubeProxyReplacement"] is False
    assert "k8sServiceHost" not in values


def test_cilium_kube_proxy_replacement_points_at_the_control_plane_endpoint() -> None:
    settings = AddonsSettings(cilium_kube_proxy_replacement=True)
    template = chart_proxy(render_addons(context(), settings), "cilium")["spec"]["valuesTemplate"]
    assert "kubeProxyReplacement: true" in template
    assert "k8sServiceHost: {{ .Cluster.spec.controlPlaneEndpoint.host }}" in template
    assert "k8sServicePort: {{ .Cluster.spec.controlPlaneEndpoint.port }}" in template


def test_calico_carries_mtu_and_pod_cidr() -> None:
    ctx = context(mtu=1392, pod_cidrs=("172.20.0.0/16",))
    objects = render_addons(ctx, AddonsSettings(cni="calico"))
    network = chart_values(objects, "calico")["installation"]["calicoNetwork"]
    assert network["mtu"] == 1342  # the pods' MTU: 50 bytes of VXLAN less than the network's
    assert [p["cidr"] for p in network["ipPools"]] == ["172.20.0.0/16"]
    assert not of_addon(objects, "cilium")


@settings(max_examples=25, deadline=None)  # renders are slow on a loaded machine
@given(st.integers(min_value=1280, max_value=9000))
def test_each_cni_derives_its_mtu_from_the_network_mtu(network_mtu: int) -> None:
    """`network.mtu` is the node network's: Cilium takes it as the underlay MTU and subtracts
    its tunnel overhead itself; Calico's operator wants the pods' MTU, 50 bytes less for VXLAN
    over IPv4, so an encapsulated full-size pod packet fits the network exactly."""
    ctx = context(mtu=network_mtu)
    assert chart_values(render_addons(ctx, DEFAULTS), "cilium")["MTU"] == network_mtu
    calico = chart_values(render_addons(ctx, AddonsSettings(cni="calico")), "calico")
    pod = calico["installation"]["calicoNetwork"]["mtu"]
    assert pod + 20 + 8 + 8 + 14 == network_mtu  # outer IPv4, UDP, VXLAN, inner Ethernet


def test_dual_stack_pod_cidrs_reach_both_cnis() -> None:
    ctx = context(pod_cidrs=("10.244.0.0/16", "fd00:10:244::/56"))
    cilium = chart_values(render_addons(ctx, DEFAULTS), "cilium")
    assert cilium["ipv6"]["enabled"] is True
    assert cilium["ipam"]["operator"]["clusterPoolIPv6PodCIDRList"] == ["fd00:10:244::/56"]
    calico = chart_values(render_addons(ctx, AddonsSettings(cni="calico")), "calico")
    pools = calico["installation"]["calicoNetwork"]["ipPools"]
    assert [p["cidr"] for p in pools] == ["10.244.0.0/16", "fd00:10:244::/56"]


def test_bad_pod_cidr_is_refused() -> None:
    with pytest.raises(AddonRenderError, match="pod CIDR"):
        render_addons(context(pod_cidrs=("10.0.0.0/33",)), DEFAULTS)


def test_snapshot_controller_storage_class_and_snapshot_class_are_shipped() -> None:
    objects = render_addons(context(), DEFAULTS)
    assert chart_proxy(objects, "snapshot-controller")["spec"]["chartName"] == "snapshot-controller"
    inner = {(o["kind"], o["metadata"]["name"]): o for o in workload_objects(objects)}
    storage_class = inner[("StorageClass", "cinder-default")]
    assert storage_class["provisioner"] == "cinder.csi.openstack.org"
    annotations = storage_class["metadata"]["annotations"]
    assert annotations["storageclass.kubernetes.io/is-default-class"] == "true"
    snapshot_class = inner[("VolumeSnapshotClass", "cinder-snapshot")]
    assert snapshot_class["apiVersion"] == "snapshot.storage.k8s.io/v1"
    assert snapshot_class["driver"] == "cinder.csi.openstack.org"
    assert snapshot_class["deletionPolicy"] in ("Delete", "Retain")
    # The chart's own classes would compete for the default.
    assert chart_values(objects, "cinder-csi")["storageClass"] == {"enabled": False}


def test_cloud_provider_charts_follow_the_kubernetes_minor() -> None:
    def versions(kubernetes: str) -> tuple[str, str]:
        objects = render_addons(context(kubernetes_version=kubernetes), DEFAULTS)
        return (
            chart_proxy(objects, "openstack-ccm")["spec"]["version"],
            chart_proxy(objects, "cinder-csi")["spec"]["version"],
        )

    assert versions("v1.33.5") == ("2.33.1", "2.33.1")
    assert versions("v1.34.10") == ("2.34.2", "2.34.3")
    assert versions("v1.36.3") == ("2.36.0", "2.36.0")
    assert versions("v1.37.0") == ("2.36.0", "2.36.0")  # no newer line: the newest older one
    assert versions("v1.30.0") == ("2.32.0", "2.32.2")  # older than every line: the oldest


def test_metrics_server_verifies_kubelets_unless_asked_not_to() -> None:
    objects = render_addons(context(), DEFAULTS)
    assert "--kubelet-insecure-tls" not in str(objects)
    assert of_addon(objects, "kubelet-csr-approver")
    insecure = render_addons(context(), AddonsSettings(metrics_server_insecure_tls=True))
    assert chart_values(insecure, "metrics-server")["args"] == ["--kubelet-insecure-tls"]
    assert not of_addon(insecure, "kubelet-csr-approver")


def test_csr_approver_signs_only_this_clusters_node_names_and_addresses() -> None:
    scoped = context(
        node_name_prefixes=("prod-control-plane", "prod-md-0"),
        node_address_cidrs=("10.8.0.0/20",),
    )
    values = chart_values(render_addons(scoped, DEFAULTS), "kubelet-csr-approver")
    assert values["providerIpPrefixes"] == ["10.8.0.0/20"]
    regex = re.compile(values["providerRegex"])  # RE2 and Python agree on this subset
    for name in ("prod-control-plane-x7k2q", "prod-md-0-5d8f9c-abcde"):
        assert regex.fullmatch(name), name
    for name in ("other-md-0-abcde", "prod-md-1-abcde", "prod-control-plane", "evil.example.com"):
        assert not regex.fullmatch(name), name
    # without them the approver would accept any name and any IP: refuse to render that
    with pytest.raises(AddonRenderError, match="kubelet-csr-approver"):
        render_addons(context(node_name_prefixes=()), DEFAULTS)
    with pytest.raises(AddonRenderError, match="kubelet-csr-approver"):
        render_addons(context(node_address_cidrs=()), DEFAULTS)


def test_ingress_nginx_has_a_health_monitored_load_balancer() -> None:
    chosen = AddonsSettings(ingress_nginx=True)  # retired upstream: an explicit opt-in only
    controller = chart_values(render_addons(context(), chosen), "ingress-nginx")["controller"]
    service = controller["service"]
    assert service["type"] == "LoadBalancer"
    assert service["annotations"] == {"loadbalancer.openstack.org/enable-health-monitor": "true"}
    assert "config" not in controller


def test_ingress_nginx_proxy_protocol_configures_both_ends() -> None:
    settings = AddonsSettings(ingress_nginx=True, ingress_proxy_protocol=True)
    controller = chart_values(render_addons(context(), settings), "ingress-nginx")["controller"]
    assert (
        controller["service"]["annotations"]["loadbalancer.openstack.org/proxy-protocol"] == "true"
    )
    assert controller["config"]["use-proxy-protocol"] == "true"


def test_cert_manager_issuer_only_with_an_email() -> None:
    plain = render_addons(context(), AddonsSettings(cert_manager=True))
    assert keys(of_addon(plain, "cert-manager")) == {("HelmChartProxy", "prod-cert-manager")}
    settings = AddonsSettings(
        cert_manager=True,
        cert_manager_letsencrypt_email="ops@example.org",
        cert_manager_letsencrypt_server="staging",
    )
    objects = render_addons(context(), settings)
    (issuer,) = [o for o in workload_objects(objects) if o["kind"] == "ClusterIssuer"]
    assert issuer["apiVersion"] == "cert-manager.io/v1"
    assert issuer["spec"]["acme"]["email"] == "ops@example.org"
    assert "acme-staging-v02" in issuer["spec"]["acme"]["server"]
    assert issuer["spec"]["acme"]["privateKeySecretRef"]["name"]
    assert issuer["spec"]["acme"]["solvers"] == [  # the default controller's class
        {"http01": {"ingress": {"ingressClassName": "traefik"}}}
    ]


def test_the_issuer_names_no_class_when_the_tool_installs_no_ingress_controller() -> None:
    settings = AddonsSettings(
        cert_manager=True,
        cert_manager_letsencrypt_email="ops@example.org",
        ingress_nginx=False,
        traefik=False,
    )
    (issuer,) = [
        o
        for o in workload_objects(render_addons(context(), settings))
        if o["kind"] == "ClusterIssuer"
    ]
    # no class: the challenge goes to the cluster's default IngressClass
    assert issuer["spec"]["acme"]["solvers"] == [{"http01": {"ingress": {}}}]


def test_cinder_gets_the_secret_at_etc_config_only_where_its_chart_does_not_mount_it_there() -> (
    None
):
    def mounts(kubernetes: str) -> Any:
        ctx = context(kubernetes_version=kubernetes, ca_bundle=CA)
        plugin = chart_values(render_addons(ctx, DEFAULTS), "cinder-csi")["csi"].get("plugin")
        return None if plugin is None else [m["mountPath"] for m in plugin["volumeMounts"]]

    # chart 2.32 mounts the Secret at /etc/kubernetes; cloud.conf's ca-file is under /etc/config
    assert mounts("v1.32.9") == ["/etc/kubernetes", "/etc/config"]
    # from 2.33 the chart mounts it at /etc/config itself (cloud-provider-openstack #2892)
    for kubernetes in ("v1.33.5", "v1.34.10", "v1.36.3"):
        assert mounts(kubernetes) is None, kubernetes


def test_monitoring_requests_resources_and_storage() -> None:
    values = chart_values(render_addons(context(), AddonsSettings(monitoring=True)), "monitoring")
    prometheus = values["prometheus"]["prometheusSpec"]
    assert prometheus["resources"]["requests"] == {"cpu": "200m", "memory": "1Gi"}
    claim = prometheus["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "cinder-default"
    for component in ("grafana", "prometheusOperator", "kube-state-metrics"):
        assert values[component]["resources"]["requests"]


def test_gpu_operator_runs_on_the_gpu_node_groups() -> None:
    ctx = context(gpu_node_groups=("gpu-b", "gpu-a"))
    settings = AddonsSettings(nvidia_gpu_operator=True, nvidia_gpu_node_label="example.org/group")
    values = chart_values(render_addons(ctx, settings), "nvidia-gpu-operator")
    affinity = values["node-feature-discovery"]["worker"]["affinity"]["nodeAffinity"]
    term = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
    assert term["matchExpressions"] == [
        {"key": "example.org/group", "operator": "In", "values": ["gpu-a", "gpu-b"]}
    ]
