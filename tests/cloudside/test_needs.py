"""Needs from settings, and their comparison with quotas (openstack/check.py is pure)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from scs_kaas.openstack.check import (
    Finding,
    FlavorSpec,
    Quota,
    check_endpoints,
    check_external_network,
    check_flavors,
    check_images,
    compare,
    machines,
    needs,
)
from scs_kaas.settings.model import Settings

FLAVORS = {
    "SCS-2V-4": FlavorSpec("SCS-2V-4", 2, 4096, 0),
    "SCS-2V-4-20s": FlavorSpec("SCS-2V-4-20s", 2, 4096, 20),
    "SCS-4V-8-50": FlavorSpec("SCS-4V-8-50", 4, 8192, 50),
}


def settings(**data: Any) -> Settings:
    return Settings.model_validate(data)


def test_defaults_with_management_host_and_cluster() -> None:
    defaults = settings()
    wanted = machines(defaults, include_cluster=True, include_management=True)
    assert [(m.setting, m.flavor, m.count) for m in wanted] == [
        ("management.flavor", "SCS-2V-4", 1),
        ("control_plane.flavor", "SCS-2V-4-20s", 1),
        ("node_groups[0].flavor", "SCS-2V-4", 3),
    ]
    assert needs(defaults, wanted, FLAVORS, include_cluster=True) == Counter(
        instances=5,
        cores=10,
        ram=5 * 4096,
        # diskless SCS-2V-4: the host's 30 GiB root volume, 3 workers at 25 GiB
        volumes=4,
        gigabytes=30 + 3 * 25,
        networks=2,
        routers=2,
        # host, CAPO control plane + workers, the ingress LB's group
        security_groups=4,
        floating_ips=2,
        load_balancers=2,
    )


def test_management_only_and_existing_management_cluster() -> None:
    defaults = settings()
    only_host = machines(defaults, include_cluster=False, include_management=True)
    assert needs(defaults, only_host, FLAVORS, include_cluster=False) == Counter(
        instances=1,
        cores=2,
        ram=4096,
        volumes=1,
        gigabytes=30,
        networks=1,
        routers=1,
        security_groups=1,
        floating_ips=1,
    )
    external = settings(management={"kubeconfig": "/k"})
    assert machines(external, include_cluster=False, include_management=True) == []


def test_autoscaling_volumes_server_groups_and_no_lb() -> None:
    custom = settings(
        control_plane={"flavor": "SCS-4V-8-50", "server_group": "anti-affinity"},
        node_groups=[
            {
                "name": "a",
                "flavor": "SCS-4V-8-50",
                "count": 1,
                "autoscale_min": 0,
                "autoscale_max": 4,
            },
            {"name": "b", "flavor": "SCS-4V-8-50", "count": 2, "root_volume": {"size_gib": 80}},
        ],
        api_server={"load_balancer": False, "floating_ip": False},
        addons={"ingress_nginx": False, "traefik": False},
    )
    wanted = machines(custom, include_cluster=True, include_management=False)
    need = needs(custom, wanted, FLAVORS, include_cluster=True)
    assert need["instances"] == 1 + 4 + 2
    assert need["cores"] == 7 * 4
    assert (need["volumes"], need["gigabytes"]) == (2, 160)
    assert need["server_groups"] == 1
    assert need["load_balancers"] == need["floating_ips"] == 0
    assert need["security_groups"] == 2


def test_compare_reports_shortfalls_and_unlimited() -> None:
    findings = compare(
        Counter(instances=5, cores=10, ram=100),
        {
            "instances": Quota("instances", 10, 8),
            "cores": Quota("cores", None, 50),
            "ram": Quota("ram", 1000, 2000),  # over quota already: nothing free
        },
    )
    assert findings == [
        Finding(
            "quota",
            "servers",
            False,
            "need 5, free 2 (limit 10, used 8): short by 3",
        ),
        Finding("quota", "vCPUs", True, "need 10, free unlimited (limit unlimited, used 50)"),
        Finding(
            "quota",
            "RAM",
            False,
            "need 100 MiB, free 0 MiB (limit 1000 MiB, used 2000 MiB): short by 100 MiB",
        ),
    ]


def test_unknown_quota_is_not_a_failure() -> None:
    assert compare(Counter(load_balancers=1), {}) == [
        Finding("quota", "load balancers", True, "need 1")
    ]


def test_endpoints_and_flavors() -> None:
    assert check_endpoints({"compute": "http://n", "load-balancer": None}) == [
        Finding("endpoint", "compute", True, "http://n"),
        Finding("endpoint", "load-balancer", False, "not in the service catalog"),
    ]
    wanted = machines(
        settings(control_plane={"flavor": "nope"}), include_cluster=True, include_management=True
    )
    findings = check_flavors(wanted, FLAVORS)
    assert [(f.name, f.ok) for f in findings] == [("SCS-2V-4", True), ("nope", False)]
    assert findings[0].detail == (
        "2 vCPUs, 4096 MiB RAM, no disk: boots from a volume "
        "(management.flavor, node_groups[0].flavor)"
    )
    assert findings[1].detail == "not found (used by control_plane.flavor)"


def test_external_network_by_name_id_or_the_only_one() -> None:
    networks = [("id-1", "public")]
    assert check_external_network(None, networks) == Finding(
        "network", "public", True, "the only external network"
    )
    assert check_external_network("id-1", networks).ok
    assert check_external_network("public", networks).ok
    missing = check_external_network("other", networks)
    assert (missing.ok, missing.detail) == (
        False,
        "not an external network here (external: public)",
    )
    two = check_external_network(None, [*networks, ("id-2", "ext")])
    assert (two.ok, two.detail) == (
        False,
        "2 external networks (ext, public); set external_network to one",
    )
    assert not check_external_network(None, []).ok


def test_images_management_must_be_active_node_image_only_noted() -> None:
    findings = check_images("Ubuntu 24.04", ["queued"], "ubuntu-capi-image-v1.34.1", [])
    assert findings == [
        Finding("image", "Ubuntu 24.04", False, "is queued (management.image)"),
        Finding(
            "image",
            "ubuntu-capi-image-v1.34.1",
            True,
            "does not exist: `kaas image ensure` uploads it (node image)",
        ),
    ]
    assert check_images("Ubuntu 24.04", ["active"], None, []) == [
        Finding("image", "Ubuntu 24.04", True, "active (management.image)")
    ]
