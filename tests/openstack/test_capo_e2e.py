"""`kaas cluster create` and `delete` end to end: the real management cluster (kube-apiserver,
the Cluster API controllers, CAPO v0.14.7) drives the real local cloud.

What is real: every object is admitted, defaulted and validated by the providers' webhooks; CAPO
creates the network, subnet, router, security groups, API load balancer with its floating IP,
and the control-plane server from the bootstrap data the kubeadm provider wrote. What is not:
no VM boots, so no node ever joins; the conditions that wait for one are asserted as the real
controllers leave them.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openstack.connection import Connection

from scs_kaas.kube.client import KubeClient
from scs_kaas.kube.wait import wait_for
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.resources import EXTERNAL_CIDR
from scs_kaas.polling import wait_until
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.cluster import create as cluster_create
from scs_kaas.workflows.cluster import delete as cluster_delete
from scs_kaas.workflows.cluster.create import CreateOptions
from scs_kaas.workflows.cluster.facts import resolve_facts
from scs_kaas.workflows.cluster.target import ClusterTarget
from scs_kaas.workflows.devcloud import prepare_for_clusters
from tests.openstack.cloud_cli import credentials
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

CAPI = "cluster.x-k8s.io/v1beta2"
CAPO = "infrastructure.cluster.x-k8s.io/v1beta1"  # CAPO v0.14.7 serves no v1beta2
KCP = "controlplane.cluster.x-k8s.io/v1beta2"
CP_FLAVOR = "SCS-2V-4-20s"  # a root disk: the control plane boots from the image
WORKER_FLAVOR = "SCS-2V-4"  # diskless: workers get a root volume
TIMEOUT = 300.0


def _settings(prefix: str, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "cloud": "localcloud",
        "prefix": prefix,
        "control_plane": {"count": 1, "flavor": CP_FLAVOR},
        "node_groups": [{"name": "md-0", "count": 2, "flavor": WORKER_FLAVOR}],
    }
    values.update(more)
    return Settings(**values)


@pytest.fixture
def prefix(project: Project, localcloud: LocalCloud, tmp_path: Path) -> str:
    """A prefix of this test's own, with the node image and keypair `kaas devcloud up` makes."""
    name = f"e{secrets.token_hex(3)}"
    image_file = localcloud.layout.data / "scratch" / "ubuntu-24.04.qcow2"
    prepare_for_clusters(project.user, _settings(name), image_file, tmp_path / "key")
    return name


@pytest.fixture
def cluster(project: Project, kube: KubeClient, prefix: str) -> Iterator[str]:
    """The cluster's name (unique: CAPO names cloud resources after namespace and name).

    Deleted afterwards, before the project is purged, so CAPO is not left retrying on it."""
    name = f"c{secrets.token_hex(3)}"
    yield name
    cluster_delete.run(
        project.user, kube, ClusterTarget(prefix, f"{prefix}-{name}", name), timeout=TIMEOUT
    )


def _get(kube: KubeClient, api: str, kind: str, namespace: str) -> list[dict[str, Any]]:
    items = kube.resource(api, kind).get(namespace=namespace).to_dict()["items"]
    return sorted(items, key=lambda o: str(o["metadata"]["name"]))


def _conditions(obj: dict[str, Any]) -> dict[str, tuple[str, str]]:
    listed = (obj.get("status") or {}).get("conditions") or []
    return {c["type"]: (c["status"], c.get("reason", "")) for c in listed}


def _infrastructure_ready(obj: Any) -> bool:
    return bool((obj.get("status") or {}).get("ready"))  # the v1beta1 contract's flag


def _tagged(conn: Connection, tags: list[str]) -> dict[str, list[str]]:
    """Names of everything in the project carrying all of `tags`, by kind."""
    query = {"tags": ",".join(tags)}
    return {
        "network": sorted(n.name for n in conn.network.networks(**query)),
        "subnet": sorted(s.name for s in conn.network.subnets(**query)),
        "router": sorted(r.name for r in conn.network.routers(**query)),
        "security_group": sorted(g.name for g in conn.network.security_groups(**query)),
        "floating_ip": sorted(f.floating_ip_address for f in conn.network.ips(**query)),
        "load_balancer": sorted(
            lb.name for lb in conn.load_balancer.load_balancers() if set(tags) <= set(lb.tags)
        ),
        "server": sorted(s.name for s in conn.compute.servers() if set(tags) <= set(s.tags or [])),
    }


