"""The management host's cloud-init: the whole dict, its schema, and the bootstrap script."""

from __future__ import annotations

import base64
import gzip
import os
import pty
import select
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scs_kaas.errors import SettingsError
from scs_kaas.render import mgmt_bootstrap
from scs_kaas.render.cloud_init import (
    MAX_USER_DATA,
    ExtensionFile,
    HostInputs,
    cloud_config,
    encode_user_data,
    host_environment,
    user_data,
)
from scs_kaas.settings.model import Settings
from scs_kaas.ssh.hostkeys import HostKey, host_keys

SETTINGS = Settings.model_validate(
    {"prefix": "team", "network": {"mtu": 1450}, "management": {"ssh_username": "debian"}}
)
EXTENSIONS = (
    ExtensionFile("02_data.txt", b"plain data\n", executable=False),
    ExtensionFile("01_hello.sh", b"#!/bin/sh\necho hello\n", executable=True),
)
INPUTS = HostInputs(
    kaas_requirement="scs-kaas==0.1.0",
    environment_yaml="prefix: team\n",
    extensions=EXTENSIONS,
)

EXPECTED_ENV = """KAAS_USER=debian
KAAS_HOME=/home/debian
MTU=1450
MARKER_DIR=/var/lib/scs-kaas
EXTENSIONS_DIR=/opt/scs-kaas/extensions
KUBECTL_VERSION=v1.36.0
KIND_VERSION=v0.33.0
HELM_VERSION=v4.3.0
K9S_VERSION=v0.51.0
CILIUM_CLI_VERSION=v0.19.6
HYDROPHONE_VERSION=v0.8.0
CLUSTER_API_VERSION=v1.14.4
CAPO_VERSION=v0.15.1
CAAPH_VERSION=v0.6.4
ORC_VERSION=v2.6.0
KAAS_REQUIREMENT=scs-kaas==0.1.0
"""


def test_whole_cloud_config() -> None:
    assert cloud_config(SETTINGS, INPUTS) == {
        "package_update": True,
        "package_upgrade": True,
        "packages": ["ca-certificates", "curl", "docker.io", "jq", "python3-venv"],
        "write_files": [
            {"path": "/etc/modules-load.d/90-nf_conntrack.conf", "content": "nf_conntrack\n"},
            {
                "path": "/etc/sysctl.d/90-conntrack_max.conf",
                "content": "net.netfilter.nf_conntrack_max=131072\n",
            },
            {"path": "/etc/docker/daemon.json", "content": '{"mtu": 1450}\n'},
            {
                "path": "/etc/scs-kaas/kind-config.yaml",
                "content": (
                    "kind: Cluster\n"
                    "apiVersion: kind.x-k8s.io/v1alpha4\n"
                    "networking:\n"
                    "  apiServerAddress: 127.0.0.1\n"
                    "  apiServerPort: 6443\n"
                ),
            },
            {"path": "/etc/scs-kaas/bootstrap.env", "content": EXPECTED_ENV},
            {
                "path": "/usr/local/sbin/kaas-bootstrap",
                "content": mgmt_bootstrap.BOOTSTRAP_SCRIPT,
                "permissions": "0755",
            },
            {
                "path": "/usr/local/sbin/kaas-publish-host-keys",
                "content": mgmt_bootstrap.PUBLISH_HOST_KEYS_SCRIPT,
                "permissions": "0755",
            },
            {
                "path": "/etc/profile.d/scs-kaas.sh",
                "content": (
                    "export KAAS_ENV=/home/debian/kaas-env\n"
                    'if [ -n "${BASH_VERSION:-}" ] && command -v kubectl >/dev/null; then\n'
                    "    alias k=kubectl\n"
                    '    eval "$(kubectl completion bash)"\n'
                    "    complete -o default -F __start_kubectl k\n"
                    "fi\n"
                ),
            },
            {
                "path": "/opt/scs-kaas/extensions/01_hello.sh",
                "encoding": "b64",
                "content": base64.b64encode(b"#!/bin/sh\necho hello\n").decode(),
                "permissions": "0755",
            },
            {
                "path": "/opt/scs-kaas/extensions/02_data.txt",
                "encoding": "b64",
                "content": base64.b64encode(b"plain data\n").decode(),
                "permissions": "0644",
            },
            {
                "path": "/home/debian/kaas-env/environment.yaml",
                "content": "prefix: team\n",
                "owner": "debian:debian",
                "permissions": "0644",
                "defer": True,
            },
        ],
        "runcmd": [["/usr/local/sbin/kaas-publish-host-keys"], ["/usr/local/sbin/kaas-bootstrap"]],
        "final_message": "The system is finally up, after $UPTIME seconds",
    }


