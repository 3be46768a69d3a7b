"""A real OpenSSH server on a loopback address, standing in for the management host.

Debian's `sshd` runs as a child of the test on port 22 of a random 127.x.y.z address, so the
production command lines run unchanged: no `-p`, and the known_hosts lines `record_host_keys`
writes (plain address, as for port 22) are the ones ssh looks up. It logs in the user running
the tests (root in CI) with a throwaway key; its host key is a throwaway ed25519 key.

The remote side must not touch the machine's real home: `ForceCommand` runs each command in the
user's own shell with HOME and the working directory set to a temp folder (`home`), and
`home/bin` first on PATH for stand-in commands. `-N` tunnels run no command, so the forwarding
itself is sshd's own. Absolute system paths the host's scripts use (/var/lib/scs-kaas, ...) are
relocated into the temp folder by the tests' runner (see `relocating`).

The `ssh_host` fixture is registered once, by `pytest_plugins` in tests/conftest.py; the
helpers (`SshHost`, `keygen`, `relocating`) may be imported.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import random
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scs_kaas.errors import KaasError
from scs_kaas.polling import wait_until
from scs_kaas.ssh.hostkeys import OUR_BEGIN, OUR_END
from scs_kaas.ssh.target import SshTarget

SSHD = Path("/usr/sbin/sshd")
SSH_PORT = 22
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start as root without it
START_TIMEOUT = 15.0
_STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class SshHost:
    address: str
    user: str
    home: Path  # where remote commands start; HOME there
    client_key: Path  # its public half is the one authorized key
    host_public_key: Path
    log: Path  # sshd's own messages (-e), for failures
    authorized_keys: Path

    def authorize(self, public_key: str) -> None:
        """Let the holder of another key log in too (e.g. the environment's own)."""
        with self.authorized_keys.open("a") as keys:
            keys.write(public_key.strip() + "\n")

    def target(self, known_hosts: Path, *, trust_on_first_use: bool = False) -> SshTarget:
        return SshTarget(
            self.user,
            self.address,
            self.client_key,
            known_hosts,
            trust_on_first_use=trust_on_first_use,
        )

    def console_log(self) -> str:
        return self.console_log_of(self.host_public_key)

    @staticmethod
    def console_log_of(public_key: Path) -> str:
        """A console log with the block the host's kaas-publish-host-keys prints for the key."""
        key = " ".join(public_key.read_text().split()[:2])  # cut -d' ' -f1,2
        return "\n".join(
            [
                "[   12.345678] cloud-init[812]: Cloud-init v. 24.4 running 'modules:final'",
                OUR_BEGIN,
                key,
                OUR_END,
                "scs-kaas: SSH host keys written to the console",
                "",
            ]
        )


def keygen(path: Path) -> Path:
    """A new ed25519 key pair at `path` (no passphrase); returns the public half."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path.with_name(path.name + ".pub")


def _loopback_address() -> str:
    """A 127.x.y.z whose port 22 is free (a system sshd on 0.0.0.0:22 would block them all)."""
    for _ in range(20):
        address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, SSH_PORT))
            except PermissionError:
                raise KaasError(
                    "the test sshd needs root to listen on port 22 (CI runs the tests as root), "
                    "or sysctl net.ipv4.ip_unprivileged_port_start=22"
                ) from None
            except OSError:
                continue
            return address
    raise KaasError(
        "no loopback address with a free port 22 for the test sshd: "
        "is an sshd listening on 0.0.0.0:22? (ss -ltnp)"
    )


def accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1.0):
            return True
    except OSError:
        return False


def _config(root: Path, address: str, home: Path, host_key: Path, authorized: Path) -> str:
    # sshd runs `$SHELL -c FORCECOMMAND` with the client's command in SSH_ORIGINAL_COMMAND;
    # handing that on to the user's shell keeps the quoting a real host's login shell sees.
    force = (
        f'cd {home} && HOME={home} PATH={home}/bin:"$PATH" exec "$SHELL" -c "$SSH_ORIGINAL_COMMAND"'
    )
    lines = [
        f"ListenAddress {address}:{SSH_PORT}",
        f"HostKey {host_key}",
        f"PidFile {root / 'sshd.pid'}",
        f"AuthorizedKeysFile {authorized}",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "UsePAM no",
        "StrictModes no",
        "AllowTcpForwarding yes",
        "X11Forwarding no",
        "PrintMotd no",
        "PrintLastLog no",
        "LogLevel VERBOSE",
        f"ForceCommand {force}",
    ]
    return "\n".join(lines) + "\n"


def missing_reason() -> str | None:
    if not SSHD.exists() or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return (
            "the real-SSH tests need OpenSSH: "
            "apt-get install -y --no-install-recommends openssh-server openssh-client "
            "(or `bash scripts/install-debian-packages`)"
        )
    return None


@contextlib.contextmanager
def running_sshd(root: Path) -> Iterator[SshHost]:
    """sshd on a fresh loopback address, keys and home under `root`; stopped on the way out."""
    root.mkdir(parents=True, exist_ok=True)
    home = root / "home"
    (home / "bin").mkdir(parents=True)
    host_public_key = keygen(root / "ssh_host_ed25519_key")
    client_public_key = keygen(root / "id_ed25519")
    authorized = root / "authorized_keys"
    authorized.write_text(client_public_key.read_text())
    address = _loopback_address()
    config = root / "sshd_config"
    config.write_text(_config(root, address, home, root / "ssh_host_ed25519_key", authorized))
    if os.geteuid() == 0:
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    log = root / "sshd.log"
    with log.open("wb") as log_file:
        # sshd re-execs itself per connection: it needs its absolute path
        process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:

        def listening() -> bool:
            if process.poll() is not None:
                raise KaasError(
                    f"sshd ended at once (exit {process.returncode}):\n{log.read_text()}"
                )
            return accepts(address, SSH_PORT)

        wait_until(listening, START_TIMEOUT, "the test sshd to listen", interval=0.05)
        yield SshHost(
            address,
            getpass.getuser(),
            home,
            root / "id_ed25519",
            host_public_key,
            log,
            authorized,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def ssh_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshHost]:
    """One sshd per test module (starting one takes a few tenths of a second)."""
    reason = missing_reason()
    if reason:
        # no skip: CI must not go green without having run these tests
        pytest.fail(reason, pytrace=False)
    with contextlib.ExitStack() as stack:
        try:
            host = stack.enter_context(running_sshd(tmp_path_factory.mktemp("sshd")))
        except KaasError as error:
            pytest.fail(str(error), pytrace=False)
        yield host


def relocating(
    moves: dict[str, str], run: Callable[..., Any] = subprocess.run
) -> Callable[..., Any]:
    """A runner (or popen) that rewrites host paths/ports in the command's words, then runs it.

    The command keeps every option and its quoting; only the host-side locations change.
    """

    def relocated(command: Sequence[str], **kwargs: Any) -> Any:
        words = list(command)
        for old, new in moves.items():
            words = [word.replace(old, new) for word in words]
        return run(words, **kwargs)

    return relocated
