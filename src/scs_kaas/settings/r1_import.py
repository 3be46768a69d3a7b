"""Convert an R1 environment (terraform tfvars + clusterctl.yaml) into scs-kaas settings.

Pure: text in, settings dicts and a list of what could not be mapped out. The CLI reads and writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import hcl2
import yaml

from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.settings.fields import resolve_kubernetes_version
from scs_kaas.settings.yaml_limits import MAX_DEPTH, check_yaml_limits

Setter = Callable[[Any], tuple[str, Any]]


@dataclass
class R1Conversion:
    environment: dict[str, Any] = field(default_factory=dict)
    cluster: dict[str, Any] = field(default_factory=dict)
    # (R1 key, why it was not mapped)
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # R1 values that cannot be converted (e.g. `kind_mtu = "auto"`): the import is refused
    problems: list[SettingProblem] = field(default_factory=list)


def _flavor(value: Any) -> Any:
    # R1 used the old SCS flavor names `SCS-2V:4:20s`; the standard now writes `SCS-2V-4-20s`.
    return str(value).replace(":", "-") if str(value).startswith("SCS-") else value


def _to(path: str, convert: Callable[[Any], Any] = lambda v: v) -> Setter:
    return lambda value: (path, convert(value))


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")


def _cni(value: Any) -> str:
    return "cilium" if _bool(value) else "calico"


def _nameservers(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [s.strip() for s in str(value).split(",") if s.strip()]


def _whole_number(value: Any) -> int:
    """R1 wrote counts and MTUs as numbers or as strings of digits; anything else is an error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        return int(value.strip())
    raise ValueError("must be a whole number")


