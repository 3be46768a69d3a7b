"""Reaching the management host: SSH, following its boot, and the kind API through a tunnel.

Command lines are built by pure functions (the local cloud boots nothing, so they are tested by
construction; the ssh command line itself is scs_kaas/ssh/target.py); running them is a thin
layer on `subprocess`. Host keys go to the environment's own known_hosts file
(scs_kaas/ssh/host_trust.py), so a re-created host never trips over ~/.ssh/known_hosts (R1
needed `ssh-keygen -R` for that).

Host keys are verified: they come from the server's console log, read through the
authenticated Nova API (the host prints them there early in its boot), and SSH runs with
StrictHostKeyChecking=yes. On a cloud that keeps no console logs, `--trust-on-first-use`
falls back to accepting whatever key answers first on the floating IP.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import yaml
from openstack.connection import Connection

from scs_kaas.errors import CloudError, KaasError
from scs_kaas.files import write_atomic
from scs_kaas.openstack.connection import connect
from scs_kaas.openstack.mgmt_host import console_log
from scs_kaas.polling import wait_until
from scs_kaas.render import mgmt_bootstrap as boot
from scs_kaas.settings.model import Settings
from scs_kaas.ssh.host_trust import knows_host, record_host_keys, refused_host_key
from scs_kaas.ssh.hostkeys import HostKey, host_keys
from scs_kaas.ssh.target import SSH_UNREACHABLE, Runner, SshTarget, ssh_command
from scs_kaas.workflows import defaults
from scs_kaas.workflows.mgmt.create import host_server_id
from scs_kaas.workflows.mgmt.state import StatePaths, load_state

WATCH_RETRY_INTERVAL = 5.0
TRUST_ON_FIRST_USE = defaults.TRUST_ON_FIRST_USE
HOST_KEYS_TIMEOUT = defaults.HOST_KEYS_TIMEOUT
HOST_KEYS_INTERVAL = 5.0


def target_of(
    paths: StatePaths, cloud: str, user: str, *, trust_on_first_use: bool = False
) -> SshTarget:
    """The recorded host of this environment; no cloud call."""
    state = load_state(paths, cloud)
    if not state.floating_ip_address or not paths.private_key.exists():
        raise KaasError(
            f"no management host is recorded for prefix {paths.prefix!r} in {paths.root}: "
            "run `kaas mgmt create` first"
        )
    return SshTarget(
        user,
        state.floating_ip_address,
        paths.private_key,
        paths.known_hosts,
        trust_on_first_use=trust_on_first_use,
    )


# Follows the boot like R1's `make watch`: prints cloud-init's output until a marker appears;
# exits 0 when the bootstrap is done, 1 when it failed.
WATCH_SCRIPT = (
    f"tail -n +1 -F {boot.OUTPUT_LOG} 2>/dev/null & tailer=$!; "
    f"while [ ! -e {boot.DONE_MARKER} ] && [ ! -e {boot.FAILED_MARKER} ]; do sleep 2; done; "
    f"sleep 1; kill $tailer; [ -e {boot.DONE_MARKER} ]"
)


def watch_command(target: SshTarget) -> list[str]:
    return ssh_command(target, [WATCH_SCRIPT])


def tunnel_command(target: SshTarget, local_port: int) -> list[str]:
    """Forward 127.0.0.1:<local_port> to the kind API on the host's loopback."""
    forward = f"127.0.0.1:{local_port}:127.0.0.1:{boot.KIND_API_PORT}"
    return ssh_command(target, options=["-N", "-L", forward, "-o", "ExitOnForwardFailure=yes"])


def kubeconfig_command(target: SshTarget) -> list[str]:
    return ssh_command(target, ["cat", ".kube/config"])