def test_defaults_without_extensions() -> None:
    config = cloud_config(Settings(), HostInputs("scs-kaas==0.1.0", "{}\n"))
    paths = [f["path"] for f in config["write_files"]]
    assert not [p for p in paths if p.startswith("/opt/scs-kaas/extensions/")]
    daemon = next(f for f in config["write_files"] if f["path"] == "/etc/docker/daemon.json")
    assert daemon["content"] == '{"mtu": 1400}\n'  # R1's kind_mtu default
    assert paths[-1] == "/home/ubuntu/kaas-env/environment.yaml"


def test_requirement_is_shell_quoted() -> None:
    inputs = HostInputs("scs-kaas @ git+https://example.com/x.git; rm -rf /", "{}\n")
    env = next(
        f["content"]
        for f in cloud_config(SETTINGS, inputs)["write_files"]
        if f["path"] == mgmt_bootstrap.ENV_FILE
    )
    assert "KAAS_REQUIREMENT='scs-kaas @ git+https://example.com/x.git; rm -rf /'\n" in env


def test_user_data_is_cloud_config_yaml_of_the_dict() -> None:
    config = cloud_config(SETTINGS, INPUTS)
    text = user_data(config)
    assert text.startswith("#cloud-config\n")
    assert yaml.safe_load(text) == config
    assert "  content: |\n    #!/bin/bash\n" in text  # scripts stay readable


def test_host_environment_keeps_only_changed_settings() -> None:
    assert yaml.safe_load(host_environment(SETTINGS)) == {
        "prefix": "team",
        "network": {"mtu": 1450},
        "management": {"ssh_username": "debian"},
    }


def test_bootstrap_script_order_and_syntax() -> None:
    script = mgmt_bootstrap.BOOTSTRAP_SCRIPT
    order = [
        "modprobe nf_conntrack",
        "usermod -aG docker",
        "kubectl $KUBECTL_VERSION",
        "kind $KIND_VERSION",
        "clusterctl $CLUSTER_API_VERSION",
        "helm $HELM_VERSION",
        "k9s $K9S_VERSION",
        "cilium CLI $CILIUM_CLI_VERSION",
        "hydrophone $HYDROPHONE_VERSION",
        "kind create cluster",
        "openstack-resource-controller/releases/download/$ORC_VERSION/install.yaml",
        '--infrastructure "openstack:$CAPO_VERSION"',
        '--addon "helm:$CAAPH_VERSION"',
        'pip install --quiet "$KAAS_REQUIREMENT"',
        "-perm -u+x -print0 | sort -z",
        'touch "$MARKER_DIR/bootstrap-done"',
    ]
    positions = [script.index(fragment) for fragment in order]
    assert positions == sorted(positions)
    bash = shutil.which("bash")
    assert bash is not None
    subprocess.run([bash, "-n"], input=script, text=True, check=True)


