"""CAPO v0.14.7's managed security group rules (securitygroups_rules.go) and its rule diff.

Rules are gophercloud rules.CreateOpts bodies: zero values are left out (omitempty).
"""

from __future__ import annotations

from typing import Any

Rule = dict[str, Any]
SELF = "self"  # remoteGroupIDSelf: replaced by the group's own ID


def _rule(
    description: str, direction: str = "ingress", ethertype: str = "IPv4", **more: Any
) -> Rule:
    return {"description": description, "direction": direction, "ethertype": ethertype, **more}


def _ports(low: int, high: int, protocol: str) -> Rule:
    return {"port_range_min": low, "port_range_max": high, "protocol": protocol}


DEFAULT = [_rule("Full open", "egress", "IPv4"), _rule("Full open", "egress", "IPv6")]


def desired_rules(suffix: str, groups: dict[str, str], subnet_cidr: str) -> list[Rule]:
    """generateDesiredSecGroups without bastion, extra rules or allowAllInClusterTraffic."""
    cp, worker = groups["controlplane"], groups["worker"]
    kubelet = _ports(10250, 10250, "tcp")
    if suffix == "controlplane":
        return [
            *DEFAULT,
            _rule("Kubernetes API", **_ports(6443, 6443, "tcp")),
            _rule("Etcd", **_ports(2379, 2380, "tcp"), remote_group_id=SELF),
            _rule("Kubelet API", **kubelet, remote_group_id=SELF),
            _rule("Kubelet API", **kubelet, remote_group_id=worker),
        ]
    node_ports = [_ports(30000, 32767, protocol) for protocol in ("tcp", "udp")]
    return [
        *DEFAULT,
        *(_rule("Node Port Services", **p, remote_ip_prefix=subnet_cidr) for p in node_ports),
        *(_rule("Node Port Services", **p, remote_group_id=worker) for p in node_ports),
        *(_rule("Node Port Services", **p, remote_group_id=cp) for p in node_ports),
        _rule("Kubelet API", **kubelet, remote_group_id=SELF),
        _rule("Kubelet API", **kubelet, remote_group_id=cp),
    ]


MATCHED = (
    "direction",
    "ethertype",
    "port_range_min",
    "port_range_max",
    "protocol",
    "remote_group_id",
    "remote_ip_prefix",
)


def _key(rule: Rule) -> tuple[Any, ...]:
    """resolvedSecurityGroupRuleSpec.Matches: gophercloud reads JSON null as 0 or ""."""
    zero = {"port_range_min": 0, "port_range_max": 0}
    return tuple(rule.get(name) or zero.get(name, "") for name in MATCHED)


def differences(
    wanted: list[Rule], group_id: str, observed: list[Rule]
) -> tuple[list[str], list[Rule]]:
    """reconcileGroupRules: IDs of observed rules to delete, bodies of rules to create."""
    resolved = [
        {**rule, "remote_group_id": group_id} if rule.get("remote_group_id") == SELF else rule
        for rule in wanted
    ]
    wanted_keys = {_key(rule) for rule in resolved}
    observed_keys = {_key(rule) for rule in observed}
    to_delete = [rule["id"] for rule in observed if _key(rule) not in wanted_keys]
    to_create = [rule for rule in resolved if _key(rule) not in observed_keys]
    return to_delete, to_create