def wait_for_bootstrap(
    target: SshTarget,
    timeout: float,
    run: Runner = subprocess.run,
    interval: float = WATCH_RETRY_INTERVAL,
) -> None:
    """Follow the host's boot over SSH until the bootstrap is done; fail when it failed."""
    outcome: list[int] = []

    def finished() -> bool:
        try:
            # stdout (the boot's output) streams to the terminal; ssh's messages are read to tell
            # a refused host key (final) from a host not up yet (retried), then passed on
            result = run(
                watch_command(target),
                check=False,
                timeout=timeout,
                stderr=subprocess.PIPE,
                text=True,
            )
        except subprocess.TimeoutExpired as error:
            raise KaasError(
                f"the bootstrap of {target.address} took over {timeout:.0f} s"
            ) from error
        if result.returncode == SSH_UNREACHABLE and refused_host_key(result.stderr):
            raise host_key_error(target)
        sys.stderr.write(result.stderr or "")
        outcome[:] = [result.returncode]
        return result.returncode != SSH_UNREACHABLE

    wait_until(finished, timeout, f"SSH to {target.destination}", interval)
    if outcome[0] != 0:
        raise KaasError(
            f"the bootstrap of {target.address} failed (exit {outcome[0]}): see the lines above, "
            "`kaas mgmt ssh` and `sudo cat /var/log/cloud-init-output.log`"
        )


def host_key_error(target: SshTarget) -> KaasError:
    if not knows_host(target):
        return KaasError(
            f"no SSH host key of {target.address} is recorded in {target.known_hosts}: "
            f"`kaas mgmt wait` reads it from the host's console log (or pass "
            f"{TRUST_ON_FIRST_USE} on a cloud without console logs)"
        )
    return KaasError(
        f"could not verify the SSH host key of {target.address} against {target.known_hosts}: "
        "the host offers another key. If the host was re-created on this address, drop the old "
        f"key (`ssh-keygen -R {target.address} -f {target.known_hosts}`) and run the command "
        "again (the new key is read from its console log); otherwise do not connect: someone "
        "may be intercepting it"
    )


def ssh_failed(
    target: SshTarget, what: str, result: subprocess.CompletedProcess[Any], hint: str
) -> KaasError:
    """Why `what` over SSH failed: a refused host key, else the last thing the host said."""
    if result.returncode == SSH_UNREACHABLE and refused_host_key(result.stderr):
        return host_key_error(target)
    stderr = result.stderr
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr or ""
    said = [line.strip() for line in text.splitlines() if line.strip()]
    detail = f": {said[-1]}" if said else ""
    return KaasError(
        f"could not {what} from {target.address} (exit {result.returncode}{detail}); {hint}"
    )


def tunnel_kubeconfig(text: str, local_port: int, name: str) -> str:
    """kind's kubeconfig, renamed to `name` and pointed at the local end of the tunnel.

    The API certificate names 127.0.0.1, so TLS verification still holds through the tunnel.
    """
    try:
        config = yaml.safe_load(text)
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        raise KaasError("the host's ~/.kube/config is not a kind kubeconfig") from None
    cluster = {**cluster, "server": f"https://127.0.0.1:{local_port}"}
    renamed = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    return yaml.safe_dump(renamed, sort_keys=False)


KUBECONFIG_HINT = "is the bootstrap done? (`kaas mgmt wait`)"


