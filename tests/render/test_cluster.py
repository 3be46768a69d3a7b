from __future__ import annotations

import base64
import configparser
from typing import Any

import pytest
import yaml

from scs_kaas.errors import SettingsError
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.documents import to_json, to_yaml
from scs_kaas.render.facts import CloudFacts, ClusterIdentity, ManagementFacts
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings

LABELS = {
    "cluster.x-k8s.io/cluster-name": "prod",
    "app.kubernetes.io/managed-by": "scs-kaas",
    "kaas.scs.community/prefix": "capi",
}
CLOUD_CONF = placeholder_identity("openstack").cloud_conf
TAGS = ["managed-by=scs-kaas", "prefix=capi", "cluster=prod"]


def _render(
    data: dict[str, Any] | None = None, facts: CloudFacts | None = None
) -> list[dict[str, Any]]:
    settings = build_settings("prod", [Layer("test", data or {})]).settings
    identity = ClusterIdentity(clouds_yaml="clouds: {}\n", cacert="", cloud_conf=CLOUD_CONF)
    return render_cluster("prod", settings, facts or CloudFacts(), identity)


def _one(documents: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d
        for d in documents
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, [d["metadata"]["name"] for d in found]
    return found[0]


def _names(documents: list[dict[str, Any]]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for d in documents:
        names.setdefault(d["kind"], []).append(d["metadata"]["name"])
    return names


def test_default_openstack_cluster() -> None:
    assert _one(_render(), "OpenStackCluster") == {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
        "kind": "OpenStackCluster",
        "metadata": {"name": "prod", "namespace": "capi-prod", "labels": LABELS},
        "spec": {
            "identityRef": {
                "type": "Secret",
                "name": "prod-cloud-config",
                "cloudName": "openstack",
            },
            # no dnsNameservers: the nodes use the cloud's resolver (R1 #164)
            "managedSubnets": [{"cidr": "10.8.0.0/20"}],
            "apiServer": {"port": 6443, "managedLoadBalancer": {"enabled": True}},
            "managedSecurityGroups": {"allowAllInClusterTraffic": True},
            "tags": TAGS,
        },
    }


def test_default_machine_deployment_and_its_templates() -> None:
    documents = _render()
    names = _names(documents)
    [bootstrap_name] = names["KubeadmConfigTemplate"]
    template_names = names["OpenStackMachineTemplate"]
    worker_template = next(n for n in template_names if n.startswith("prod-md-0-"))
    group_labels = {**LABELS, "kaas.scs.community/node-group": "md-0"}
    selector = {
        "cluster.x-k8s.io/cluster-name": "prod",
        "cluster.x-k8s.io/deployment-name": "prod-md-0",
    }
    assert _one(documents, "MachineDeployment") == {
        "apiVersion": "cluster.x-k8s.io/v1beta2",
        "kind": "MachineDeployment",
        "metadata": {"name": "prod-md-0", "namespace": "capi-prod", "labels": group_labels},
        "spec": {
            "clusterName": "prod",
            "replicas": 3,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": {
                        **selector,
                        "kaas.scs.community/node-group": "md-0",
                        "node.cluster.x-k8s.io/node-group": "md-0",
                        # CAPI syncs node-role labels from Machines to Nodes; the kubelet
                        # may not set them
                        "node-role.kubernetes.io/worker": "",
                    }
                },
                "spec": {
                    "clusterName": "prod",
                    "version": "v1.34.10",
                    "bootstrap": {
                        "configRef": {
                            "apiGroup": "bootstrap.cluster.x-k8s.io",
                            "kind": "KubeadmConfigTemplate",
                            "name": bootstrap_name,
                        }
                    },
                    "infrastructureRef": {
                        "apiGroup": "infrastructure.cluster.x-k8s.io",
                        "kind": "OpenStackMachineTemplate",
                        "name": worker_template,
                    },
                    "deletion": {"nodeDrainTimeoutSeconds": 300},
                },
            },
            "rollout": {
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                }
            },
        },
    }
    # SCS-2V-4 has no disk (SCS naming), so the workers boot from a volume.
    assert _one(documents, "OpenStackMachineTemplate", worker_template)["spec"] == {
        "template": {
            "spec": {
                "flavor": {"filter": {"name": "SCS-2V-4"}},
                "image": {"filter": {"name": "ubuntu-capi-image-v1.34.10"}},
                "sshKeyName": "capi-keypair",
                "rootVolume": {"sizeGiB": 25},
                "tags": TAGS,
            }
        }
    }
    assert _one(documents, "KubeadmConfigTemplate")["spec"] == {
        "template": {
            "spec": {
                "joinConfiguration": {
                    "nodeRegistration": {
                        "name": "{{ local_hostname }}",
                        "kubeletExtraArgs": [
                            {"name": "cloud-provider", "value": "external"},
                            {"name": "rotate-server-certificates", "value": "true"},
                        ],
                    }
                }
            }
        }
    }


