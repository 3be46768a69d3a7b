"""CAPO's v1beta1 API (CAPO v0.14) from the v1beta2 objects the renderer makes (CAPO v0.15 on).

Every render is made in v1beta2 first; `to_infrastructure_version(documents, "v1beta1")` then
rewrites the CAPO objects as CAPO's own conversion webhook does (v0.15 `api/v1beta1/conversion.go`,
described in `docs/book/src/topics/crd-changes/v1beta1-to-v1beta2.md`), so both mean the same:

    v1beta2                                          v1beta1
    apiServer.port / .fixedIP / .floatingIP          apiServerPort / apiServerFixedIP /
                                                     apiServerFloatingIP
    apiServer.enableFloatingIP: B                    disableAPIServerFloatingIP: !B
    apiServer.managedLoadBalancer {...}              apiServerLoadBalancer {...} (same fields)
    managedNetwork {mtu, enablePortSecurity: B}      networkMTU, disablePortSecurity: !B
    enableExternalNetwork: B                         disableExternalNetwork: !B
    managedRouter.externalIPs                        externalRouterIPs
    managedSecurityGroups.                           managedSecurityGroups.
        clusterNodesSecurityGroupRules                   allNodesSecurityGroupRules
    machine flavor: {id: X} / {filter: {name: X}}    flavorID: X / flavor: X
    machine ports[].enablePortSecurity: B            ports[].disablePortSecurity: !B

Everything else (identityRef, managedSubnets, externalNetwork, tags, controlPlaneAvailabilityZones,
image, rootVolume, serverGroup, serverMetadata, sshKeyName, ...) is spelt the same in both. A field
this module does not know, or one v0.14 has no place for (`primarySubnet`), is a `ClusterError`:
a field the renderer starts to write must be mapped here before it can reach a v1beta1 cluster.

Only `apiVersion` and the specs change. Names stay: a machine template's name hashes its v1beta2
spec, so the same settings give the same names in either version. An object applied as v1beta1
and later as v1beta2 (after a CAPO upgrade) is then the same object with the same content, and
no machine is rolled for the version change alone.

`choose_management_facts` picks the version for a management cluster from what it serves.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from scs_kaas.errors import ClusterError
from scs_kaas.render.facts import INFRASTRUCTURE_VERSIONS, InfrastructureVersion, ManagementFacts
from scs_kaas.render.metadata import INFRA_API, INFRA_GROUP

INFRA_V1BETA1 = f"{INFRA_GROUP}/v1beta1"
HELM_CHART_PROXY = "HelmChartProxy"

Spec = dict[str, Any]

# Spelt the same in v1beta1 and v1beta2 (CAPO v0.14.7 and v0.15 CRDs).
_SAME_CLUSTER_FIELDS = frozenset(
    {
        "identityRef",
        "managedSubnets",
        "router",
        "network",
        "subnets",
        "externalNetwork",
        "tags",
        "controlPlaneEndpoint",
        "controlPlaneAvailabilityZones",
        "controlPlaneOmitAvailabilityZone",
    }
)
_SAME_LOAD_BALANCER_FIELDS = frozenset(
    {
        "enabled",
        "additionalPorts",
        "allowedCIDRs",
        "provider",
        "network",
        "subnets",
        "availabilityZone",
        "flavor",
        "monitor",
    }
)
_API_SERVER_FIELDS = {
    "port": "apiServerPort",
    "fixedIP": "apiServerFixedIP",
    "floatingIP": "apiServerFloatingIP",
}
_SAME_SECURITY_GROUP_FIELDS = frozenset(
    {
        "allowAllInClusterTraffic",
        "controlPlaneNodesSecurityGroupRules",
        "workerNodesSecurityGroupRules",
    }
)
_SAME_BASTION_FIELDS = frozenset({"enabled", "availabilityZone", "floatingIP"})
_SAME_MACHINE_FIELDS = frozenset(
    {
        "providerID",
        "image",
        "sshKeyName",
        "securityGroups",
        "trunk",
        "tags",
        "serverMetadata",
        "configDrive",
        "rootVolume",
        "additionalBlockDevices",
        "serverGroup",
        "identityRef",
        "floatingIPPoolRef",
        "schedulerHintAdditionalProperties",
    }
)
_SAME_PORT_FIELDS = frozenset(
    {
        "network",
        "description",
        "nameSuffix",
        "fixedIPs",
        "securityGroups",
        "tags",
        "trunk",
        "adminStateUp",
        "macAddress",
        "allowedAddressPairs",
        "hostID",
        "vnicType",
        "profile",
        "propagateUplinkStatus",
        "valueSpecs",
    }
)


def _unknown(where: str, key: str) -> ClusterError:
    return ClusterError(
        f"{where}.{key} has no CAPO v1beta1 form (CAPO v0.14); the management cluster needs "
        "CAPO v0.15 or later (infrastructure.cluster.x-k8s.io/v1beta2) for it"
    )


def _same(value: Mapping[str, Any], fields: Collection[str], where: str) -> Spec:
    for key in value:
        if key not in fields:
            raise _unknown(where, key)
    return dict(value)


def _api_server(value: Mapping[str, Any], where: str) -> Spec:
    out: Spec = {}
    for key, item in value.items():
        if key in _API_SERVER_FIELDS:
            out[_API_SERVER_FIELDS[key]] = item
        elif key == "enableFloatingIP":
            out["disableAPIServerFloatingIP"] = not item
        elif key == "managedLoadBalancer":
            out["apiServerLoadBalancer"] = _same(
                item, _SAME_LOAD_BALANCER_FIELDS, f"{where}.managedLoadBalancer"
            )
        else:
            raise _unknown(where, key)
    return out


def _managed_network(value: Mapping[str, Any], where: str) -> Spec:
    out: Spec = {}
    for key, item in value.items():
        if key == "mtu":
            out["networkMTU"] = item
        elif key == "enablePortSecurity":
            out["disablePortSecurity"] = not item
        else:
            raise _unknown(where, key)
    return out


def _managed_router(value: Mapping[str, Any], where: str) -> Spec:
    _same(value, {"externalIPs"}, where)
    return {"externalRouterIPs": value["externalIPs"]} if "externalIPs" in value else {}


def _security_groups(value: Mapping[str, Any], where: str) -> Spec:
    out: Spec = {}
    for key, item in value.items():
        if key in _SAME_SECURITY_GROUP_FIELDS:
            out[key] = item
        elif key == "clusterNodesSecurityGroupRules":
            out["allNodesSecurityGroupRules"] = item
        else:
            raise _unknown(where, key)
    return out


def _bastion(value: Mapping[str, Any], where: str) -> Spec:
    out: Spec = {}
    for key, item in value.items():
        if key in _SAME_BASTION_FIELDS:
            out[key] = item
        elif key == "spec":
            out[key] = machine_spec_v1beta1(item, f"{where}.spec")
        else:
            raise _unknown(where, key)
    return out


def _flavor(value: Mapping[str, Any], where: str) -> Spec:
    if set(value) == {"id"}:
        return {"flavorID": value["id"]}
    if set(value) == {"filter"} and set(value["filter"]) == {"name"}:
        return {"flavor": value["filter"]["name"]}
    raise ClusterError(f"{where} {dict(value)!r} has no CAPO v1beta1 form (an id or a name)")


def _port(value: Mapping[str, Any], where: str) -> Spec:
    out: Spec = {}
    for key, item in value.items():
        if key in _SAME_PORT_FIELDS:
            out[key] = item
        elif key == "enablePortSecurity":
            out["disablePortSecurity"] = not item
        else:
            raise _unknown(where, key)
    return out


def cluster_spec_v1beta1(spec: Mapping[str, Any], where: str = "OpenStackCluster.spec") -> Spec:
    """An OpenStackCluster (or OpenStackClusterTemplate) spec, v1beta2 to v1beta1."""
    converters: dict[str, Callable[[Any, str], Spec]] = {
        "apiServer": _api_server,
        "managedNetwork": _managed_network,
        "managedRouter": _managed_router,
    }
    out: Spec = {}
    for key, value in spec.items():
        if key in _SAME_CLUSTER_FIELDS:
            out[key] = value
        elif key in converters:
            out.update(converters[key](value, f"{where}.{key}"))
        elif key == "enableExternalNetwork":
            out["disableExternalNetwork"] = not value
        elif key == "managedSecurityGroups":
            out[key] = _security_groups(value, f"{where}.{key}")
        elif key == "bastion":
            out[key] = _bastion(value, f"{where}.{key}")
        else:
            raise _unknown(where, key)
    return out


def machine_spec_v1beta1(spec: Mapping[str, Any], where: str = "OpenStackMachine.spec") -> Spec:
    """An OpenStackMachine spec (also a template's and the bastion's), v1beta2 to v1beta1."""
    out: Spec = {}
    for key, value in spec.items():
        if key in _SAME_MACHINE_FIELDS:
            out[key] = value
        elif key == "flavor":
            out.update(_flavor(value, f"{where}.flavor"))
        elif key == "ports":
            out[key] = [_port(port, f"{where}.ports[{index}]") for index, port in enumerate(value)]
        else:
            raise _unknown(where, key)
    return out


def _template(spec: Mapping[str, Any], kind: str, convert: Callable[[Any, str], Spec]) -> Spec:
    template = spec["template"]
    _same(spec, {"template"}, f"{kind}.spec")
    _same(template, {"spec"}, f"{kind}.spec.template")  # v1beta1 has no template.metadata
    return {"template": {"spec": convert(template["spec"], f"{kind}.spec.template.spec")}}


def _to_v1beta1(original: Mapping[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(dict(original))  # the converters share values with their input
    kind = str(document["kind"])
    spec = document.get("spec") or {}
    if kind == "OpenStackCluster":
        converted = cluster_spec_v1beta1(spec, f"{kind}.spec")
    elif kind == "OpenStackMachine":
        converted = machine_spec_v1beta1(spec, f"{kind}.spec")
    elif kind == "OpenStackClusterTemplate":
        converted = _template(spec, kind, cluster_spec_v1beta1)
    elif kind == "OpenStackMachineTemplate":
        converted = _template(spec, kind, machine_spec_v1beta1)
    else:
        raise ClusterError(f"{kind} of {INFRA_API} has no known CAPO v1beta1 form")
    document["apiVersion"] = INFRA_V1BETA1
    if "spec" in document:
        document["spec"] = converted
    return document


def to_infrastructure_version(
    documents: Iterable[dict[str, Any]], version: InfrastructureVersion
) -> list[dict[str, Any]]:
    """`documents` with their CAPO v1beta2 objects in `version`; the others as they are."""
    if version == "v1beta2":
        return list(documents)
    return [_to_v1beta1(d) if d.get("apiVersion") == INFRA_API else d for d in documents]


def helm_chart_proxy_versions(documents: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The CAAPH API versions the rendered add-ons need (none without a Helm add-on)."""
    return frozenset(
        str(d["apiVersion"]).rpartition("/")[2]
        for d in documents
        if d.get("kind") == HELM_CHART_PROXY
    )