def test_host_keys_script_prints_a_block_the_parser_reads(tmp_path: Path) -> None:
    """The script run for real: keys from a folder, to a pseudo-terminal (a tty turns every
    \\n into \\r\\n, like the serial console) and to a console that does not exist."""
    keys = []
    for kind in ("ed25519", "ecdsa"):
        key = tmp_path / f"ssh_host_{kind}_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "root@h", "-f", key], check=True
        )
        key_type, blob, _ = key.with_suffix(".pub").read_text().split()
        keys.append(HostKey(key_type, blob))
    (tmp_path / "ssh_host_rsa_key.pub").mkdir()  # not a file: skipped
    controller, terminal = pty.openpty()
    script = mgmt_bootstrap.PUBLISH_HOST_KEYS_SCRIPT.replace("/etc/ssh/", f"{tmp_path}/").replace(
        "/dev/console /dev/ttyS0", f"{os.ttyname(terminal)} {tmp_path}/ttyS0"
    )
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout == "scs-kaas: SSH host keys written to the console\n"
    assert result.stderr == ""
    console = b""
    while select.select([controller], [], [], 1)[0]:
        console += os.read(controller, 4096)
    os.close(terminal)
    os.close(controller)
    assert b"\r\n" in console
    assert host_keys(console.decode()) == (keys[1], keys[0])  # the glob's order: ecdsa first


def test_extensions_run_sorted_and_stop_on_failure(tmp_path: Path) -> None:
    """The extension loop of the script, run for real on a folder (not as root, no sudo)."""
    loop = mgmt_bootstrap.BOOTSTRAP_SCRIPT.split('step "extensions"\n', 1)[1].split("\nrm -rf")[0]
    folder = tmp_path / "extensions"
    folder.mkdir()
    log = tmp_path / "ran"
    for name in ("20_b.sh", "10_a.sh", "15_skip.txt"):
        (folder / name).write_text(f"#!/bin/sh\necho {name} >> {log}\n")
    (folder / "20_b.sh").chmod(0o755)
    (folder / "10_a.sh").chmod(0o755)
    prelude = (
        "set -euo pipefail\n"
        f"EXTENSIONS_DIR={folder}\nKAAS_HOME={tmp_path}\n"
        'step() { :; }\nas_user() { "$@"; }\n'
    )
    subprocess.run(["bash", "-c", prelude + loop], check=True)
    assert log.read_text().split() == ["10_a.sh", "20_b.sh"]
    (folder / "10_a.sh").write_text("#!/bin/sh\nexit 3\n")
    failed = subprocess.run(["bash", "-c", prelude + loop], check=False)
    assert failed.returncode != 0


def test_small_user_data_is_plain_base64() -> None:
    text = user_data(cloud_config(SETTINGS, INPUTS))
    assert base64.b64decode(encode_user_data(text)).decode() == text


def test_large_user_data_is_gzipped() -> None:
    big = (ExtensionFile("big.sh", b"#!/bin/sh\n" + b"echo same line\n" * 5000, True),)
    text = user_data(cloud_config(SETTINGS, HostInputs("scs-kaas", "{}\n", big)))
    encoded = encode_user_data(text)
    assert len(encoded) <= MAX_USER_DATA
    assert gzip.decompress(base64.b64decode(encoded)).decode() == text


def test_too_large_user_data_names_the_extensions() -> None:
    noise = ExtensionFile("noise.bin", os.urandom(60_000), False)
    text = user_data(cloud_config(SETTINGS, HostInputs("scs-kaas", "{}\n", (noise,))))
    with pytest.raises(SettingsError) as error:
        encode_user_data(text)
    assert error.value.problems[0].setting == "extensions/"


def test_valid_for_cloud_init_schema(tmp_path: Path) -> None:
    tool = shutil.which("cloud-init")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("cloud-init is missing in CI: apt-get install -y cloud-init")
        pytest.skip(
            "cloud-init is not installed (apt-get install -y --no-install-recommends cloud-init)"
        )
    for settings, inputs in ((SETTINGS, INPUTS), (Settings(), HostInputs("scs-kaas", "{}\n"))):
        path = tmp_path / "user-data"
        path.write_text(user_data(cloud_config(settings, inputs)))
        result = subprocess.run(
            [tool, "schema", "--config-file", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Valid cloud-config" in result.stdout