def test_health_checks() -> None:
    documents = _render()
    worker = _one(documents, "MachineHealthCheck", "prod-md-0")["spec"]
    plane = _one(documents, "MachineHealthCheck", "prod-control-plane")["spec"]
    conditions = [
        {"type": "Ready", "status": "Unknown", "timeoutSeconds": 300},
        {"type": "Ready", "status": "False", "timeoutSeconds": 300},
    ]
    assert worker["checks"] == {
        "nodeStartupTimeoutSeconds": 1800,
        "unhealthyNodeConditions": conditions,
    }
    assert worker["remediation"] == {"triggerIf": {"unhealthyLessThanOrEqualTo": "100%"}}
    assert plane["remediation"] == {"triggerIf": {"unhealthyLessThanOrEqualTo": 1}}
    assert plane["selector"]["matchLabels"]["cluster.x-k8s.io/control-plane"] == ""
    disabled = _render({"node_group_defaults": {"health_check": {"enabled": False}}})
    assert [d["metadata"]["name"] for d in disabled if d["kind"] == "MachineHealthCheck"] == [
        "prod-control-plane"
    ]


def test_identity_secret_carries_the_given_documents() -> None:
    settings = build_settings("prod", []).settings
    identity = ClusterIdentity(clouds_yaml="clouds: {x: {}}\n", cacert="PEM", cloud_conf=CLOUD_CONF)
    documents = render_cluster("prod", settings, CloudFacts(), identity)
    secret = _one(documents, "Secret", "prod-cloud-config")
    assert secret["metadata"]["name"] == "prod-cloud-config"
    assert secret["metadata"]["labels"]["clusterctl.cluster.x-k8s.io/move"] == "true"
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded == {"clouds.yaml": "clouds: {x: {}}\n", "cacert": "PEM"}


def test_render_twice_is_byte_identical() -> None:
    assert to_yaml(_render()) == to_yaml(_render())
    assert to_json(_render()) == to_json(_render())


def test_every_object_is_labelled_and_namespaced() -> None:
    for document in _render({"node_groups": [{"name": "a"}, {"name": "b"}]}):
        assert LABELS.items() <= document["metadata"]["labels"].items(), document["kind"]
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == "capi-prod"


def _template_names(data: dict[str, Any]) -> tuple[str, str, str]:
    names = _names(_render(data))
    worker = next(n for n in names["OpenStackMachineTemplate"] if n.startswith("prod-md-0-"))
    plane = next(n for n in names["OpenStackMachineTemplate"] if n.startswith("prod-control"))
    return plane, worker, names["KubeadmConfigTemplate"][0]


def test_template_names_follow_their_content() -> None:
    plane, worker, bootstrap = _template_names({})
    # Not part of any template: counts, health checks, drain timeouts.
    assert _template_names({"node_groups": [{"name": "md-0", "count": 5}]}) == (
        plane,
        worker,
        bootstrap,
    )
    flavor = _template_names({"node_group_defaults": {"flavor": "SCS-4V-8-50"}})
    assert flavor[0] == plane and flavor[1] != worker and flavor[2] == bootstrap
    kubeadm = _template_names({"kubeadm": {"kubelet_extra_args": {"max-pods": "200"}}})
    assert kubeadm[0] == plane and kubeadm[1] == worker and kubeadm[2] != bootstrap
    volume = _template_names({"control_plane": {"root_volume": {"size_gib": 40}}})
    assert volume[0] != plane and volume[1:] == (worker, bootstrap)
    # A new version means a new image name, so every machine template changes.
    version = _template_names({"kubernetes_version": "v1.33.5"})
    assert version[0] != plane and version[1] != worker and version[2] == bootstrap


