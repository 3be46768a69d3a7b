"""Constrained value types shared by the settings models. Each error says what is allowed."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from scs_kaas.versions import KUBERNETES_PATCH_RELEASES

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_VERSION = re.compile(r"^v?(?P<minor>\d+\.\d+)(?:\.(?P<patch>\d+))?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

MAX_CLUSTER_NAME = 40
MAX_PREFIX = 24


def _dns_label(max_length: int) -> AfterValidator:
    def check(value: str) -> str:
        if not _DNS_LABEL.fullmatch(value) or len(value) > max_length:
            raise ValueError(
                f"must be 1-{max_length} characters of a-z, 0-9 and '-', "
                "start with a letter and end with a letter or digit"
            )
        return value

    return AfterValidator(check)


def _dns_label_schema(max_length: int) -> Any:
    """The same rule for editors, in the JSON Schema (`kaas config schema`); the validator above
    gives the message the tool prints."""
    return Field(json_schema_extra={"pattern": _DNS_LABEL.pattern, "maxLength": max_length})


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(
            f"must be a network in CIDR notation with no host bits set, e.g. 10.8.0.0/20 ({error})"
        ) from error
    return str(network)


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError as error:
        raise ValueError("must be an IPv4 or IPv6 address, e.g. 192.0.2.10") from error


def resolve_kubernetes_version(value: str) -> str:
    """`1.33` -> the validated patch release; `1.33.5` / `v1.33.5` -> `v1.33.5`."""
    match = _VERSION.fullmatch(value.strip())
    allowed = ", ".join(f"{m}[.PATCH]" for m in KUBERNETES_PATCH_RELEASES)
    if match is None:
        raise ValueError(f"must look like v1.33.5 or 1.33; supported minors: {allowed}")
    minor, patch = match.group("minor"), match.group("patch")
    if minor not in KUBERNETES_PATCH_RELEASES:
        raise ValueError(f"Kubernetes {minor} is not supported; supported minors: {allowed}")
    if patch is None:
        return KUBERNETES_PATCH_RELEASES[minor]
    return f"v{minor}.{int(patch)}"


def _openstack_name(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 255 or _CONTROL.search(value):
        raise ValueError("must be a non-empty OpenStack name of at most 255 printable characters")
    return value


def _label_key(value: str) -> str:
    prefix, _, name = value.rpartition("/")
    if (
        not name
        or len(name) > 63
        or not _LABEL_NAME.fullmatch(name)
        or (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)))
    ):
        raise ValueError(
            "must be a Kubernetes label key: [DNS-subdomain/]name, name at most 63 characters "
            "of A-Z, a-z, 0-9, '-', '_', '.'"
        )
    return value


# What the kubelet accepts in --node-labels from the kubernetes.io and k8s.io namespaces
# (k8s.io/kubelet pkg/apis/well_known_labels.go): it refuses to start with any other such key.
KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")
KUBELET_LABELS = (
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "beta.kubernetes.io/os",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "kubernetes.io/arch",
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "node.kubernetes.io/instance-type",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
)


def _in_namespace(namespace: str, domain: str) -> bool:
    return namespace == domain or namespace.endswith("." + domain)


def kubelet_may_set(key: str) -> bool:
    """Whether the kubelet accepts `key` in --node-labels (its own rule, ValidateKubeletFlags)."""
    namespace = key.partition("/")[0] if "/" in key else ""
    if not (_in_namespace(namespace, "kubernetes.io") or _in_namespace(namespace, "k8s.io")):
        return True
    return key in KUBELET_LABELS or any(
        _in_namespace(namespace, n) for n in KUBELET_LABEL_NAMESPACES
    )


def _node_label_key(value: str) -> str:
    if not kubelet_may_set(value):
        raise ValueError(
            f"the kubelet refuses to start with {value!r}: keys in kubernetes.io and k8s.io "
            f"must begin with {' or '.join(p + '/' for p in KUBELET_LABEL_NAMESPACES)} or be one "
            f"of {', '.join(KUBELET_LABELS)}; node roles (node-role.kubernetes.io/) are set by "
            "scs-kaas through Cluster API"
        )
    return value


def _label_value(value: str) -> str:
    if value and (len(value) > 63 or not _LABEL_NAME.fullmatch(value)):
        raise ValueError(
            "must be a Kubernetes label value: at most 63 characters of A-Z, a-z, 0-9, '-', '_', "
            "'.', starting and ending with a letter or digit"
        )
    return value


def _stringify(value: object) -> object:
    # YAML turns `1.33` into a float and `true` into a bool; versions and label values are text.
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and hasattr(value, "source_text"):
        return str(value.source_text)
    if isinstance(value, int | float):
        return str(value)
    return value


MAX_NODE_GROUP_NAME = 20
MAX_NAMESPACE = 63

ClusterName = Annotated[str, _dns_label(MAX_CLUSTER_NAME), _dns_label_schema(MAX_CLUSTER_NAME)]
Prefix = Annotated[str, _dns_label(MAX_PREFIX), _dns_label_schema(MAX_PREFIX)]
NodeGroupName = Annotated[
    str, _dns_label(MAX_NODE_GROUP_NAME), _dns_label_schema(MAX_NODE_GROUP_NAME)
]
NamespaceName = Annotated[str, _dns_label(MAX_NAMESPACE), _dns_label_schema(MAX_NAMESPACE)]
Cidr = Annotated[str, AfterValidator(_cidr)]
IpAddress = Annotated[str, AfterValidator(_ip)]
# YAML reads `1.33` as a number: the schema accepts what _stringify turns into text.
KubernetesVersion = Annotated[
    str,
    BeforeValidator(_stringify, json_schema_input_type=str | float),
    AfterValidator(resolve_kubernetes_version),
]
OpenStackName = Annotated[str, AfterValidator(_openstack_name)]
LabelKey = Annotated[str, AfterValidator(_label_key)]
NodeLabelKey = Annotated[str, AfterValidator(_label_key), AfterValidator(_node_label_key)]
LabelValue = Annotated[
    str,
    BeforeValidator(_stringify, json_schema_input_type=str | bool | int | float),
    AfterValidator(_label_value),
]
Mtu = Annotated[int, Field(ge=1280, le=9000)]
Port = Annotated[int, Field(ge=1, le=65535)]
GiB = Annotated[int, Field(ge=1, le=65536)]
Seconds = Annotated[int, Field(ge=1, le=86400)]
