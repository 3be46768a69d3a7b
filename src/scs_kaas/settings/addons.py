"""Settings of the add-ons installed into every workload cluster.

YAML shape (all keys optional; the defaults are shown):

    addons:
      cni: cilium                      # or calico
      metrics_server: true
      traefik: true                    # the ingress controller (IngressClass `traefik`)
      ingress_nginx: false             # retired upstream (March 2026): explicit, warned opt-in
      cert_manager: false
      monitoring: false                # kube-prometheus-stack
      nvidia_gpu_operator: false
      metrics_server_insecure_tls: false
      ingress_proxy_protocol: false    # (was ingress_nginx_proxy_protocol, still accepted)
      cert_manager_letsencrypt_email: null
      cert_manager_letsencrypt_server: production
      cilium_kube_proxy_replacement: false
      nvidia_gpu_node_label: node.cluster.x-k8s.io/node-group
      overrides:                       # per add-on, keyed by add-on name
        cilium: {version: "1.19.8", values: {hubble: {enabled: true}}}
      custom_charts:
        - {name: podinfo, repo: "https://stefanprodan.github.io/podinfo", chart: podinfo,
           version: "6.9.2", namespace: podinfo, values: {replicaCount: 2}}
      custom_manifests:
        - {name: oidc-rbac, yaml: "apiVersion: rbac.authorization.k8s.io/v1\\n..."}
        - {name: quotas, file: quotas.yaml}   # read by the caller, relative to the cluster file

Why `overrides.<name>` and not `addons.<name>`: the switches are booleans named after the add-ons
(`metrics_server: true`), so a mapping under the same key would give one key two shapes. Keys of
`overrides` may be written with `_` or `-` (`metrics_server` or `metrics-server`).

Options of a disabled add-on are ignored rather than rejected, so an environment file can set them
for every cluster while a single cluster turns the add-on off.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The add-ons of the built-in catalog whose chart version and values can be overridden. The
# renderer's catalog (scs_kaas.render.addons) is checked against this tuple by a test; it lives here
# because settings must not import the render layer.
ADDON_NAMES: tuple[str, ...] = (
    "cilium",
    "calico",
    "openstack-ccm",
    "cinder-csi",
    "snapshot-controller",
    "kubelet-csr-approver",
    "metrics-server",
    "traefik",
    "ingress-nginx",
    "cert-manager",
    "monitoring",
    "nvidia-gpu-operator",
)

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Helm accepts SemVer 2 with an optional leading "v"; Helm ranges would make renders drift.
CHART_VERSION = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
)
CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")
REPO_URL = re.compile(r"^(https?|oci)://[^\s/]+(/\S*)?$")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
# Custom add-on objects are named `<cluster>-custom-<name>`; keep room for the cluster name.
CUSTOM_NAME_MAX = 30
CUSTOM_NAME = (
    f"add-on name: at most {CUSTOM_NAME_MAX} of a-z, 0-9 and '-', starting and ending with a "
    "letter or digit"
)


def normalize_addon_name(name: str) -> str:
    """`metrics_server` and `Metrics-Server` both mean the add-on `metrics-server`."""
    return name.strip().lower().replace("_", "-")


def _closest(name: str, valid: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}? " if close else ""


def _dns_label(value: str, what: str, max_length: int = 63) -> str:
    if len(value) > max_length or not DNS_LABEL.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} must be lowercase letters, digits and '-', start and end with a "
            f"letter or digit, at most {max_length} characters"
        )
    return value


def _chart_version(value: str) -> str:
    if not CHART_VERSION.fullmatch(value):
        raise ValueError(
            f"chart version {value!r} must be an exact SemVer version such as 1.19.8 or v1.19.1"
        )
    return value


def parse_manifest_documents(text: str, where: str) -> list[dict[str, Any]]:
    """The Kubernetes objects in a YAML text; each must name its apiVersion, kind and name."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        # Only the problem and its line: the full message quotes the text, which may be secret.
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise ValueError(f"{where}: not valid YAML{line}: {problem}") from None
    if not documents:
        raise ValueError(f"{where}: holds no Kubernetes object")
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise ValueError(f"{where}: document {index + 1} is not a mapping")
        metadata = document.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not (document.get("apiVersion") and document.get("kind") and name):
            raise ValueError(
                f"{where}: document {index + 1} needs apiVersion, kind and metadata.name"
            )
    return documents


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddonOverride(_Model):
    """A per-cluster change to one built-in add-on's chart."""

    version: str | None = Field(
        default=None, description="chart version instead of the pinned one (exact SemVer)"
    )
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Helm values merged over the built-in ones (mappings merge, lists replace)",
    )

    @field_validator("version")
    @classmethod
    def _check_version(cls, value: str | None) -> str | None:
        return None if value is None else _chart_version(value)