def test_restricted_api_access_always_admits_nodes_and_management() -> None:
    documents = _render(
        {"api_server": {"allowed_cidrs": ["192.0.2.0/24"]}},
        CloudFacts(api_access_cidrs=("203.0.113.7/32",)),
    )
    balancer = _one(documents, "OpenStackCluster")["spec"]["apiServer"]["managedLoadBalancer"]
    assert balancer["allowedCIDRs"] == ["10.8.0.0/20", "192.0.2.0/24", "203.0.113.7/32"]


def test_external_network_from_facts_wins_over_the_name() -> None:
    facts = CloudFacts(external_network_id="0f9e6c4a-1111-2222-3333-444455556666")
    spec = _one(_render({"external_network": "public"}, facts), "OpenStackCluster")["spec"]
    assert spec["externalNetwork"] == {"id": "0f9e6c4a-1111-2222-3333-444455556666"}
    spec = _one(_render({"external_network": "public"}), "OpenStackCluster")["spec"]
    assert spec["externalNetwork"] == {"filter": {"name": "public"}}


def test_extra_networks_keep_the_cluster_network_first() -> None:
    data = {"network": {"extra_networks": [{"network": "storage", "subnet": "storage-v4"}]}}
    template = _one(
        _render(data), "OpenStackMachineTemplate", None if False else _template_names(data)[1]
    )
    assert template["spec"]["template"]["spec"]["ports"] == [
        {},
        {
            "network": {"filter": {"name": "storage"}},
            "fixedIPs": [{"subnet": {"filter": {"name": "storage-v4"}}}],
        },
    ]


def test_autoscaled_group_leaves_replicas_to_the_autoscaler() -> None:
    data = {"node_groups": [{"name": "auto", "autoscale_min": 1, "autoscale_max": 4}]}
    deployment = _one(_render(data), "MachineDeployment")
    assert "replicas" not in deployment["spec"]
    assert deployment["metadata"]["annotations"] == {
        "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": "1",
        "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": "4",
    }


def test_server_groups_labels_taints_and_trusted_cas() -> None:
    ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    data = {
        "control_plane": {"server_group": "anti-affinity"},
        "node_groups": [
            {
                "name": "web",
                "labels": {"tier": "web", "example.com/zone": "a"},
                "taints": [{"key": "dedicated", "value": "web", "effect": "NoExecute"}],
            }
        ],
        "trusted_cas": {"corp": ca},
    }
    documents = _render(data)
    plane_template = next(
        d
        for d in documents
        if d["kind"] == "OpenStackMachineTemplate" and "control-plane" in d["metadata"]["name"]
    )
    assert plane_template["spec"]["template"]["spec"]["serverGroup"] == {
        "filter": {"name": "capi-prod-control-plane"}
    }
    bootstrap = _one(documents, "KubeadmConfigTemplate")["spec"]["template"]["spec"]
    registration = bootstrap["joinConfiguration"]["nodeRegistration"]
    assert registration["kubeletExtraArgs"] == [
        {"name": "cloud-provider", "value": "external"},
        {"name": "node-labels", "value": "example.com/zone=a,tier=web"},
        {"name": "rotate-server-certificates", "value": "true"},
    ]
    assert registration["taints"] == [{"key": "dedicated", "effect": "NoExecute", "value": "web"}]
    assert bootstrap["files"] == [
        {
            "path": "/usr/local/share/ca-certificates/corp.crt",
            "content": ca,
            "permissions": "0644",
            "owner": "root:root",
        }
    ]
    assert bootstrap["preKubeadmCommands"] == ["update-ca-certificates"]


def test_placeholder_identity_hides_credentials_and_yaml_parses() -> None:
    identity = placeholder_identity("openstack")
    assert "set by kaas cluster create" in identity.clouds_yaml
    assert repr(identity) == "ClusterIdentity(***)"
    parsed = yaml.safe_load(identity.clouds_yaml)
    assert parsed["clouds"]["openstack"]["auth_type"] == "v3applicationcredential"