def test_create_makes_capo_build_the_infrastructure_and_the_control_plane_server(
    project: Project, admin: Connection, kube: KubeClient, prefix: str, cluster: str
) -> None:
    conn = project.user
    ns = f"{prefix}-{cluster}"  # the namespace: unique per prefix
    settings = _settings(prefix)
    result = cluster_create.run(conn, kube, settings, cluster, options=CreateOptions(wait=False))
    assert result.credential == "created"

    infra = _wait_named(
        kube,
        CAPO,
        "OpenStackCluster",
        ns,
        cluster,
        lambda o: bool((o.get("status") or {}).get("ready")),
    )
    status = infra["status"]
    r = f"{ns}-{cluster}"  # CAPO's names: namespace-name
    tags = ["managed-by=scs-kaas", f"prefix={prefix}", f"cluster={cluster}"]
    made = _tagged(conn, tags)
    assert made["network"] == [f"k8s-clusterapi-cluster-{r}"]
    assert made["subnet"] == [f"k8s-clusterapi-cluster-{r}"]
    assert made["router"] == [f"k8s-clusterapi-cluster-{r}"]
    assert made["security_group"] == [
        f"k8s-cluster-{r}-secgroup-controlplane",
        f"k8s-cluster-{r}-secgroup-worker",
    ]
    assert made["load_balancer"] == [f"k8s-clusterapi-cluster-{r}-kubeapi"]
    balancer = status["apiServerLoadBalancer"]
    assert made["floating_ip"] == [balancer["ip"]]
    # the API floating IP sits on the load balancer's VIP, a real Neutron port
    (fip,) = conn.network.ips(floating_ip_address=balancer["ip"])
    vip = conn.load_balancer.get_load_balancer(balancer["id"])
    assert fip.port_id == vip.vip_port_id and conn.network.get_port(vip.vip_port_id)
    network = conn.network.find_network(made["network"][0])
    assert network is not None and status["network"]["id"] == network.id

    # KCP's machine: the kubeadm provider writes its bootstrap data, CAPO boots the server
    def has_provider_id(machine: Any) -> bool:
        return bool(machine["spec"].get("providerID"))

    def has_a_machine(kcp: Any) -> bool:
        return int((kcp.get("status") or {}).get("replicas") or 0) >= 1

    _wait_named(kube, KCP, "KubeadmControlPlane", ns, f"{cluster}-control-plane", has_a_machine)
    (machine,) = [
        m
        for m in _get(kube, CAPI, "Machine", ns)
        if "cluster.x-k8s.io/control-plane" in m["metadata"]["labels"]
    ]
    machine = _wait_named(kube, CAPI, "Machine", ns, machine["metadata"]["name"], has_provider_id)
    server_id = machine["spec"]["providerID"].removeprefix("openstack:///")
    assert machine["spec"]["providerID"] == f"openstack:///{server_id}"
    server = conn.compute.get_server(server_id)
    assert server.status == "ACTIVE" and server.name == machine["metadata"]["name"]
    assert server.flavor["original_name"] == CP_FLAVOR
    assert conn.image.get_image(server.image["id"]).name == settings.node_image_name
    assert server.key_name == f"{prefix}-keypair"
    assert set(tags) <= set(server.tags)
    # user data is shown to admins only (os-extended-server-attributes)
    user_data = base64.b64decode(admin.compute.get_server(server_id).user_data or "").decode()
    assert "kubeadm init" in user_data  # the control plane's own bootstrap, not a join

    # workers: the MachineSet makes their machines at once; their bootstrap waits for the
    # control plane to be initialized, which needs a node: they get no server
    workers = [
        m
        for m in _get(kube, CAPO, "OpenStackMachine", ns)
        if "cluster.x-k8s.io/control-plane" not in m["metadata"]["labels"]
    ]
    assert len(workers) == 2
    assert all(not (m.get("spec") or {}).get("providerID") for m in workers)

    # what stays False because no node joins, as the real controllers leave it
    cluster_conditions = _conditions(_get(kube, CAPI, "Cluster", ns)[0])
    assert cluster_conditions["InfrastructureReady"][0] == "True"
    assert cluster_conditions["ControlPlaneInitialized"] == ("False", "NotInitialized")
    assert cluster_conditions["Available"][0] == "False"
    assert credentials(conn, prefix, cluster) == [result.credential_id]


