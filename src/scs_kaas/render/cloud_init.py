"""The management host's cloud-init: packages, kernel settings, files and the bootstrap script.

Pure: settings and resolved values in, a dict (and its `#cloud-config` text) out. No secret goes
in here: Nova shows user data to anyone who may read the server, so cloud credentials are never
put on the host by cloud-init.
"""

from __future__ import annotations

import base64
import gzip
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from scs_kaas import versions
from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.render import mgmt_bootstrap as boot
from scs_kaas.settings.model import Settings

# R1's text: `make watch` and old habits grep for it. cloud-init prints it even after a failed
# bootstrap, so `kaas mgmt wait` looks for the marker files instead.
FINAL_MESSAGE = "The system is finally up, after $UPTIME seconds"
# kube-proxy in kind wants at least this; it cannot raise it from its network namespace (R1 #18).
CONNTRACK_MAX = 131072
PACKAGES = ("ca-certificates", "curl", "docker.io", "jq", "python3-venv")
# Nova refuses user data whose base64 form is longer than this.
MAX_USER_DATA = 65535
ENVIRONMENT_DIR = "kaas-env"


@dataclass(frozen=True)
class ExtensionFile:
    """A file of the environment's `extensions/` folder; executable ones run at the end."""

    name: str
    content: bytes
    executable: bool


@dataclass(frozen=True)
class HostInputs:
    """Values resolved outside the renderer."""

    kaas_requirement: str
    # The environment's settings as the host's `kaas` should see them (YAML text).
    environment_yaml: str
    extensions: Sequence[ExtensionFile] = ()


def home_dir(settings: Settings) -> str:
    return f"/home/{settings.management.ssh_username}"


def _bootstrap_env(settings: Settings, inputs: HostInputs) -> str:
    values = {
        "KAAS_USER": settings.management.ssh_username,
        "KAAS_HOME": home_dir(settings),
        "MTU": str(settings.network.mtu),
        "MARKER_DIR": boot.MARKER_DIR,
        "EXTENSIONS_DIR": boot.EXTENSIONS_DIR,
        "KUBECTL_VERSION": versions.KUBECTL,
        "KIND_VERSION": versions.KIND,
        "HELM_VERSION": versions.HELM,
        "K9S_VERSION": versions.K9S,
        "CILIUM_CLI_VERSION": versions.CILIUM_CLI,
        "HYDROPHONE_VERSION": versions.HYDROPHONE,
        "CLUSTER_API_VERSION": versions.CLUSTER_API,
        "CAPO_VERSION": versions.CAPO,
        "CAAPH_VERSION": versions.CAAPH,
        "ORC_VERSION": versions.ORC,
        "KAAS_REQUIREMENT": inputs.kaas_requirement,
    }
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in values.items())


def _kind_config() -> str:
    config = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        # Only on the host's loopback, on a fixed port: reached through an SSH tunnel.
        "networking": {"apiServerAddress": "127.0.0.1", "apiServerPort": boot.KIND_API_PORT},
    }
    return yaml.safe_dump(config, sort_keys=False)


def _profile(settings: Settings) -> str:
    # Login shells of every kind read profile.d: plain sh syntax, bash extras only in bash.
    return (
        f"export KAAS_ENV={home_dir(settings)}/{ENVIRONMENT_DIR}\n"
        'if [ -n "${BASH_VERSION:-}" ] && command -v kubectl >/dev/null; then\n'
        "    alias k=kubectl\n"
        '    eval "$(kubectl completion bash)"\n'
        "    complete -o default -F __start_kubectl k\n"
        "fi\n"
    )


def _extension_files(extensions: Sequence[ExtensionFile]) -> list[dict[str, Any]]:
    return [
        {
            "path": f"{boot.EXTENSIONS_DIR}/{extension.name}",
            "encoding": "b64",
            "content": base64.b64encode(extension.content).decode("ascii"),
            "permissions": "0755" if extension.executable else "0644",
        }
        for extension in sorted(extensions, key=lambda e: e.name)
    ]


def cloud_config(settings: Settings, inputs: HostInputs) -> dict[str, Any]:
    """The whole cloud-config of the management host."""
    user = settings.management.ssh_username
    return {
        "package_update": True,
        "package_upgrade": True,
        "packages": list(PACKAGES),
        "write_files": [
            {
                "path": "/etc/modules-load.d/90-nf_conntrack.conf",
                "content": "nf_conntrack\n",
            },
            {
                "path": "/etc/sysctl.d/90-conntrack_max.conf",
                "content": f"net.netfilter.nf_conntrack_max={CONNTRACK_MAX}\n",
            },
            {
                # Written before the packages are installed, so docker starts with the MTU.
                "path": "/etc/docker/daemon.json",
                "content": json.dumps({"mtu": settings.network.mtu}) + "\n",
            },
            {"path": boot.KIND_CONFIG, "content": _kind_config()},
            {"path": boot.ENV_FILE, "content": _bootstrap_env(settings, inputs)},
            {"path": boot.SCRIPT, "content": boot.BOOTSTRAP_SCRIPT, "permissions": "0755"},
            {
                "path": boot.HOST_KEYS_SCRIPT,
                "content": boot.PUBLISH_HOST_KEYS_SCRIPT,
                "permissions": "0755",
            },
            {"path": "/etc/profile.d/scs-kaas.sh", "content": _profile(settings)},
            *_extension_files(inputs.extensions),
            {
                # Deferred: the default user (and so its home) exists only later in the boot.
                "path": f"{home_dir(settings)}/{ENVIRONMENT_DIR}/environment.yaml",
                "content": inputs.environment_yaml,
                "owner": f"{user}:{user}",
                "permissions": "0644",
                "defer": True,
            },
        ],
        # host keys first: `kaas mgmt wait` verifies the host with them while the bootstrap runs
        "runcmd": [[boot.HOST_KEYS_SCRIPT], [boot.SCRIPT]],
        "final_message": FINAL_MESSAGE,
    }


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so the scripts read as scripts in the user data."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def user_data(config: dict[str, Any]) -> str:
    """The `#cloud-config` document cloud-init reads."""
    text = yaml.dump(config, Dumper=_BlockDumper, sort_keys=False, width=1000)
    return "#cloud-config\n" + text


def encode_user_data(text: str) -> str:
    """Base64 for Nova; gzipped (cloud-init unpacks it) when plain text would be too long."""
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    if len(encoded) <= MAX_USER_DATA:
        return encoded
    packed = gzip.compress(text.encode("utf-8"), mtime=0)
    encoded = base64.b64encode(packed).decode("ascii")
    if len(encoded) > MAX_USER_DATA:
        raise SettingsError(
            [
                SettingProblem(
                    "extensions/",
                    f"the management host's user data is {len(encoded)} bytes even gzipped; "
                    f"Nova accepts {MAX_USER_DATA}: make the extension files smaller",
                )
            ]
        )
    return encoded


def host_environment(settings: Settings) -> str:
    """environment.yaml for the host: every setting that differs from the built-in default."""
    changed = settings.model_dump(mode="json", exclude_defaults=True)
    return "# written by kaas mgmt create\n" + yaml.safe_dump(changed, sort_keys=False)
