"""The management host's SSH command lines, run for real against sshd on a loopback address.

Everything `kaas mgmt` does over SSH goes through these lines: host key verification against the
environment's own known_hosts, the boot watch script, reading kind's kubeconfig, the `-N -L`
tunnel and the host side of `kaas mgmt move`. See tests/support/sshd.py for the stand-in host.
"""

from __future__ import annotations

import dataclasses
import http.server
import shutil
import stat
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scs_kaas.errors import KaasError
from scs_kaas.render import mgmt_bootstrap as boot
from scs_kaas.render.cloud_init import ENVIRONMENT_DIR
from scs_kaas.ssh.host_trust import knows_host, record_host_keys
from scs_kaas.ssh.hostkeys import host_keys
from scs_kaas.ssh.target import SSH_UNREACHABLE, SshTarget, ssh_command
from scs_kaas.workflows.mgmt import access as mgmt_access
from scs_kaas.workflows.mgmt import move_host as mgmt_move_host
from scs_kaas.workflows.mgmt import tunnel as mgmt_tunnel
from tests.support.kind_kubeconfig import KIND_KUBECONFIG
from tests.support.sshd import SshHost, keygen, relocating


@pytest.fixture
def home(ssh_host: SshHost) -> Path:
    """The host's home, emptied for each test (the sshd lives for the whole module)."""
    for entry in ssh_host.home.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (ssh_host.home / "bin").mkdir()
    return ssh_host.home


@pytest.fixture
def verified(ssh_host: SshHost, tmp_path: Path) -> SshTarget:
    """The host, its key recorded from the console log as `kaas mgmt wait` does."""
    known_hosts = tmp_path / "known_hosts"
    keys = host_keys(ssh_host.console_log())
    assert [key.type for key in keys] == ["ssh-ed25519"]
    record_host_keys(known_hosts, ssh_host.address, keys)
    return ssh_host.target(known_hosts)


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    )


# --- host key verification ----------------------------------------------------------------------


def test_the_key_from_the_console_log_verifies_the_host(verified: SshTarget, home: Path) -> None:
    result = run(ssh_command(verified, ["touch", "ran"]))
    assert result.returncode == 0, result.stderr
    assert (home / "ran").exists()


def test_a_wrong_recorded_key_is_refused_and_nothing_runs(
    ssh_host: SshHost, home: Path, tmp_path: Path
) -> None:
    impostor = host_keys(SshHost.console_log_of(keygen(tmp_path / "other_host_key")))
    known_hosts = tmp_path / "known_hosts"
    record_host_keys(known_hosts, ssh_host.address, impostor)
    result = run(ssh_command(ssh_host.target(known_hosts), ["touch", "ran"]))
    assert result.returncode == SSH_UNREACHABLE
    assert "Host key verification failed" in result.stderr
    assert not (home / "ran").exists()
    # ssh left the recorded key alone
    assert known_hosts.read_text().split() == [ssh_host.address, impostor[0].type, impostor[0].key]


def test_no_recorded_key_is_refused(ssh_host: SshHost, home: Path, tmp_path: Path) -> None:
    target = ssh_host.target(tmp_path / "known_hosts")
    result = run(ssh_command(target, ["touch", "ran"]))
    assert result.returncode == SSH_UNREACHABLE
    assert "Host key verification failed" in result.stderr
    assert not (home / "ran").exists()
    assert not knows_host(target)