def fetch_kubeconfig(
    target: SshTarget, local_port: int, name: str, out: Path, run: Runner = subprocess.run
) -> Path:
    """Copy the management cluster's kubeconfig over SSH into `out` (0600, never printed)."""
    result = run(kubeconfig_command(target), check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise ssh_failed(target, "read the kubeconfig", result, KUBECONFIG_HINT)
    write_atomic(out, tunnel_kubeconfig(result.stdout, local_port, name), mode=0o600)
    return out


# --- host keys from the console log (what is known and recorded: ssh/host_trust.py) -----------


def console_host_keys(conn: Connection, server_id: str) -> tuple[HostKey, ...]:
    return host_keys(console_log(conn, server_id))


def fetch_host_keys(
    conn: Connection,
    server_id: str,
    target: SshTarget,
    timeout: float = HOST_KEYS_TIMEOUT,
    interval: float = HOST_KEYS_INTERVAL,
) -> tuple[HostKey, ...]:
    """Wait until the server's console log shows its host keys, then record them."""
    found: list[HostKey] = []
    problem: list[str] = []

    def printed() -> bool:
        try:
            found[:] = console_host_keys(conn, server_id)
        except CloudError as error:  # no console log (yet): the same as no keys (yet)
            problem[:] = [str(error)]
        return bool(found)

    try:
        wait_until(printed, timeout, "host keys", interval)
    except KaasError as error:
        reason = f" ({problem[0]})" if problem else ""
        raise KaasError(
            f"the console log of server {server_id} showed no SSH host keys within "
            f"{timeout:.0f} s{reason}, so {target.address} cannot be verified. A host still "
            "booting prints them after its package upgrade: try again later. On a cloud "
            f"without console logs (`kaas mgmt log` shows none), pass {TRUST_ON_FIRST_USE} "
            "to accept the key the host offers on first contact, unverified"
        ) from error
    record_host_keys(target.known_hosts, target.address, found)
    return tuple(found)


def ensure_host_keys(
    target: SshTarget,
    locate: Callable[[], AbstractContextManager[tuple[Connection, str]]],
    timeout: float = HOST_KEYS_TIMEOUT,
    interval: float = HOST_KEYS_INTERVAL,
) -> str | None:
    """Make ssh to `target` verifiable: fetch the host keys unless known_hosts has them.

    `locate` gives a connection and the server for `with`, called only when the keys must be
    fetched. Returns a note for the user, if any.
    """
    if target.trust_on_first_use:
        return (
            f"{TRUST_ON_FIRST_USE}: the host key of {target.address} is NOT verified; "
            "SSH accepts the one offered on first contact"
        )
    if knows_host(target):
        return None
    with locate() as (conn, server_id):
        keys = fetch_host_keys(conn, server_id, target, timeout, interval)
    return f"recorded {len(keys)} SSH host key(s) of {target.address} from its console log"


def _silent(text: str) -> None:
    del text


def verified_target(
    settings: Settings,
    paths: StatePaths,
    *,
    trust_on_first_use: bool = False,
    timeout: float = HOST_KEYS_TIMEOUT,
    say: Callable[[str], None] = _silent,
) -> SshTarget:
    """The environment's host, its keys in the environment's known_hosts (fetched from the
    console log when missing; the cloud is asked only then). `say` gets progress and notes."""
    target = target_of(
        paths,
        settings.cloud,
        settings.management.ssh_username,
        trust_on_first_use=trust_on_first_use,
    )

    @contextlib.contextmanager
    def locate() -> Iterator[tuple[Connection, str]]:
        say(
            f"reading the SSH host keys of {target.address} from its console log "
            f"(up to {timeout:.0f} s)"
        )
        with connect(settings.cloud) as conn:
            yield conn, host_server_id(conn, settings, paths)

    note = ensure_host_keys(target, locate, timeout)
    if note:
        say(f"note: {note}")
    return target


def record_created_host(conn: Connection, server_id: str, target: SshTarget) -> str:
    """After `kaas mgmt create`: record the host keys if the console log has them already.

    Otherwise drop any older lines for the address (a floating IP outlives servers), so that
    `kaas mgmt wait/ssh/kubeconfig` fetch the keys of this server. Returns a note.
    """
    try:
        keys = console_host_keys(conn, server_id)
    except CloudError:
        keys = ()
    record_host_keys(target.known_hosts, target.address, keys)
    if keys:
        return f"recorded {len(keys)} SSH host key(s) of {target.address} from its console log"
    return (
        f"the console log shows no SSH host keys of {target.address} yet (the host prints them "
        "once its packages are upgraded): `kaas mgmt wait` records them"
    )