def test_add_on_switches_reach_kubeadm() -> None:
    insecure = _render({"addons": {"metrics_server_insecure_tls": True}})
    bootstrap = _one(insecure, "KubeadmConfigTemplate")["spec"]["template"]["spec"]
    args = bootstrap["joinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"]
    assert {"name": "rotate-server-certificates", "value": "true"} not in args
    plane = _one(_render(), "KubeadmControlPlane")["spec"]["kubeadmConfigSpec"]
    assert "skipPhases" not in plane["initConfiguration"]
    replaced = _render({"addons": {"cilium_kube_proxy_replacement": True}})
    plane = _one(replaced, "KubeadmControlPlane")["spec"]["kubeadmConfigSpec"]
    assert plane["initConfiguration"]["skipPhases"] == ["addon/kube-proxy"]


def _workload_cloud_conf(documents: list[dict[str, Any]]) -> configparser.ConfigParser:
    (carrier,) = [
        d
        for d in documents
        if d["kind"] == "Secret"
        and d["metadata"]["labels"].get("kaas.scs.community/addon") == "cloud-config"
    ]
    for text in carrier["data"].values():
        for inner in yaml.safe_load_all(base64.b64decode(text)):
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(base64.b64decode(inner["data"]["cloud.conf"]).decode())
            return parser
    raise AssertionError("no cloud.conf")


def test_cloud_conf_knows_the_cluster_network_external_network_and_provider() -> None:
    facts = CloudFacts(external_network_id="0f9e6c4a-1111-2222-3333-444455556666")
    data = {
        "namespace": "team",
        "api_server": {"load_balancer_provider": "ovn"},
        "network": {"extra_networks": [{"network": "storage"}]},
    }
    conf = _workload_cloud_conf(_render(data, facts))
    # CAPO's name of the cluster network (k8s-clusterapi-cluster-<namespace>-<name>)
    assert conf["Networking"]["internal-network-name"] == "k8s-clusterapi-cluster-team-prod"
    assert conf["LoadBalancer"]["floating-network-id"] == facts.external_network_id
    assert conf["LoadBalancer"]["lb-provider"] == "ovn"
    assert conf["LoadBalancer"]["lb-method"] == "SOURCE_IP_PORT"