def _cidrs(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# tfvars of v2.0.0 and the later R-releases with a meaning scs-kaas has; see scs-r1.md §2.4, §4.
TFVARS: Mapping[str, Setter] = {
    "cloud_provider": _to("cloud"),
    "prefix": _to("prefix"),
    "image": _to("management.image"),
    "kind_flavor": _to("management.flavor", _flavor),
    "controller_flavor": _to("control_plane.flavor", _flavor),
    "worker_flavor": _to("node_group_defaults.flavor", _flavor),
    "availability_zone": _to("availability_zone"),
    "external": _to("external_network"),
    "external_id": _to("external_network"),
    "ssh_username": _to("management.ssh_username"),
    "kube_image_raw": _to("image.raw", _bool),
    "kind_mtu": _to("network.mtu", _whole_number),
    "controller_count": _to("control_plane.count", _whole_number),
    "node_cidr": _to("network.node_cidr"),
    "pod_cidr": _to("network.pod_cidr"),
    "service_cidr": _to("network.service_cidr"),
    "mgmt_cidr": _to("management.cidr"),
    "restrict_mgmt_server": _to("management.allowed_cidrs", _cidrs),
    "restrict_kubeapi": _to("api_server.allowed_cidrs", _cidrs),
    "dns_nameserver": _to("network.dns_nameservers", _nameservers),
    "dns_nameservers": _to("network.dns_nameservers", _nameservers),
    "deploy_metrics_service": _to("addons.metrics_server", _bool),
    "deploy_metrics": _to("addons.metrics_server", _bool),
    "deploy_nginx_ingress": _to("addons.ingress_nginx", _bool),
    "deploy_cert_manager": _to("addons.cert_manager", _bool),
    "use_cilium": _to("addons.cni", _cni),
}
CLUSTERCTL: Mapping[str, Setter] = {
    "NAMESPACE": _to("namespace"),
    "NODE_CIDR": _to("network.node_cidr"),
    "MTU_VALUE": _to("network.mtu", _whole_number),
    "OPENSTACK_FAILURE_DOMAIN": _to("availability_zone"),
    "OPENSTACK_EXTERNAL_NETWORK_ID": _to("external_network"),
    "OPENSTACK_SSH_KEY_NAME": _to("ssh_key_name"),
    "OPENSTACK_DNS_NAMESERVERS": _to("network.dns_nameservers", _nameservers),
    "OPENSTACK_CONTROL_PLANE_MACHINE_FLAVOR": _to("control_plane.flavor", _flavor),
    "CONTROL_PLANE_MACHINE_COUNT": _to("control_plane.count", _whole_number),
    "OPENSTACK_NODE_MACHINE_FLAVOR": _to("node_group_defaults.flavor", _flavor),
    "OPENSTACK_CLOUD": _to("cloud"),
    "DEPLOY_NGINX_INGRESS": _to("addons.ingress_nginx", _bool),
    "DEPLOY_METRICS": _to("addons.metrics_server", _bool),
    "DEPLOY_CERT_MANAGER": _to("addons.cert_manager", _bool),
    "USE_CILIUM": _to("addons.cni", _cni),
    "POD_CIDR": _to("network.pod_cidr"),
    "SERVICE_CIDR": _to("network.service_cidr"),
}
WHY_NOT: Mapping[str, str] = {
    "image_registration_extra_flags": "openstack CLI flags; set image.extra_properties instead",
    "deploy_k8s_openstack_git": "the OpenStack CCM is always installed from its pinned chart",
    "deploy_k8s_cindercsi_git": "Cinder CSI is always installed from its pinned chart",
    "OPENSTACK_IMAGE_NAME": "derived from image.name_template and the Kubernetes version",
    "OPENSTACK_CONTROL_PLANE_IP": "unused by R1 itself",
    "DEPLOY_K8S_OPENSTACK_GIT": "the OpenStack CCM is always installed from its pinned chart",
    "DEPLOY_K8S_CINDERCSI_GIT": "Cinder CSI is always installed from its pinned chart",
}
# R1's tfvars are a few dozen lines. python-hcl2 takes about a millisecond per line and recurses
# per bracket: 50,000 lines took 80 s, 50,000 nested brackets half a minute to overflow.
MAX_TFVARS_LINES = 2000
_SECRET = re.compile(r"(_B64|PASSWORD|SECRET)$")
_COUNTS = {"worker_count", "WORKER_MACHINE_COUNT"}
_VERSIONS = {"kubernetes_version", "KUBERNETES_VERSION"}


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _set(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _apply(
    conversion: R1Conversion,
    target: dict[str, Any],
    key: str,
    value: Any,
    table: Mapping[str, Setter],
) -> None:
    try:
        _convert(conversion, target, key, value, table)
    except ValueError as error:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        conversion.problems.append(SettingProblem(key, str(error), value=shown))


def _convert(
    conversion: R1Conversion,
    target: dict[str, Any],
    key: str,
    value: Any,
    table: Mapping[str, Setter],
) -> None:
    if key in _VERSIONS:
        try:
            _set(target, "kubernetes_version", resolve_kubernetes_version(str(value)))
        except ValueError as error:
            conversion.unmapped.append((key, f"{value}: {error}; the default is used"))
    elif key in {"controller_count", "CONTROL_PLANE_MACHINE_COUNT"} and _whole_number(value) == 0:
        conversion.unmapped.append(
            (key, "0 meant 'create no test cluster'; scs-kaas creates clusters only when asked")
        )
    elif key in _COUNTS:
        _set(target, "node_groups", [{"name": "md-0", "count": _whole_number(value)}])
    elif key in table:
        path, converted = table[key](value)
        _set(target, path, converted)
        if converted != value and "flavor" in path:
            conversion.notes.append(f"{key}: {value} renamed to {converted} (SCS naming standard)")
    elif _SECRET.search(key):
        conversion.unmapped.append(
            (key, "credential material is never imported; each cluster gets its own credential")
        )
    else:
        conversion.unmapped.append((key, WHY_NOT.get(key, "no equivalent setting")))


def _check_tfvars_size(text: str) -> None:
    lines = text.count("\n") + 1
    if lines > MAX_TFVARS_LINES:
        raise SettingsError(
            [SettingProblem("tfvars", f"has {lines} lines; an R1 tfvars file has a few dozen")]
        )
    depth = deepest = 0
    in_string = escaped = False
    for char in text:  # brackets outside strings; a heredoc's brackets count too, harmlessly
        if in_string:
            in_string = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            in_string = True
        elif char in "[{(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]})":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise SettingsError([SettingProblem("tfvars", f"is nested deeper than {MAX_DEPTH} levels")])


def convert_r1(tfvars_text: str, clusterctl_text: str | None = None) -> R1Conversion:
    """tfvars -> environment settings; clusterctl.yaml -> the test cluster's settings."""
    conversion = R1Conversion()
    _check_tfvars_size(tfvars_text)
    try:
        tfvars = hcl2.loads(tfvars_text)
    except Exception as error:  # python-hcl2 raises lark's exceptions, which vary by version
        raise SettingsError([SettingProblem("tfvars", f"not valid HCL: {error}")]) from None
    for key, raw in tfvars.items():
        if not key.startswith("__"):  # python-hcl2 metadata such as __comments__
            _apply(conversion, conversion.environment, key, _unquote(raw), TFVARS)
    if clusterctl_text is not None:
        try:
            check_yaml_limits(clusterctl_text, "clusterctl.yaml")
            clusterctl = yaml.safe_load(clusterctl_text) or {}
        except (yaml.YAMLError, ValueError) as error:
            # ValueError: values YAML resolves but Python cannot build, e.g. a date 2026-13-45
            raise SettingsError(
                [SettingProblem("clusterctl.yaml", f"invalid YAML: {error}")]
            ) from None
        if not isinstance(clusterctl, dict):
            raise SettingsError([SettingProblem("clusterctl.yaml", "must be a YAML mapping")])
        for key, value in clusterctl.items():
            _apply(conversion, conversion.cluster, str(key), value, CLUSTERCTL)
    if conversion.problems:
        raise SettingsError(conversion.problems)
    return conversion
