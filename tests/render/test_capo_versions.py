"""CAPO v1beta1 (CAPO v0.14) renders: whole objects, the same names, CAPO v0.14.7's own CRDs, and
the choice of version from what a management cluster serves."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scs_kaas.errors import ClusterError
from scs_kaas.render.capo_versions import (
    INFRA_V1BETA1,
    choose_management_facts,
    cluster_spec_v1beta1,
    helm_chart_proxy_versions,
    machine_spec_v1beta1,
    to_infrastructure_version,
)
from scs_kaas.render.cluster import render_cluster
from scs_kaas.render.credentials import placeholder_identity
from scs_kaas.render.facts import CloudFacts, ManagementFacts
from scs_kaas.render.metadata import INFRA_API
from scs_kaas.settings.layers import Layer
from scs_kaas.settings.loader import build_settings
from tests.render.crds import (
    CAPO_V014,
    capo_v014_crds,
    crd_folder,
    crd_validate,
    go_module_dir,
    write_manifests,
)
from tests.support.cli import kaas

V1BETA1 = ManagementFacts(infrastructure_version="v1beta1")
LABELS = {
    "cluster.x-k8s.io/cluster-name": "prod",
    "app.kubernetes.io/managed-by": "scs-kaas",
    "kaas.scs.community/prefix": "capi",
}
TAGS = ["managed-by=scs-kaas", "prefix=capi", "cluster=prod"]
FLAVOR_ID = "0b1f9e5e-3a4c-4c5e-9d7a-1e2f3a4b5c6d"
IMAGE_ID = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
NETWORK_ID = "e0e0e0e0-1111-2222-3333-444444444444"
IDENTITY_REF = {"type": "Secret", "name": "prod-cloud-config", "cloudName": "openstack"}
# Many settings at once: an API behind a restricted LB with a provider, port and floating IP,
# three zones, a flavor and an image by ID, a root volume in a zone, anti-affinity, metadata,
# an extra network, no DNS servers, more tags and a keypair.
EVERYTHING: dict[str, Any] = {
    "api_server": {
        "load_balancer": True,
        "allowed_cidrs": ["192.0.2.0/24"],
        "load_balancer_provider": "ovn",
        "port": 443,
        "floating_ip_address": "203.0.113.10",
    },
    "control_plane": {
        "count": 3,
        "failure_domains": ["az1", "az2", "az3"],
        "server_group": "anti-affinity",
        "flavor": FLAVOR_ID,
        "root_volume": {"size_gib": 50, "type": "ssd", "availability_zone": "az1"},
        "server_metadata": {"team": "blue", "env": "prod"},
    },
    "node_groups": [{"name": "md-0", "image": IMAGE_ID, "count": 2}],
    "network": {
        "dns_nameservers": [],
        "extra_networks": [{"network": "storage", "subnet": "storage-v4"}],
    },
    "extra_tags": ["team=blue"],
    "ssh_key_name": "ops-key",
}
EVERYTHING_FACTS = CloudFacts(external_network_id=NETWORK_ID, api_access_cidrs=("203.0.113.7/32",))
EXTRA_PORTS = [
    {},
    {
        "network": {"filter": {"name": "storage"}},
        "fixedIPs": [{"subnet": {"filter": {"name": "storage-v4"}}}],
    },
]


def _render(
    data: dict[str, Any] | None = None,
    facts: CloudFacts | None = None,
    management: ManagementFacts = V1BETA1,
    cluster: str = "prod",
) -> list[dict[str, Any]]:
    settings_ = build_settings(cluster, [Layer("test", data or {})]).settings
    identity = placeholder_identity("openstack")
    return render_cluster(
        cluster, settings_, facts or CloudFacts(), identity, management=management
    )


def _capo(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in documents if d["apiVersion"].startswith("infrastructure.")]


def _template(documents: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    (found,) = [
        d
        for d in documents
        if d["kind"] == "OpenStackMachineTemplate" and d["metadata"]["name"].startswith(prefix)
    ]
    return found


def test_default_openstack_cluster_in_v1beta1() -> None:
    (cluster,) = [d for d in _render() if d["kind"] == "OpenStackCluster"]
    assert cluster == {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
        "kind": "OpenStackCluster",
        "metadata": {"name": "prod", "namespace": "capi-prod", "labels": LABELS},
        "spec": {
            "identityRef": IDENTITY_REF,
            "managedSubnets": [{"cidr": "10.8.0.0/20"}],
            "apiServerPort": 6443,
            "apiServerLoadBalancer": {"enabled": True},
            "managedSecurityGroups": {"allowAllInClusterTraffic": True},
            "tags": TAGS,
        },
    }


def test_default_machine_templates_in_v1beta1() -> None:
    documents = _render()
    assert _template(documents, "prod-control-plane-") == {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
        "kind": "OpenStackMachineTemplate",
        "metadata": {
            "name": _template(_render(management=ManagementFacts()), "prod-control-plane-")[
                "metadata"
            ]["name"],
            "namespace": "capi-prod",
            "labels": LABELS,
        },
        "spec": {
            "template": {
                "spec": {
                    "flavor": "SCS-2V-4-20s",
                    "image": {"filter": {"name": "ubuntu-capi-image-v1.34.10"}},
                    "sshKeyName": "capi-keypair",
                    "tags": TAGS,
                }
            }
        },
    }
    worker = _template(documents, "prod-md-0-")["spec"]
    assert worker == {
        "template": {
            "spec": {
                "flavor": "SCS-2V-4",
                "image": {"filter": {"name": "ubuntu-capi-image-v1.34.10"}},
                "sshKeyName": "capi-keypair",
                "rootVolume": {"sizeGiB": 25},
                "tags": TAGS,
            }
        }
    }


def test_every_supported_setting_in_v1beta1() -> None:
    documents = _render(EVERYTHING, EVERYTHING_FACTS)
    (cluster,) = [d for d in documents if d["kind"] == "OpenStackCluster"]
    tags = [*TAGS, "team=blue"]
    assert cluster["spec"] == {
        "identityRef": IDENTITY_REF,
        "managedSubnets": [{"cidr": "10.8.0.0/20"}],
        "apiServerPort": 443,
        "apiServerFloatingIP": "203.0.113.10",
        "apiServerLoadBalancer": {
            "enabled": True,
            "allowedCIDRs": ["10.8.0.0/20", "192.0.2.0/24", "203.0.113.7/32"],
            "provider": "ovn",
        },
        "managedSecurityGroups": {
            "allowAllInClusterTraffic": True,
            # the API's own port, which CAPO does not open (it opens 6443 only)
            "controlPlaneNodesSecurityGroupRules": [
                {
                    "name": "kubernetes-api-443",
                    "description": "Kubernetes API on api_server.port",
                    "direction": "ingress",
                    "etherType": "IPv4",
                    "protocol": "tcp",
                    "portRangeMin": 443,
                    "portRangeMax": 443,
                }
            ],
        },
        "tags": tags,
        "externalNetwork": {"id": NETWORK_ID},
        "controlPlaneAvailabilityZones": ["az1", "az2", "az3"],
    }
    assert _template(documents, "prod-control-plane-")["spec"] == {
        "template": {
            "spec": {
                "flavorID": FLAVOR_ID,
                "image": {"filter": {"name": "ubuntu-capi-image-v1.34.10"}},
                "sshKeyName": "ops-key",
                "rootVolume": {"sizeGiB": 50, "type": "ssd", "availabilityZone": {"name": "az1"}},
                "serverGroup": {"filter": {"name": "capi-prod-control-plane"}},
                "serverMetadata": [
                    {"key": "env", "value": "prod"},
                    {"key": "team", "value": "blue"},
                ],
                "ports": EXTRA_PORTS,
                "tags": tags,
            }
        }
    }
    assert _template(documents, "prod-md-0-")["spec"] == {
        "template": {
            "spec": {
                "flavor": "SCS-2V-4",
                "image": {"id": IMAGE_ID},
                "sshKeyName": "ops-key",
                "rootVolume": {"sizeGiB": 25},
                "ports": EXTRA_PORTS,
                "tags": tags,
            }
        }
    }


def test_an_api_without_load_balancer_and_floating_ip_in_v1beta1() -> None:
    data = {
        "api_server": {"load_balancer": False, "floating_ip": False},
        "external_network": "public",
    }
    (cluster,) = [d for d in _render(data) if d["kind"] == "OpenStackCluster"]
    spec = cluster["spec"]
    assert {k: spec[k] for k in spec if k.startswith(("apiServer", "disable", "external"))} == {
        "apiServerPort": 6443,
        "disableAPIServerFloatingIP": True,
        "externalNetwork": {"filter": {"name": "public"}},
    }


def test_only_capo_objects_change_and_every_name_stays() -> None:
    """The template names hash the v1beta2 spec: the version alone renames (and rolls) nothing,
    and the Cluster, KCP and MachineDeployment references are the same contract references."""
    newest = _render(EVERYTHING, EVERYTHING_FACTS, ManagementFacts())
    older = _render(EVERYTHING, EVERYTHING_FACTS)
    assert [(d["kind"], d["metadata"]["name"]) for d in newest] == [
        (d["kind"], d["metadata"]["name"]) for d in older
    ]
    for new, old in zip(newest, older, strict=True):
        if new["apiVersion"] == INFRA_API:
            assert old["apiVersion"] == INFRA_V1BETA1
            assert old["metadata"] == new["metadata"]
        else:
            assert old == new
    assert len(_capo(older)) == 3
    assert {d["apiVersion"] for d in _capo(older)} == {INFRA_V1BETA1}


def test_v1beta2_is_the_default_and_left_alone() -> None:
    documents = _render(management=ManagementFacts())
    assert {d["apiVersion"] for d in _capo(documents)} == {INFRA_API}
    assert to_infrastructure_version(documents, "v1beta2") == documents


def test_the_conversion_leaves_its_input_alone() -> None:
    documents = _render(EVERYTHING, EVERYTHING_FACTS, ManagementFacts())
    before = copy.deepcopy(documents)
    converted = to_infrastructure_version(documents, "v1beta1")
    assert documents == before
    converted[3]["spec"]["tags"].append("x")  # no list shared with the input either
    assert documents == before


def test_cluster_fields_the_renderer_does_not_write_yet_map_as_capo_converts_them() -> None:
    rule = {"name": "bgp", "direction": "ingress", "protocol": "tcp", "portRangeMin": 179}
    spec = {
        "identityRef": IDENTITY_REF,
        "apiServer": {"fixedIP": "10.8.0.10", "enableFloatingIP": True},
        "managedNetwork": {"mtu": 1450, "enablePortSecurity": False},
        "enableExternalNetwork": False,
        "managedRouter": {"externalIPs": [{"fixedIP": "198.51.100.2"}]},
        "managedSecurityGroups": {
            "allowAllInClusterTraffic": False,
            "clusterNodesSecurityGroupRules": [rule],
            "workerNodesSecurityGroupRules": [rule],
        },
        "bastion": {
            "enabled": True,
            "availabilityZone": "az1",
            "spec": {
                "flavor": {"filter": {"name": "SCS-1V-2"}},
                "image": {"id": IMAGE_ID},
                "ports": [{"enablePortSecurity": True, "nameSuffix": "a"}],
            },
        },
        "controlPlaneOmitAvailabilityZone": True,
    }
    assert cluster_spec_v1beta1(spec) == {
        "identityRef": IDENTITY_REF,
        "apiServerFixedIP": "10.8.0.10",
        "disableAPIServerFloatingIP": False,
        "networkMTU": 1450,
        "disablePortSecurity": True,
        "disableExternalNetwork": True,
        "externalRouterIPs": [{"fixedIP": "198.51.100.2"}],
        "managedSecurityGroups": {
            "allowAllInClusterTraffic": False,
            "allNodesSecurityGroupRules": [rule],
            "workerNodesSecurityGroupRules": [rule],
        },
        "bastion": {
            "enabled": True,
            "availabilityZone": "az1",
            "spec": {
                "flavor": "SCS-1V-2",
                "image": {"id": IMAGE_ID},
                "ports": [{"disablePortSecurity": False, "nameSuffix": "a"}],
            },
        },
        "controlPlaneOmitAvailabilityZone": True,
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"primarySubnet": {"id": NETWORK_ID}}, "OpenStackCluster.spec.primarySubnet"),
        ({"apiServer": {"somethingNew": 1}}, "OpenStackCluster.spec.apiServer.somethingNew"),
        (
            {"apiServer": {"managedLoadBalancer": {"enabled": True, "new": 1}}},
            "OpenStackCluster.spec.apiServer.managedLoadBalancer.new",
        ),
        ({"bastion": {"spec": {"newField": 1}}}, "OpenStackCluster.spec.bastion.spec.newField"),
    ],
)
def test_a_cluster_field_without_a_v1beta1_form_is_refused(
    spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClusterError, match=message.replace(".", r"\.")):
        cluster_spec_v1beta1(spec)


@pytest.mark.parametrize(
    "flavor",
    [{"id": FLAVOR_ID, "filter": {"name": "x"}}, {"filter": {"name": "x", "new": "y"}}, {}],
)
def test_a_flavor_without_a_v1beta1_form_is_refused(flavor: dict[str, Any]) -> None:
    with pytest.raises(ClusterError, match="flavor"):
        machine_spec_v1beta1({"flavor": flavor, "image": {"id": IMAGE_ID}})


def test_an_unknown_capo_kind_is_refused() -> None:
    server = {"apiVersion": INFRA_API, "kind": "OpenStackSomethingNew", "metadata": {"name": "a"}}
    with pytest.raises(ClusterError, match="OpenStackSomethingNew"):
        to_infrastructure_version([server], "v1beta1")
    other = {"apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha1", "kind": "OpenStackServer"}
    assert to_infrastructure_version([other], "v1beta1") == [other]


def test_templates_with_metadata_have_no_v1beta1_form() -> None:
    template: dict[str, Any] = {
        "apiVersion": INFRA_API,
        "kind": "OpenStackClusterTemplate",
        "metadata": {"name": "t"},
        "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {}}},
    }
    with pytest.raises(ClusterError, match=r"spec\.template\.metadata"):
        to_infrastructure_version([template], "v1beta1")
    del template["spec"]["template"]["metadata"]
    (converted,) = to_infrastructure_version([template], "v1beta1")
    assert converted["apiVersion"] == INFRA_V1BETA1


# A management cluster's answer, as `kube.served.served_apis` gives it.
SERVED_BY_V015 = ("v1beta2", "v1beta1")
SERVED_BY_V014 = ("v1beta1",)
CAPI = ("v1beta2", "v1beta1")
CAAPH = ("v1alpha1",)


def test_v1beta2_is_chosen_when_served() -> None:
    facts = choose_management_facts(
        openstack_cluster=SERVED_BY_V015, cluster=CAPI, helm_chart_proxy=CAAPH
    )
    assert facts == ManagementFacts("v1beta2")


def test_v1beta1_is_chosen_for_capo_v014() -> None:
    facts = choose_management_facts(
        openstack_cluster=SERVED_BY_V014,
        openstack_machine_template=SERVED_BY_V014,
        cluster=CAPI,
        helm_chart_proxy=CAAPH,
        needs_helm_chart_proxy={"v1alpha1"},
    )
    assert facts == ManagementFacts("v1beta1")


def test_no_capo_is_refused_with_the_versions_it_needs() -> None:
    with pytest.raises(ClusterError) as caught:
        choose_management_facts(
            openstack_cluster=("v1alpha7",), cluster=CAPI, helm_chart_proxy=(), server="mgmt"
        )
    assert str(caught.value) == (
        "mgmt cannot take this cluster: CAPO must serve "
        "openstackclusters.infrastructure.cluster.x-k8s.io in v1beta2 (CAPO v0.15 or later) "
        "or v1beta1 (CAPO v0.14); it serves v1alpha7"
    )


def test_every_missing_piece_is_named_at_once() -> None:
    with pytest.raises(ClusterError) as caught:
        choose_management_facts(
            openstack_cluster=(),
            cluster=("v1beta1",),
            helm_chart_proxy=(),
            needs_helm_chart_proxy={"v1alpha1"},
        )
    message = str(caught.value)
    assert message.startswith("the management cluster cannot take this cluster: ")
    assert "openstackclusters.infrastructure.cluster.x-k8s.io in v1beta2" in message
    assert "it serves none" in message
    assert (
        "clusters.cluster.x-k8s.io in v1beta2 (CAPI v1.11 or later); it serves v1beta1" in message
    )
    assert "helmchartproxies.addons.cluster.x-k8s.io in v1alpha1; it serves none" in message


def test_caaph_is_needed_only_by_helm_add_ons() -> None:
    facts = choose_management_facts(
        openstack_cluster=SERVED_BY_V014, cluster=CAPI, helm_chart_proxy=()
    )
    assert facts.infrastructure_version == "v1beta1"
    with pytest.raises(ClusterError, match="CAAPH"):
        choose_management_facts(
            openstack_cluster=SERVED_BY_V014,
            cluster=CAPI,
            helm_chart_proxy=("v1alpha2",),
            needs_helm_chart_proxy={"v1alpha1"},
        )


def test_machine_templates_must_be_served_in_the_chosen_version() -> None:
    with pytest.raises(ClusterError, match=r"openstackmachinetemplates.*v1beta2"):
        choose_management_facts(
            openstack_cluster=SERVED_BY_V015,
            openstack_machine_template=SERVED_BY_V014,
            cluster=CAPI,
            helm_chart_proxy=CAAPH,
        )


def test_the_helm_add_ons_of_a_render_need_caaph() -> None:
    assert helm_chart_proxy_versions(_render()) == {"v1alpha1"}
    without_helm = {
        "addons": {
            "cni": "calico",
            "metrics_server": False,
            "ingress_nginx": False,
            "cert_manager": False,
            "monitoring": False,
            "nvidia_gpu_operator": False,
        }
    }
    kinds = {d["kind"] for d in _render(without_helm)}
    assert ("HelmChartProxy" in kinds) == bool(helm_chart_proxy_versions(_render(without_helm)))


def test_every_v1beta1_object_is_valid_for_capo_v014(tmp_path: Path) -> None:
    crds = capo_v014_crds(tmp_path / "crds")
    files = [
        write_manifests(tmp_path / "defaults.yaml", _render()),
        write_manifests(tmp_path / "everything.yaml", _render(EVERYTHING, EVERYTHING_FACTS)),
        write_manifests(
            tmp_path / "no-lb.yaml",
            _render({"api_server": {"load_balancer": False, "floating_ip": False}}),
        ),
    ]
    report = crd_validate(files, crds)
    assert report.count(f"({INFRA_V1BETA1})") == 9, report
    assert " 0 failed" in report.strip().splitlines()[-1]


def test_the_v1beta2_objects_are_refused_by_capo_v014(tmp_path: Path) -> None:
    """The validation above is not vacuous: CAPO v0.14 serves no v1beta2 at all."""
    crds = crd_folder(tmp_path / "crds", go_module_dir("capo", CAPO_V014) / "config/crd/bases")
    path = write_manifests(tmp_path / "newest.yaml", _capo(_render(management=ManagementFacts())))
    with pytest.raises(
        AssertionError, match=r"no CRD serves infrastructure\.cluster\.x-k8s\.io/v1beta2"
    ):
        crd_validate([path], crds)


def test_the_cli_renders_v1beta1_on_request(tmp_path: Path) -> None:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "prod.yaml").write_text("control_plane: {count: 1}\n")
    older = kaas(
        "cluster", "render", "prod", "--env", str(tmp_path), "--infrastructure-api", "v1beta1"
    )
    newest = kaas("cluster", "render", "prod", "--env", str(tmp_path), "-o", "json")
    assert older.exit_code == 0, older
    assert newest.exit_code == 0, newest
    documents = list(yaml.safe_load_all(older.stdout))
    items = json.loads(newest.stdout)["items"]
    assert [d["metadata"]["name"] for d in documents] == [d["metadata"]["name"] for d in items]
    assert {d["apiVersion"] for d in _capo(documents)} == {INFRA_V1BETA1}
    assert {d["apiVersion"] for d in _capo(items)} == {INFRA_API}
    wrong = kaas("cluster", "render", "prod", "--env", str(tmp_path), "--infrastructure-api", "v2")
    assert wrong.exit_code == 2
    assert "v1beta1" in wrong.stderr


# --- Property: over many setting combinations, CAPO's own v1beta1 -> v1beta2 conversion rules
# (written out here independently) give back exactly the v1beta2 render, and every v1beta1
# object is valid for CAPO v0.14.7.

_UP_API_SERVER = {
    "apiServerPort": "port",
    "apiServerFixedIP": "fixedIP",
    "apiServerFloatingIP": "floatingIP",
}


def _up_machine(spec: dict[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    if "flavorID" in out:
        out["flavor"] = {"id": out.pop("flavorID")}
    elif "flavor" in out:
        out["flavor"] = {"filter": {"name": out["flavor"]}}
    if "ports" in out:
        out["ports"] = [
            {
                **{k: v for k, v in port.items() if k != "disablePortSecurity"},
                **(
                    {"enablePortSecurity": not port["disablePortSecurity"]}
                    if "disablePortSecurity" in port
                    else {}
                ),
            }
            for port in out["ports"]
        ]
    return out


def _up_cluster(spec: dict[str, Any]) -> dict[str, Any]:
    """CAPO v0.15 `Convert_v1beta1_OpenStackClusterSpec_To_v1beta2_OpenStackClusterSpec`, for
    the fields scs-kaas writes (key order aside, which dict equality ignores)."""
    out = {k: v for k, v in spec.items() if k not in _UP_API_SERVER}
    api = {new: spec[old] for old, new in _UP_API_SERVER.items() if old in spec}
    if "disableAPIServerFloatingIP" in out:
        api["enableFloatingIP"] = not out.pop("disableAPIServerFloatingIP")
    if "apiServerLoadBalancer" in out:
        api["managedLoadBalancer"] = out.pop("apiServerLoadBalancer")
    if api:
        out["apiServer"] = api
    return out


def _up(document: dict[str, Any]) -> dict[str, Any]:
    spec = document["spec"]
    if document["kind"] == "OpenStackCluster":
        spec = _up_cluster(spec)
    else:
        spec = {"template": {"spec": _up_machine(spec["template"]["spec"])}}
    return {**document, "apiVersion": INFRA_API, "spec": spec}


_NAMES = st.sampled_from(["SCS-2V-4", "SCS-4V-8-50", "SCS-2V-4-20s", FLAVOR_ID])
_MACHINE = st.fixed_dictionaries(
    {},
    optional={
        "flavor": _NAMES,
        "image": st.sampled_from(["my-image", IMAGE_ID]),
        "server_group": st.sampled_from(["none", "anti-affinity", "soft-anti-affinity"]),
        "server_metadata": st.dictionaries(
            st.sampled_from(["team", "env", "cost"]), st.sampled_from(["a", "b-c"]), max_size=2
        ),
        "root_volume": st.fixed_dictionaries(
            {},
            optional={
                "size_gib": st.integers(1, 200),
                "type": st.sampled_from(["ssd", "hdd"]),
                "availability_zone": st.sampled_from(["az1", "az2"]),
            },
        ),
    },
)
_API = st.one_of(
    st.fixed_dictionaries(
        {"load_balancer": st.just(True)},
        optional={
            "load_balancer_provider": st.sampled_from(["amphora", "ovn"]),
            "allowed_cidrs": st.lists(
                st.sampled_from(["192.0.2.0/24", "198.51.100.0/24"]), max_size=2, unique=True
            ),
            "port": st.sampled_from([443, 6443]),
            "floating_ip_address": st.just("203.0.113.10"),
        },
    ),
    st.fixed_dictionaries(
        {"load_balancer": st.just(False)},
        optional={"floating_ip": st.booleans(), "port": st.sampled_from([443, 6443])},
    ),
)


@st.composite
def _settings(draw: st.DrawFn) -> tuple[dict[str, Any], CloudFacts]:
    api = draw(_API)
    plane: dict[str, Any] = draw(_MACHINE)
    plane["count"] = 1 if not api["load_balancer"] else draw(st.sampled_from([1, 3]))
    plane["failure_domains"] = draw(st.lists(st.sampled_from(["az1", "az2", "az3"]), unique=True))
    groups = [
        {**draw(_MACHINE), "name": name, "count": draw(st.integers(0, 3))}
        for name in draw(
            st.lists(st.sampled_from(["md-0", "big", "gpu"]), min_size=1, max_size=3, unique=True)
        )
    ]
    data: dict[str, Any] = {
        "api_server": api,
        "control_plane": plane,
        "node_groups": groups,
        "node_group_defaults": draw(_MACHINE),
        "network": {
            "dns_nameservers": draw(st.sampled_from([[], ["9.9.9.9"]])),
            "extra_networks": draw(
                st.sampled_from([[], [{"network": "storage", "subnet": "storage-v4"}]])
            ),
        },
        "extra_tags": draw(st.lists(st.sampled_from(["team=blue", "cost=42"]), unique=True)),
    }
    external = draw(st.sampled_from([None, "public", NETWORK_ID]))
    if external:
        data["external_network"] = external
    facts = CloudFacts(
        external_network_id=draw(st.sampled_from([None, NETWORK_ID])),
        api_access_cidrs=draw(st.sampled_from([(), ("203.0.113.7/32",)])),
    )
    return data, facts


def test_v1beta1_means_what_v1beta2_means_for_every_setting(tmp_path: Path) -> None:
    crds = capo_v014_crds(tmp_path / "crds")
    rendered: list[dict[str, Any]] = []

    @settings(max_examples=60, deadline=None)
    @given(_settings())
    def check(case: tuple[dict[str, Any], CloudFacts]) -> None:
        data, facts = case
        newest = _capo(_render(data, facts, ManagementFacts(), cluster="p"))
        older = _capo(_render(data, facts, V1BETA1, cluster="p"))
        assert [_up(d) for d in older] == newest
        rendered.extend(older)

    check()
    path = write_manifests(tmp_path / "all.yaml", rendered)
    report = crd_validate([path], crds)
    summary = report.strip().splitlines()[-1]
    assert summary.startswith(f"{len(rendered)} checked, 0 failed"), summary
