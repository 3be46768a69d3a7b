"""What an environment needs from a cloud, and whether the cloud has it. Pure: no openstacksdk.

`openstack.quotas` fetches the facts (endpoints, flavors, quota limits and usage); this module
turns settings into needs and compares. Counts follow what gets created:

- the management host (unless `management.kubeconfig` names an existing management cluster):
  one server, a network and router, a security group, a floating IP, a root volume when its
  flavor has no disk;
- a workload cluster: its control plane and node groups (an autoscaled group at its maximum),
  a root volume per machine whose flavor has no disk (or that asks for one), CAPO's network,
  router and two security groups (control plane, workers), the API load balancer and its
  floating IP, and the ingress controller's load balancer (its security group made by the cloud
  controller manager).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from scs_kaas.render.flavors import root_volume_size
from scs_kaas.settings.model import Settings

# The services the tool calls, by their service-types-authority names.
REQUIRED_SERVICES = ("identity", "compute", "network", "load-balancer", "block-storage", "image")

# resource -> (what the user reads, unit)
RESOURCES = {
    "instances": ("servers", ""),
    "cores": ("vCPUs", ""),
    "ram": ("RAM", "MiB"),
    "volumes": ("volumes", ""),
    "gigabytes": ("volume storage", "GiB"),
    "floating_ips": ("floating IPs", ""),
    "load_balancers": ("load balancers", ""),
    "security_groups": ("security groups", ""),
    "networks": ("networks", ""),
    "routers": ("routers", ""),
    "server_groups": ("server groups", ""),
}


@dataclass(frozen=True)
class FlavorSpec:
    name: str
    vcpus: int
    ram_mib: int
    disk_gib: int


@dataclass(frozen=True)
class Machines:
    """`count` servers of one flavor, for the setting `setting`."""

    setting: str
    flavor: str
    count: int
    root_volume_gib: int | None  # explicit size; None: decided by the flavor's disk
    server_group: bool = False


@dataclass(frozen=True)
class Quota:
    """A limit and its use; `limit` None means unlimited."""

    resource: str
    limit: int | None
    used: int

    @property
    def free(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


@dataclass(frozen=True)
class Finding:
    kind: str  # endpoint, flavor, quota
    name: str
    ok: bool
    detail: str


def machines(settings: Settings, include_cluster: bool, include_management: bool) -> list[Machines]:
    found = []
    if include_management and settings.management.kubeconfig is None:
        found.append(Machines("management.flavor", settings.management.flavor, 1, None))
    if include_cluster:
        plane = settings.control_plane
        found.append(
            Machines(
                "control_plane.flavor",
                plane.flavor,
                plane.count,
                plane.root_volume.size_gib,
                plane.server_group != "none",
            )
        )
        for index, group in enumerate(settings.node_groups):
            found.append(
                Machines(
                    f"node_groups[{index}].flavor",
                    group.flavor,
                    max(group.count, group.autoscale_max or 0),
                    group.root_volume.size_gib,
                    group.server_group != "none",
                )
            )
    return found


def needs(
    settings: Settings,
    wanted: list[Machines],
    flavors: dict[str, FlavorSpec],
    include_cluster: bool,
) -> Counter[str]:
    """How much of each quota the machines and their networking take (missing flavors: 0)."""
    need: Counter[str] = Counter()
    disks = {name: spec.disk_gib for name, spec in flavors.items()}
    for group in wanted:
        need["instances"] += group.count
        spec = flavors.get(group.flavor)
        if spec is not None:
            need["cores"] += group.count * spec.vcpus
            need["ram"] += group.count * spec.ram_mib
        default = (
            settings.management.root_volume_gib
            if group.setting == "management.flavor"
            else settings.image.default_root_volume_gib
        )
        volume = root_volume_size(group.root_volume_gib, group.flavor, disks, default)
        if volume is not None and group.count:
            need["volumes"] += group.count
            need["gigabytes"] += group.count * volume
        need["server_groups"] += int(group.server_group)
    if any(g.setting == "management.flavor" for g in wanted):
        need.update(networks=1, routers=1, security_groups=1, floating_ips=1)
    if include_cluster:
        need.update(networks=1, routers=1, security_groups=2)
        api = settings.api_server
        need["load_balancers"] += int(api.load_balancer)
        need["floating_ips"] += int(api.floating_ip and api.floating_ip_address is None)
        if settings.addons.ingress_nginx or settings.addons.traefik:
            need.update(load_balancers=1, security_groups=1)
    return need


def _amount(resource: str, value: int | None) -> str:
    if value is None:
        return "unlimited"
    unit = RESOURCES.get(resource, (resource, ""))[1]
    return f"{value} {unit}".strip()


def compare(need: Counter[str], quotas: dict[str, Quota]) -> list[Finding]:
    """One finding per needed resource: short when the free quota is less than the need."""
    findings = []
    for resource, wanted in sorted(need.items(), key=lambda item: list(RESOURCES).index(item[0])):
        if wanted <= 0:
            continue
        label = RESOURCES[resource][0]
        quota = quotas.get(resource)
        if quota is None:
            findings.append(Finding("quota", label, True, f"need {_amount(resource, wanted)}"))
            continue
        free = quota.free
        ok = free is None or free >= wanted
        detail = (
            f"need {_amount(resource, wanted)}, free {_amount(resource, free)} "
            f"(limit {_amount(resource, quota.limit)}, used {_amount(resource, quota.used)})"
        )
        if not ok and free is not None:
            detail += f": short by {_amount(resource, wanted - free)}"
        findings.append(Finding("quota", label, ok, detail))
    return findings


def check_endpoints(endpoints: dict[str, str | None]) -> list[Finding]:
    return [
        Finding("endpoint", service, url is not None, url or "not in the service catalog")
        for service, url in endpoints.items()
    ]


def check_flavors(wanted: list[Machines], flavors: dict[str, FlavorSpec]) -> list[Finding]:
    findings = []
    for name in dict.fromkeys(g.flavor for g in wanted):
        settings_using = ", ".join(g.setting for g in wanted if g.flavor == name)
        spec = flavors.get(name)
        if spec is None:
            findings.append(Finding("flavor", name, False, f"not found (used by {settings_using})"))
        else:
            disk = f"{spec.disk_gib} GiB disk" if spec.disk_gib else "no disk: boots from a volume"
            findings.append(
                Finding(
                    "flavor",
                    name,
                    True,
                    f"{spec.vcpus} vCPUs, {spec.ram_mib} MiB RAM, {disk} ({settings_using})",
                )
            )
    return findings


def check_external_network(wanted: str | None, networks: list[tuple[str, str]]) -> Finding:
    """`external_network` by name or ID, else exactly one external network must exist."""
    names = ", ".join(sorted(name for _, name in networks)) or "none"
    if wanted is not None:
        ok = any(wanted in (network_id, name) for network_id, name in networks)
        detail = "found" if ok else f"not an external network here (external: {names})"
        return Finding("network", wanted, ok, detail)
    if len(networks) == 1:
        return Finding("network", networks[0][1], True, "the only external network")
    return Finding(
        "network",
        "external_network",
        False,
        f"{len(networks)} external networks ({names}); set external_network to one",
    )


def check_images(
    management_image: str | None,
    management_statuses: list[str],
    node_image: str | None,
    node_statuses: list[str],
) -> list[Finding]:
    """The management host's image must be active; a missing node image is only noted."""
    findings = []
    if management_image is not None:
        ok = "active" in management_statuses
        detail = "active" if ok else _image_state(management_statuses)
        findings.append(Finding("image", management_image, ok, f"{detail} (management.image)"))
    if node_image is not None:
        if "active" in node_statuses:
            detail = "active (node image)"
        else:
            detail = f"{_image_state(node_statuses)}: `kaas image ensure` uploads it (node image)"
        findings.append(Finding("image", node_image, True, detail))
    return findings


def _image_state(statuses: list[str]) -> str:
    return f"is {', '.join(statuses)}" if statuses else "does not exist"