def _wait_named(
    kube: KubeClient, api: str, kind: str, namespace: str, name: str, what: Any
) -> dict[str, Any]:
    found = wait_for(kube, api, kind, name, namespace, lambda o: o is not None and what(o), TIMEOUT)
    assert found is not None
    return dict(found)


def test_delete_removes_what_capo_made_and_the_credential_last_but_nothing_foreign(
    project: Project, kube: KubeClient, prefix: str, cluster: str
) -> None:
    conn = project.user
    ns = f"{prefix}-{cluster}"
    settings = _settings(prefix, node_groups=[{"name": "md-0", "count": 1}])
    cluster_create.run(conn, kube, settings, cluster, options=CreateOptions(wait=False))
    _wait_named(
        kube,
        CAPO,
        "OpenStackCluster",
        ns,
        cluster,
        lambda o: bool((o.get("status") or {}).get("ready")),
    )
    # a network and a server of somebody else in the same project, named with our cluster's
    # name in front (what R1's grep-based cleanup deleted). Not CAPO's own network name: a
    # second network of that name makes CAPO v0.14.7 fail the deletion for good ("found 2
    # networks with the name ..."), see the renderer issue (names unique per prefix).
    foreign = conn.network.create_network(name=f"{cluster}-foreign")
    conn.network.create_subnet(network_id=foreign.id, ip_version=4, cidr="10.99.0.0/24")
    image = conn.image.find_image(settings.node_image_name)
    flavor = conn.compute.find_flavor(CP_FLAVOR)
    assert image is not None and flavor is not None
    other = conn.compute.create_server(
        name=f"{cluster}-control-plane-other",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": foreign.id}],
    )
    conn.compute.wait_for_server(other, wait=TIMEOUT)

    tags = ["managed-by=scs-kaas", f"prefix={prefix}", f"cluster={cluster}"]
    assert any(_tagged(conn, tags).values())
    result = cluster_delete.run(conn, kube, ClusterTarget(prefix, ns, cluster), timeout=TIMEOUT)
    assert result is not None
    assert _tagged(conn, tags) == {kind: [] for kind in _tagged(conn, tags)}
    assert [v for v in conn.block_storage.volumes() if v.name.startswith(cluster)] == []
    assert credentials(conn, prefix, cluster) == []
    assert _get(kube, CAPI, "Cluster", ns) == []
    # what is not ours stays
    assert conn.network.get_network(foreign.id) is not None
    assert conn.compute.get_server(other.id).status == "ACTIVE"
    conn.compute.delete_server(other.id)


def test_a_changed_flavor_makes_a_new_template_and_a_changed_count_scales_the_machines(
    project: Project, kube: KubeClient, prefix: str, cluster: str
) -> None:
    """KCP moves to the new template at once; replacing its machine needs an initialized
    control plane, so a node (none joins here). The MachineDeployment scales its
    OpenStackMachines without one."""
    conn = project.user
    ns = f"{prefix}-{cluster}"
    options = CreateOptions(wait=False)
    cluster_create.run(conn, kube, _settings(prefix), cluster, options=options)
    kcp_name = f"{cluster}-control-plane"

    def first_machine(kcp: Any) -> bool:
        return int((kcp.get("status") or {}).get("replicas") or 0) == 1

    _wait_named(kube, KCP, "KubeadmControlPlane", ns, kcp_name, first_machine)
    (before,) = _get(kube, KCP, "KubeadmControlPlane", ns)
    old_template = before["spec"]["machineTemplate"]["spec"]["infrastructureRef"]["name"]

    bigger = _settings(
        prefix,
        control_plane={"count": 1, "flavor": "SCS-4V-8-50"},
        node_groups=[{"name": "md-0", "count": 3, "flavor": WORKER_FLAVOR}],
    )
    again = cluster_create.run(conn, kube, bigger, cluster, options=options)
    new_template = f"OpenStackMachineTemplate.infrastructure.cluster.x-k8s.io {ns}/"
    (created,) = [ref for ref in again.created if ref.startswith(new_template)]
    template_name = created.rsplit("/", 1)[1]
    assert template_name != old_template and template_name.startswith(kcp_name)
    (spec,) = [
        t["spec"]["template"]["spec"]
        for t in _get(kube, CAPO, "OpenStackMachineTemplate", ns)
        if t["metadata"]["name"] == template_name
    ]
    assert spec["flavor"] == "SCS-4V-8-50"  # v1beta1 spelling of the flavor
    (after,) = _get(kube, KCP, "KubeadmControlPlane", ns)
    assert after["spec"]["machineTemplate"]["spec"]["infrastructureRef"]["name"] == template_name

    def three_workers(md: Any) -> bool:
        return int((md.get("status") or {}).get("replicas") or 0) == 3

    _wait_named(kube, CAPI, "MachineDeployment", ns, f"{cluster}-md-0", three_workers)
    workers = [
        m
        for m in _get(kube, CAPO, "OpenStackMachine", ns)
        if "cluster.x-k8s.io/control-plane" not in m["metadata"]["labels"]
    ]
    assert len(workers) == 3
    # the rollout itself waits for an initialized control plane (RollingOut may already
    # say True): that needs a node
    assert _conditions(after)["Initialized"] == ("False", "NotInitialized")