def test_trust_on_first_use_accepts_and_records_the_key(
    ssh_host: SshHost, home: Path, tmp_path: Path
) -> None:
    target = ssh_host.target(tmp_path / "known_hosts", trust_on_first_use=True)
    result = run(ssh_command(target, ["touch", "ran"]))
    assert result.returncode == 0, result.stderr
    assert (home / "ran").exists()
    # Debian's ssh hashes the host field (HashKnownHosts): `knows_host` still finds it
    recorded = target.known_hosts.read_text().split()
    assert recorded[0].startswith("|1|")
    assert recorded[1:] == ssh_host.host_public_key.read_text().split()[:2]
    assert knows_host(target)
    # keys read from the console log later replace that line; a strict ssh accepts them
    record_host_keys(target.known_hosts, ssh_host.address, host_keys(ssh_host.console_log()))
    assert len(target.known_hosts.read_text().splitlines()) == 1
    strict = ssh_host.target(target.known_hosts)
    assert run(ssh_command(strict, ["true"])).returncode == 0


def test_remote_words_reach_the_login_shell_as_one_command_line(
    verified: SshTarget, home: Path
) -> None:
    # ssh joins the words with spaces; the login shell splits them again (no quoting added)
    result = run(ssh_command(verified, ["echo", "$HOME"]))
    assert result.stdout == f"{home}\n"


# --- following the boot ----------------------------------------------------------------------


def _boot_runner(home: Path) -> Any:
    """The watch script's system paths, relocated into the host's home."""
    return relocating(
        {boot.MARKER_DIR: str(home / "markers"), boot.OUTPUT_LOG: str(home / "cloud-init.log")}
    )