def test_csr_approver_knows_every_node_group_and_a_fixed_control_plane_floating_ip() -> None:
    def approver(data: dict[str, Any]) -> dict[str, Any]:
        (proxy,) = [
            d
            for d in _render(data)
            if d["kind"] == "HelmChartProxy"
            and d["metadata"]["name"] == "prod-kubelet-csr-approver"
        ]
        return dict(yaml.safe_load(proxy["spec"]["valuesTemplate"]))

    values = approver({"node_groups": [{"name": "md-0"}, {"name": "gpu"}]})
    assert values["providerRegex"] == (
        "^(prod-control-plane|prod-gpu|prod-md-0)-[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    )
    assert values["providerIpPrefixes"] == ["10.8.0.0/20"]
    # without a load balancer CAPO puts the API's floating IP on the control-plane machine
    direct = {"load_balancer": False, "floating_ip_address": "203.0.113.9"}
    values = approver({"api_server": direct})
    assert values["providerIpPrefixes"] == ["10.8.0.0/20", "203.0.113.9/32"]


def test_an_api_port_other_than_6443_is_bound_by_kubeadm_and_open_on_the_control_plane() -> None:
    documents = _render({"api_server": {"port": 443}})
    config = _one(documents, "KubeadmControlPlane")["spec"]["kubeadmConfigSpec"]
    assert config["initConfiguration"]["localAPIEndpoint"] == {"bindPort": 443}
    assert config["joinConfiguration"]["controlPlane"] == {"localAPIEndpoint": {"bindPort": 443}}
    spec = _one(documents, "OpenStackCluster")["spec"]
    assert spec["apiServer"]["port"] == 443
    assert spec["managedSecurityGroups"]["controlPlaneNodesSecurityGroupRules"] == [
        {
            "name": "kubernetes-api-443",
            "description": "Kubernetes API on api_server.port",
            "direction": "ingress",
            "etherType": "IPv4",
            "protocol": "tcp",
            "portRangeMin": 443,
            "portRangeMax": 443,
        }
    ]
    # 6443 is kubeadm's and CAPO's own default: nothing more is written
    default = _one(_render(), "KubeadmControlPlane")["spec"]["kubeadmConfigSpec"]
    assert "localAPIEndpoint" not in default["initConfiguration"]
    assert "controlPlane" not in default["joinConfiguration"]


def test_availability_zone_is_the_control_planes_failure_domain_in_both_capo_apis() -> None:
    settings = build_settings("prod", [Layer("test", {"availability_zone": "az2"})]).settings
    identity = placeholder_identity("openstack")
    for version in ("v1beta2", "v1beta1"):
        documents = render_cluster(
            "prod", settings, CloudFacts(), identity, management=ManagementFacts(version)
        )
        spec = _one(documents, "OpenStackCluster")["spec"]
        assert spec["controlPlaneAvailabilityZones"] == ["az2"], version
        deployment = _one(documents, "MachineDeployment")["spec"]["template"]["spec"]
        assert deployment["failureDomain"] == "az2"
    spread = {"availability_zone": "az2", "control_plane": {"failure_domains": ["az1", "az3"]}}
    spec = _one(_render(spread), "OpenStackCluster")["spec"]
    assert spec["controlPlaneAvailabilityZones"] == ["az1", "az3"]
    assert "controlPlaneAvailabilityZones" not in _one(_render(), "OpenStackCluster")["spec"]


def test_control_plane_certificates_are_renewed_by_a_rollout_before_they_expire() -> None:
    rollout = _one(_render(), "KubeadmControlPlane")["spec"]["rollout"]
    assert rollout == {
        "before": {"certificatesExpiryDays": 30},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
    }
    custom = _render({"control_plane": {"certificates_expiry_days": 60}})
    assert _one(custom, "KubeadmControlPlane")["spec"]["rollout"]["before"] == {
        "certificatesExpiryDays": 60
    }
    never = _render({"control_plane": {"certificates_expiry_days": None}})
    assert "before" not in _one(never, "KubeadmControlPlane")["spec"]["rollout"]


@pytest.mark.parametrize("days", [0, 6, 301, 365])
def test_certificate_expiry_days_outside_what_kcp_and_kubeadm_allow_are_refused(days: int) -> None:
    # KCP's minimum is 7; kubeadm's certificates last 365 days, so more would roll forever.
    with pytest.raises(SettingsError, match="certificates_expiry_days"):
        build_settings("prod", [Layer("t", {"control_plane": {"certificates_expiry_days": days}})])


def test_dns_nameservers_reach_the_node_subnet_when_set() -> None:
    data = {"network": {"dns_nameservers": ["9.9.9.9", "149.112.112.112"]}}
    assert _one(_render(data), "OpenStackCluster")["spec"]["managedSubnets"] == [
        {"cidr": "10.8.0.0/20", "dnsNameservers": ["9.9.9.9", "149.112.112.112"]}
    ]


def test_csr_approver_admits_the_external_subnets_for_a_control_plane_floating_ip() -> None:
    facts = CloudFacts(floating_ip_cidrs=("172.24.4.0/24",))
    direct = {"api_server": {"load_balancer": False}}
    (proxy,) = [
        d
        for d in _render(direct, facts)
        if d["metadata"]["name"] == "prod-kubelet-csr-approver" and d["kind"] == "HelmChartProxy"
    ]
    values = yaml.safe_load(proxy["spec"]["valuesTemplate"])
    assert values["providerIpPrefixes"] == ["10.8.0.0/20", "172.24.4.0/24"]
    # behind a load balancer no node has a floating IP: the facts do not matter
    (proxy,) = [
        d
        for d in _render({}, facts)
        if d["metadata"]["name"] == "prod-kubelet-csr-approver" and d["kind"] == "HelmChartProxy"
    ]
    assert yaml.safe_load(proxy["spec"]["valuesTemplate"])["providerIpPrefixes"] == ["10.8.0.0/20"]
