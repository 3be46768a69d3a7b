"""kubeadm configuration pieces shared by the control plane and the node groups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scs_kaas.settings.kubeadm import NodeFile, NodeKubeadm
from scs_kaas.settings.model import Settings
from scs_kaas.settings.nodes import Taint

CA_DIR = "/usr/local/share/ca-certificates"
CONTAINERD_CERTS_DIR = "/etc/containerd/certs.d"
# What kube-apiserver binds unless kubeadm's localAPIEndpoint.bindPort says otherwise.
DEFAULT_API_PORT = 6443
# Node addresses and the provider ID come from the OpenStack cloud controller manager.
CLOUD_PROVIDER_EXTERNAL = {"cloud-provider": "external"}
# CA-signed kubelet serving certificates, approved by the kubelet-csr-approver add-on, so that
# metrics-server verifies kubelets instead of running with --kubelet-insecure-tls (R1 #148).
SERVING_CERTIFICATES = {"rotate-server-certificates": "true"}
# docker.io is served from a host whose name differs from the registry's.
_UPSTREAM = {"docker.io": "https://registry-1.docker.io"}


def arg_list(*arg_maps: Mapping[str, str]) -> list[dict[str, str]]:
    """kubeadm v1beta4 style `[{name, value}]`, later maps overriding earlier ones, sorted."""
    merged: dict[str, str] = {}
    for args in arg_maps:
        merged.update(args)
    return [{"name": name, "value": merged[name]} for name in sorted(merged)]


def kubelet_args(settings: Settings, role: NodeKubeadm) -> list[Mapping[str, str]]:
    """The kubelet flags of a role: the tool's, then the cluster's, then the role's own."""
    args: list[Mapping[str, str]] = [CLOUD_PROVIDER_EXTERNAL]
    if settings.addons.needs_kubelet_serving_certificates():
        args.append(SERVING_CERTIFICATES)
    return [*args, settings.kubeadm.kubelet_extra_args, role.kubelet_extra_args]


def node_registration(
    kubelet_arg_maps: Iterable[Mapping[str, str]], taints: Iterable[Taint] = ()
) -> dict[str, Any]:
    registration: dict[str, Any] = {
        "name": "{{ local_hostname }}",
        "kubeletExtraArgs": arg_list(*kubelet_arg_maps),
    }
    taint_list = [
        {"key": t.key, "effect": t.effect, **({"value": t.value} if t.value else {})}
        for t in taints
    ]
    if taint_list:
        registration["taints"] = taint_list
    return registration


def _file(node_file: NodeFile) -> dict[str, str]:
    return {
        "path": node_file.path,
        "content": node_file.content,
        "permissions": node_file.permissions,
        "owner": node_file.owner,
    }


def _hosts_toml(registry: str, mirrors: list[str]) -> str:
    server = _UPSTREAM.get(registry, f"https://{registry}")
    lines = [f'server = "{server}"', ""]
    for mirror in mirrors:
        lines += [f'[host."{mirror}"]', '  capabilities = ["pull", "resolve"]', ""]
    return "\n".join(lines)


def node_files(settings: Settings, cloud_cacert: str, role: NodeKubeadm) -> list[dict[str, str]]:
    """Trusted CAs, registry mirrors and the user's files, in a stable order."""
    files: list[dict[str, str]] = []
    cas = dict(sorted(settings.trusted_cas.items()))
    if cloud_cacert.strip():
        cas["openstack-cloud-ca"] = cloud_cacert
    for name, pem in cas.items():
        files.append(
            {
                "path": f"{CA_DIR}/{name}.crt",
                "content": pem,
                "permissions": "0644",
                "owner": "root:root",
            }
        )
    for registry, mirrors in sorted(settings.registry_mirrors.items()):
        files.append(
            {
                "path": f"{CONTAINERD_CERTS_DIR}/{registry}/hosts.toml",
                "content": _hosts_toml(registry, mirrors),
                "permissions": "0644",
                "owner": "root:root",
            }
        )
    files += [_file(f) for f in settings.kubeadm.files]
    files += [_file(f) for f in role.files]
    return files


def pre_commands(settings: Settings, cloud_cacert: str, role: NodeKubeadm) -> list[str]:
    commands: list[str] = []
    if settings.trusted_cas or cloud_cacert.strip():
        commands.append("update-ca-certificates")
    if settings.registry_mirrors:
        # Point containerd at the hosts.toml files when the image's config does not yet.
        commands.append(
            "grep -q 'config_path = \"" + CONTAINERD_CERTS_DIR + "\"' /etc/containerd/config.toml"
            ' || { sed -i \'s#config_path = ""#config_path = "' + CONTAINERD_CERTS_DIR + "\"#'"
            " /etc/containerd/config.toml && systemctl restart containerd; }"
        )
    return commands + list(settings.kubeadm.pre_commands) + list(role.pre_commands)


def post_commands(settings: Settings, role: NodeKubeadm) -> list[str]:
    return list(settings.kubeadm.post_commands) + list(role.post_commands)