def _listed(versions: Collection[str]) -> str:
    return ", ".join(sorted(versions)) or "none"


def choose_management_facts(
    *,
    openstack_cluster: Sequence[str],
    cluster: Sequence[str],
    openstack_machine_template: Sequence[str] | None = None,
    helm_chart_proxy: Sequence[str],
    needs_helm_chart_proxy: Collection[str] = (),
    server: str = "the management cluster",
) -> ManagementFacts:
    """The CAPO API to write for a management cluster, from the versions it serves of
    OpenStackCluster (CAPO), Cluster (CAPI), HelmChartProxy (CAAPH) and, if given,
    OpenStackMachineTemplate: v1beta2 when served, else v1beta1. A ClusterError names every
    missing version when the manifests cannot work there (CAPI's v1beta2 objects are written
    whatever CAPO serves; the Helm add-ons need CAAPH)."""
    problems: list[str] = []
    chosen = next((v for v in INFRASTRUCTURE_VERSIONS if v in openstack_cluster), None)
    if chosen is None:
        problems.append(
            "CAPO must serve openstackclusters.infrastructure.cluster.x-k8s.io in v1beta2 "
            f"(CAPO v0.15 or later) or v1beta1 (CAPO v0.14); it serves "
            f"{_listed(openstack_cluster)}"
        )
    elif openstack_machine_template is not None and chosen not in openstack_machine_template:
        problems.append(
            "CAPO must serve openstackmachinetemplates.infrastructure.cluster.x-k8s.io in "
            f"{chosen} as it does openstackclusters; it serves "
            f"{_listed(openstack_machine_template)}"
        )
    if "v1beta2" not in cluster:
        problems.append(
            "Cluster API must serve clusters.cluster.x-k8s.io in v1beta2 (CAPI v1.11 or later); "
            f"it serves {_listed(cluster)}"
        )
    missing = sorted(set(needs_helm_chart_proxy) - set(helm_chart_proxy))
    if missing:
        problems.append(
            "the Helm add-ons need CAAPH serving helmchartproxies.addons.cluster.x-k8s.io in "
            f"{', '.join(missing)}; it serves {_listed(helm_chart_proxy)}"
        )
    if problems or chosen is None:
        raise ClusterError(f"{server} cannot take this cluster: " + "; ".join(problems))
    return ManagementFacts(infrastructure_version=chosen)