class CustomChart(_Model):
    """A Helm chart of the user's choice, installed like the built-in add-ons."""

    name: str = Field(description=CUSTOM_NAME)
    repo: str = Field(description="chart repository URL (https://, http:// or oci://)")
    chart: str = Field(description="chart name in the repository")
    version: str = Field(description="exact chart version (SemVer)")
    namespace: str = Field(description="namespace in the workload cluster (created if missing)")
    values: dict[str, Any] = Field(default_factory=dict, description="Helm values")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _dns_label(value, "custom chart name", CUSTOM_NAME_MAX)

    @field_validator("repo")
    @classmethod
    def _check_repo(cls, value: str) -> str:
        if not REPO_URL.fullmatch(value):
            raise ValueError(f"repo {value!r} must be an https://, http:// or oci:// URL")
        return value

    @field_validator("chart")
    @classmethod
    def _check_chart(cls, value: str) -> str:
        if len(value) > 63 or not CHART_NAME.fullmatch(value):
            raise ValueError(
                f"chart name {value!r} must be lowercase letters, digits, '-', '_' or '.'"
            )
        return value

    @field_validator("version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        return _chart_version(value)

    @field_validator("namespace")
    @classmethod
    def _check_namespace(cls, value: str) -> str:
        return _dns_label(value, "namespace")


class CustomManifest(_Model):
    """Plain Kubernetes objects applied to the workload cluster by a ClusterResourceSet."""

    name: str = Field(description=CUSTOM_NAME)
    yaml: str | None = Field(default=None, description="the objects as inline YAML text")
    file: str | None = Field(
        default=None,
        description="a YAML file with the objects; a relative path is from the environment "
        "folder (with -f, from that file's folder)",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_urls(cls, data: Any) -> Any:
        # A ClusterResourceSet carries the content itself, and renders must not download.
        if isinstance(data, Mapping) and "url" in data:
            raise ValueError(
                "custom_manifests[].url is not supported: a ClusterResourceSet must carry the "
                "objects themselves; download the file and give it as `file:` or `yaml:`"
            )
        return data

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _dns_label(value, "custom manifest name", CUSTOM_NAME_MAX)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.yaml is None) == (self.file is None):
            raise ValueError(f"custom manifest {self.name!r}: give exactly one of yaml or file")
        if self.yaml is not None:
            parse_manifest_documents(self.yaml, f"custom manifest {self.name!r}")
        return self


def _old_names_in_schema(schema: dict[str, Any]) -> None:
    """Editors must not flag what the tool still reads: the old name, marked deprecated."""
    schema["properties"]["ingress_nginx_proxy_protocol"] = {
        "type": "boolean",
        "deprecated": True,
        "description": "old name of ingress_proxy_protocol",
    }


class AddonsSettings(_Model):
    """Which add-ons a workload cluster gets, their options, and per-cluster overrides."""

    model_config = ConfigDict(json_schema_extra=_old_names_in_schema)

    cni: Literal["calico", "cilium"] = Field(
        default="cilium", description="the pod network (CNI); switching needs a new cluster"
    )
    metrics_server: bool = Field(default=True, description="install metrics-server")
    traefik: bool = Field(
        default=True,
        description="install Traefik (IngressClass traefik, the default) behind an Octavia LB",
    )
    ingress_nginx: bool = Field(
        default=False,
        description="install ingress-nginx instead of Traefik (retired upstream in March 2026, "
        "no more fixes: warned)",
    )
    cert_manager: bool = Field(default=False, description="install cert-manager")
    monitoring: bool = Field(
        default=False, description="install kube-prometheus-stack (Prometheus, Grafana, alerts)"
    )
    nvidia_gpu_operator: bool = Field(
        default=False, description="install the NVIDIA GPU operator on the GPU node groups"
    )
    metrics_server_insecure_tls: bool = Field(
        default=False,
        description="pass --kubelet-insecure-tls (R1 did; off means kubelet certs are verified)",
    )
    ingress_proxy_protocol: bool = Field(
        default=False,
        description="PROXY protocol between Octavia and the ingress controller, so apps see "
        "client addresses (was ingress_nginx_proxy_protocol)",
    )
    cert_manager_letsencrypt_email: str | None = Field(
        default=None,
        description="if set, a ClusterIssuer `letsencrypt` (ACME HTTP-01) with this contact email",
    )
    cert_manager_letsencrypt_server: Literal["production", "staging"] = Field(
        default="production", description="Let's Encrypt endpoint of the `letsencrypt` issuer"
    )
    cilium_kube_proxy_replacement: bool = Field(
        default=False,
        description="Cilium replaces kube-proxy, which kubeadm then does not install (with cni: "
        "cilium only)",
    )
    nvidia_gpu_node_label: str = Field(
        default="node.cluster.x-k8s.io/node-group",
        description="node label whose value is the node group name; selects the GPU nodes",
    )
    overrides: dict[str, AddonOverride] = Field(
        default_factory=dict,
        description=f"per add-on chart version and values; add-ons: {', '.join(ADDON_NAMES)}",
    )
    custom_charts: list[CustomChart] = Field(
        default_factory=list, description="more Helm charts installed in the cluster"
    )
    custom_manifests: list[CustomManifest] = Field(
        default_factory=list, description="more plain Kubernetes objects applied to the cluster"
    )

    @model_validator(mode="before")
    @classmethod
    def _ingress_nginx_replaces_traefik(cls, data: Any) -> Any:
        """`ingress_nginx: true` alone means nginx instead of Traefik (an old environment's
        explicit choice); the old name of the PROXY switch is still read."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        if data.get("ingress_nginx") is True and "traefik" not in data:
            data["traefik"] = False
        if "ingress_nginx_proxy_protocol" in data:
            if "ingress_proxy_protocol" in data:
                raise ValueError(
                    "ingress_nginx_proxy_protocol is the old name of ingress_proxy_protocol: "
                    "set only ingress_proxy_protocol"
                )
            data["ingress_proxy_protocol"] = data.pop("ingress_nginx_proxy_protocol")
        return data

    @model_validator(mode="after")
    def _one_ingress_controller(self) -> Self:
        if self.traefik and self.ingress_nginx:
            raise ValueError(
                "traefik and ingress_nginx are both on: each would claim the default "
                "IngressClass and a load balancer; set traefik: false to keep ingress-nginx"
            )
        return self

    def warnings(self) -> list[str]:
        """What is allowed but should be changed; shown by the commands, never an error."""
        if not self.ingress_nginx:
            return []
        return [
            "addons.ingress_nginx: ingress-nginx was retired upstream in March 2026 and its "
            "pinned chart gets no fixes; move to Traefik (addons.ingress_nginx: false, the "
            "IngressClass becomes `traefik`)"
        ]

    @field_validator("cert_manager_letsencrypt_email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 254 or not EMAIL.fullmatch(value)):
            raise ValueError(f"{value!r} is not an email address (name@example.org)")
        return value

    @field_validator("nvidia_gpu_node_label")
    @classmethod
    def _check_label(cls, value: str) -> str:
        name = value.rsplit("/", 1)[-1]
        if len(value) > 316 or len(name) > 63 or not LABEL_KEY.fullmatch(value):
            raise ValueError(f"{value!r} is not a Kubernetes label key ([prefix/]name)")
        return value

    @field_validator("overrides", mode="before")
    @classmethod
    def _normalize_override_names(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        normalized: dict[str, Any] = {}
        for raw_name, override in value.items():
            name = normalize_addon_name(str(raw_name))
            if name not in ADDON_NAMES:
                raise ValueError(
                    f"unknown add-on {raw_name!r}; {_closest(name, ADDON_NAMES)}"
                    f"add-ons: {', '.join(ADDON_NAMES)}"
                )
            if name in normalized:
                raise ValueError(f"add-on {name!r} is overridden twice ({raw_name!r})")
            # `cilium:` with nothing under it is an empty override, not an error.
            normalized[name] = {} if override is None else override
        return normalized

    @model_validator(mode="after")
    def _unique_custom_names(self) -> Self:
        seen: set[str] = set()
        for name in [c.name for c in self.custom_charts] + [m.name for m in self.custom_manifests]:
            if name in seen:
                raise ValueError(f"custom add-on name {name!r} is used twice")
            seen.add(name)
        return self

    def files_to_read(self) -> tuple[str, ...]:
        """The custom manifest files whose text the caller must read and pass to the renderer."""
        return tuple(m.file for m in self.custom_manifests if m.file is not None)

    def needs_kubelet_serving_certificates(self) -> bool:
        """metrics-server verifies kubelet certs, so kubelets need CA-signed serving certs.

        The cluster renderer sets `serverTLSBootstrap: true` in the kubelet configuration when
        this is true; the `kubelet-csr-approver` add-on approves the certificate requests.
        """
        return self.metrics_server and not self.metrics_server_insecure_tls