def test_wait_returns_once_the_bootstrap_is_done(
    verified: SshTarget, home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (home / "markers").mkdir()
    (home / "markers" / Path(boot.DONE_MARKER).name).touch()
    (home / "cloud-init.log").write_text("kaas bootstrap: kind cluster ready\n")
    mgmt_access.wait_for_bootstrap(verified, timeout=30, run=_boot_runner(home), interval=0.1)
    # the boot's output reached the user's terminal
    assert "kaas bootstrap: kind cluster ready" in capfd.readouterr().out


def test_wait_reports_a_failed_bootstrap(verified: SshTarget, home: Path) -> None:
    (home / "markers").mkdir()
    (home / "markers" / Path(boot.FAILED_MARKER).name).touch()
    with pytest.raises(KaasError, match=rf"bootstrap of {verified.address} failed \(exit 1\)"):
        mgmt_access.wait_for_bootstrap(verified, timeout=30, run=_boot_runner(home), interval=0.1)


def test_wait_follows_a_boot_until_the_marker_appears(verified: SshTarget, home: Path) -> None:
    # the host's script itself makes the marker a moment after the watch began
    (home / "markers").mkdir()
    later = home / "bin" / "finish-later"
    later.write_text(
        f"#!/bin/sh\n(sleep 1; touch {home}/markers/bootstrap-done) >/dev/null 2>&1 &\n"
    )
    later.chmod(0o755)
    assert run(ssh_command(verified, ["finish-later"])).returncode == 0
    mgmt_access.wait_for_bootstrap(verified, timeout=30, run=_boot_runner(home), interval=0.1)


# --- kind's kubeconfig ------------------------------------------------------------------------


def _put_kind_kubeconfig(home: Path) -> None:
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text(yaml.safe_dump(KIND_KUBECONFIG))


def test_fetch_kubeconfig_reads_kinds_config_from_the_home(
    verified: SshTarget, home: Path, tmp_path: Path
) -> None:
    _put_kind_kubeconfig(home)
    out = mgmt_access.fetch_kubeconfig(verified, 16443, "kaas-mgmt", tmp_path / "kubeconfig")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    config = yaml.safe_load(out.read_text())
    assert config["clusters"][0]["cluster"] == {
        "server": "https://127.0.0.1:16443",
        "certificate-authority-data": "Q0E=",
    }
    assert config["users"][0]["user"] == {"client-key-data": "c2VjcmV0"}


def test_fetch_kubeconfig_says_when_there_is_none(
    verified: SshTarget, home: Path, tmp_path: Path
) -> None:
    with pytest.raises(KaasError, match=r"could not read the kubeconfig from .*kaas mgmt wait"):
        mgmt_access.fetch_kubeconfig(verified, 16443, "kaas-mgmt", tmp_path / "kubeconfig")
    assert not (tmp_path / "kubeconfig").exists()


def test_the_tunnel_reads_the_kubeconfig_into_memory(verified: SshTarget, home: Path) -> None:
    _put_kind_kubeconfig(home)
    text = mgmt_tunnel.read_kubeconfig(verified, 16443, "kaas-mgmt")
    assert yaml.safe_load(text)["current-context"] == "kaas-mgmt"


# --- the tunnel --------------------------------------------------------------------------------


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"kind api here"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def kind_api() -> Iterator[int]:
    """A tiny HTTP server on the host's loopback, standing in for kind's API server."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _get(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        return str(response.read().decode())


def test_forwarded_port_reaches_the_hosts_loopback_and_ends_with_the_block(
    verified: SshTarget, kind_api: int
) -> None:
    started: list[subprocess.Popen[Any]] = []

    def popen(command: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        process = subprocess.Popen(command, **kwargs)
        started.append(process)
        return process

    # kind's port 6443 on the host is the test server's port here (the only word changed)
    to_kind_api = relocating({f"127.0.0.1:{boot.KIND_API_PORT}": f"127.0.0.1:{kind_api}"}, popen)
    with mgmt_tunnel.forwarded_port(verified, timeout=30, popen=to_kind_api) as port:
        assert _get(port) == "kind api here"
        assert _get(port) == "kind api here"  # a second connection through the same tunnel
    assert started[0].poll() is not None
    assert not mgmt_tunnel.port_accepts(port)


def test_a_tunnel_to_an_unverified_host_says_how_to_record_its_key(
    ssh_host: SshHost, tmp_path: Path, kind_api: int
) -> None:
    target = ssh_host.target(tmp_path / "known_hosts")  # no key recorded
    with (
        pytest.raises(KaasError, match=r"no SSH host key of .* `kaas mgmt wait` reads it"),
        mgmt_tunnel.forwarded_port(target, timeout=30, popen=_to_kind_api(kind_api)),
    ):
        pass


def test_a_tunnel_to_a_host_not_up_ends_at_once(verified: SshTarget, kind_api: int) -> None:
    # the recorded host's address, but nothing listens on port 22 of it
    down = dataclasses.replace(verified, address=_other_loopback_address(verified.address))
    with (
        pytest.raises(KaasError, match=r"ended at once \(exit 255\); is the host up"),
        mgmt_tunnel.forwarded_port(down, timeout=30, popen=_to_kind_api(kind_api)),
    ):
        pass


def _other_loopback_address(address: str) -> str:
    last = int(address.rsplit(".", 1)[1])
    return f"{address.rsplit('.', 1)[0]}.{last % 250 + 2}"


def _to_kind_api(port: int) -> Any:
    """Popen for the tunnel: kind's port 6443 on the host is the test server's `port` here."""
    return relocating({f"127.0.0.1:{boot.KIND_API_PORT}": f"127.0.0.1:{port}"}, subprocess.Popen)


# --- the host side of `kaas mgmt move` ---------------------------------------------------------


def test_remote_move_hands_kaas_its_words_unchanged(verified: SshTarget, home: Path) -> None:
    # a stand-in `kaas` on the host records the words it got, one per line
    (home / "bin" / "kaas").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$HOME/argv"\n')
    (home / "bin" / "kaas").chmod(0o755)
    manifest = "https://example.org/orc/v2.1.0/install.yaml?a=1&b=two words"
    command = mgmt_move_host.remote_move_command(verified, "kaas", "work-1", manifest, True)
    result = run(command)
    assert result.returncode == 0, result.stderr
    argv = (home / "argv").read_text().splitlines()
    assert argv == [
        "mgmt",
        "move",
        "--to",
        "work-1",
        "--env",
        ENVIRONMENT_DIR,
        "--kubeconfig",
        ".kube/config",
        "--state-dir",
        mgmt_move_host.HOST_STATE_DIR,
        "--orc-manifest",
        manifest,
        "--dry-run",
    ]


def test_fetch_moved_kubeconfig_reads_what_the_hosts_move_stored(
    verified: SshTarget, home: Path
) -> None:
    stored = home / mgmt_move_host.host_moved_kubeconfig("kaas")
    stored.parent.mkdir(parents=True)
    stored.write_text(yaml.safe_dump(KIND_KUBECONFIG))
    secret = mgmt_move_host.fetch_moved_kubeconfig(verified, "kaas")
    assert yaml.safe_load(secret.get_secret_value()) == KIND_KUBECONFIG
    with pytest.raises(KaasError, match="could not read the moved management kubeconfig"):
        mgmt_move_host.fetch_moved_kubeconfig(verified, "other")


# --- a refused host key is named, not retried or blamed on the boot ----------------------------


@pytest.fixture
def impostor_known(ssh_host: SshHost, tmp_path: Path) -> SshTarget:
    """The host with another host's key recorded for its address."""
    known_hosts = tmp_path / "known_hosts"
    other = keygen(tmp_path / "other_host_key")
    record_host_keys(known_hosts, ssh_host.address, host_keys(SshHost.console_log_of(other)))
    return ssh_host.target(known_hosts)


REFUSED = r"could not verify the SSH host key of 127\.[0-9.]+ .*ssh-keygen -R"


def test_wait_stops_at_once_when_the_host_key_is_refused(
    impostor_known: SshTarget, home: Path
) -> None:
    (home / "markers").mkdir()
    (home / "markers" / Path(boot.DONE_MARKER).name).touch()
    # before: retried as "unreachable" until `kaas mgmt wait`'s hour was up
    with pytest.raises(KaasError, match=REFUSED):
        mgmt_access.wait_for_bootstrap(
            impostor_known, timeout=20, run=_boot_runner(home), interval=0.1
        )


def test_reading_the_kubeconfig_names_a_refused_host_key(
    impostor_known: SshTarget, home: Path, tmp_path: Path
) -> None:
    _put_kind_kubeconfig(home)
    with pytest.raises(KaasError, match=REFUSED):
        mgmt_access.fetch_kubeconfig(impostor_known, 16443, "kaas-mgmt", tmp_path / "kubeconfig")
    with pytest.raises(KaasError, match=REFUSED):
        mgmt_tunnel.read_kubeconfig(impostor_known, 16443, "kaas-mgmt")
    with pytest.raises(KaasError, match=REFUSED):
        mgmt_move_host.fetch_moved_kubeconfig(impostor_known, "kaas")


def test_a_tunnel_names_a_refused_host_key(impostor_known: SshTarget, kind_api: int) -> None:
    with (
        pytest.raises(KaasError, match=REFUSED),
        mgmt_tunnel.forwarded_port(impostor_known, timeout=30, popen=_to_kind_api(kind_api)),
    ):
        pass


def test_a_missing_kubeconfig_says_what_the_host_said(
    verified: SshTarget, home: Path, tmp_path: Path
) -> None:
    with pytest.raises(KaasError, match=r"\(exit 1: cat: \.kube/config: No such file"):
        mgmt_access.fetch_kubeconfig(verified, 16443, "kaas-mgmt", tmp_path / "kubeconfig")


def test_wait_keeps_trying_a_host_not_up_yet(
    verified: SshTarget, home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    down = dataclasses.replace(verified, address=_other_loopback_address(verified.address))
    with pytest.raises(KaasError, match=r"timed out after 2 s waiting for SSH to"):
        mgmt_access.wait_for_bootstrap(down, timeout=2, run=_boot_runner(home), interval=0.2)
    # ssh's own messages still reach the user, once per attempt
    assert capfd.readouterr().err.count("Connection refused") >= 2