HCP = "addons.cluster.x-k8s.io/v1alpha1"
HCP_LABEL = "helmreleaseproxy.addons.cluster.x-k8s.io/helmchartproxy-name"


def test_the_real_caaph_accepts_every_helm_chart_proxy_and_each_selects_only_its_cluster(
    project: Project, kube: KubeClient, prefix: str
) -> None:
    """Two clusters in one namespace: every HelmChartProxy of each matches exactly its own
    Cluster, and CAAPH makes one HelmReleaseProxy for it (the release then waits for the
    workload cluster, which never answers here)."""
    conn = project.user
    shared = f"n{secrets.token_hex(3)}"
    names = [f"a{secrets.token_hex(3)}", f"b{secrets.token_hex(3)}"]
    settings = _settings(prefix, namespace=shared)
    try:
        for name in names:
            cluster_create.run(conn, kube, settings, name, options=CreateOptions(wait=False))
        proxies = _get(kube, HCP, "HelmChartProxy", shared)
        assert len(proxies) >= 2 * 4  # CNI, CCM, CSI, ... of each cluster
        for proxy in proxies:
            name = proxy["metadata"]["name"]
            owner = proxy["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"]
            assert owner in names and name.startswith(f"{owner}-")

            def matches_only_owner(obj: Any, owner: str = owner) -> bool:
                matching = (obj.get("status") or {}).get("matchingClusters") or []
                return [m["name"] for m in matching] == [owner]

            _wait_named(kube, HCP, "HelmChartProxy", shared, name, matches_only_owner)
        for proxy in proxies:
            name = proxy["metadata"]["name"]
            owner = proxy["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"]

            def released(name: str = name) -> bool:
                found = kube.resource(HCP, "HelmReleaseProxy").get(
                    namespace=shared, label_selector=f"{HCP_LABEL}={name}"
                )
                return len(found.to_dict()["items"]) == 1

            # CAAPH need not touch the proxy again after making the release: poll for it
            wait_until(released, TIMEOUT, f"the HelmReleaseProxy of {name}")
            (release,) = (
                kube.resource(HCP, "HelmReleaseProxy")
                .get(namespace=shared, label_selector=f"{HCP_LABEL}={name}")
                .to_dict()["items"]
            )
            assert release["spec"]["clusterRef"]["name"] == owner
            assert release["spec"]["chartName"] == proxy["spec"]["chartName"]
    finally:
        for name in names:
            cluster_delete.run(conn, kube, ClusterTarget(prefix, shared, name), timeout=TIMEOUT)


def test_facts_name_the_external_subnets_only_for_a_floating_ip_on_the_control_plane(
    project: Project, prefix: str
) -> None:
    """Without an API load balancer CAPO puts the floating IP on the control-plane machine, so
    its node has an address from the external network, which the CSR approver must admit."""
    direct = resolve_facts(project.user, _settings(prefix, api_server={"load_balancer": False}))
    assert direct.floating_ip_cidrs == (EXTERNAL_CIDR,)
    assert direct.external_network_id == project.external_network_id
    assert resolve_facts(project.user, _settings(prefix)).floating_ip_cidrs == ()
