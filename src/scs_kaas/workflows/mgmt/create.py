"""Create and delete the management host (R1's `make create` and `make clean`).

Each step finds its resource first (recorded ID, else name + ownership tags) and creates it only
when it is missing; the state file is written after every step. So a second run changes nothing
and an interrupted run resumes. Deletion is in `workflows.mgmt.delete`, the user data in
`workflows.mgmt.userdata`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import KaasError, SettingProblem, SettingsError
from scs_kaas.openstack import keypairs, mgmt_host, network
from scs_kaas.openstack.ownership import claim_description
from scs_kaas.render.cloud_init import encode_user_data
from scs_kaas.settings.model import Settings
from scs_kaas.ssh.keypair import KeyFiles, ensure_key, fingerprint
from scs_kaas.workflows.mgmt.state import (
    MgmtState,
    Recorded,
    StatePaths,
    ensure_private_root,
    load_state,
    save_state,
)
from scs_kaas.workflows.progress import Progress, StepEvent, quiet

CREATE_STEPS = (
    "keypair",
    "security-group",
    "network",
    "subnet",
    "router",
    "router-interface",
    "port",
    "floating-ip",
    "root-volume",
    "server",
    "node-image",
)


# Test hook: called as ("created" | "recorded", step); raising there simulates an interruption.
Checkpoint = Callable[[str, str], None]
# find(recorded id, claim description) -> id or None; create(claim description) -> id
Find = Callable[[str | None, str | None], str | None]
Create = Callable[[str], str]


class PendingResult(Protocol):
    """A background job (the node image upload): started first, joined last."""

    def result(self, timeout: float | None = None) -> object: ...

    def cancel(self) -> None: ...


def _no_checkpoint(moment: str, step: str) -> None:
    del moment, step


@dataclass(frozen=True)
class HostPlan:
    """What `mgmt create` makes, by step: (step, kind, name)."""

    prefix: str
    steps: tuple[tuple[str, str, str], ...]


def plan(settings: Settings) -> HostPlan:
    prefix = settings.prefix
    steps = (
        ("keypair", "keypair", naming.keypair(prefix)),
        ("security-group", "security group", naming.mgmt_security_group(prefix)),
        ("network", "network", naming.mgmt_network(prefix)),
        ("subnet", "subnet", naming.mgmt_subnet(prefix)),
        ("router", "router", naming.mgmt_router(prefix)),
        ("router-interface", "router interface", naming.mgmt_subnet(prefix)),
        ("port", "port", naming.mgmt_port(prefix)),
        ("floating-ip", "floating IP", naming.mgmt_floating_ip(prefix)),
        ("root-volume", "volume (if the flavor has no disk)", naming.mgmt_root_volume(prefix)),
        ("server", "server", naming.mgmt_server(prefix)),
        ("node-image", "node image upload (joined)", settings.node_image_name),
    )
    return HostPlan(prefix, steps)


def check_can_create(settings: Settings) -> None:
    """Settings that rule a host out, before any cloud call."""
    if settings.management.kubeconfig:
        raise SettingsError(
            [
                SettingProblem(
                    "management.kubeconfig",
                    "is set: this environment uses an existing management cluster, "
                    "so there is no management host to create or delete",
                )
            ]
        )


@dataclass
class HostSummary:
    prefix: str
    server_id: str
    floating_ip: str
    ssh_user: str
    private_key: Path
    resources: dict[str, str]
    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Run:
    conn: Connection
    settings: Settings
    paths: StatePaths
    state: MgmtState
    progress: Progress
    checkpoint: Checkpoint
    changed: list[str] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return naming.management_tags(self.settings.prefix)

    def record(self, step: str, resource_id: str, name: str) -> None:
        self.state.resources[step] = Recorded(id=resource_id, name=name)
        self.state.claims.pop(step, None)
        save_state(self.paths, self.state)
        self.checkpoint("recorded", step)

    def ensure(self, step: str, name: str, find: Find, create: Create) -> str:
        """Find the step's resource (recorded ID, name and tags, or our claim), else create it.

        A claim (a random token in the description) is recorded before the create call, so a
        resource made but not yet tagged or recorded when a run stopped is still found as ours.
        """
        self.progress(StepEvent(step, "start", name))
        known = self.state.resources.get(step)
        token = self.state.claims.get(step)
        claim = claim_description(name, token) if token else None
        found = find(known.id if known else None, claim)
        if found is None:
            if token is None:
                token = secrets.token_hex(8)
                self.state.claims[step] = token
                save_state(self.paths, self.state)
            found = create(claim_description(name, token))
            self.changed.append(step)
            self.checkpoint("created", step)
        self.record(step, found, name)
        self.progress(StepEvent(step, "created" if step in self.changed else "exists", found))
        return found


def run(
    conn: Connection,
    settings: Settings,
    paths: StatePaths,
    user_data: str,
    progress: Progress = quiet,
    start_image_upload: Callable[[], PendingResult] | None = None,
    checkpoint: Checkpoint = _no_checkpoint,
    image_timeout: float = 3600.0,
) -> HostSummary:
    """Make (or find) every resource of the management host, in R1's order.

    `start_image_upload` starts the node image upload (`workflows.image.ensure.start`);
    it is started first, because it takes longest, and joined last.
    """
    check_can_create(settings)
    encoded_user_data = encode_user_data(user_data)  # too large -> SettingsError, no cloud call
    state = load_state(paths, settings.cloud)
    upload = start_image_upload() if start_image_upload is not None else None
    run = _Run(conn, settings, paths, state, progress, checkpoint)
    try:
        summary = _make_host(run, encoded_user_data)
        if upload is not None:
            progress(StepEvent("node-image", "start", settings.node_image_name))
            upload.result(timeout=image_timeout)
            progress(StepEvent("node-image", "exists", settings.node_image_name))
        else:
            progress(StepEvent("node-image", "skipped", "no image upload was started"))
    except BaseException:
        if upload is not None:
            upload.cancel()  # else the upload thread would keep the process alive
        raise
    state.complete = True
    save_state(paths, state)
    return summary


def _make_host(run: _Run, encoded_user_data: str) -> HostSummary:
    settings, mgmt = run.settings, run.settings.management
    # Resolved before anything is made: a wrong flavor, image or network fails with nothing left.
    external = network.external_network_id(run.conn, settings.external_network)
    boot = mgmt_host.boot_source(run.conn, mgmt.flavor, mgmt.image)
    key_name = _ensure_keypair(run)
    port, address = _ensure_network(run, external)
    server, notes = _ensure_server(run, boot, port, key_name, encoded_user_data)
    return HostSummary(
        prefix=settings.prefix,
        server_id=server,
        floating_ip=address,
        ssh_user=mgmt.ssh_username,
        private_key=run.paths.private_key,
        resources={step: r.id for step, r in run.state.resources.items()},
        changed=run.changed,
        notes=notes,
    )


def _ensure_keypair(run: _Run) -> str:
    conn, prefix = run.conn, run.settings.prefix
    key_name = naming.keypair(prefix)
    ensure_private_root(run.paths)
    public_key = ensure_key(KeyFiles(run.paths.private_key), comment=f"scs-kaas {prefix}")
    key_fingerprint = fingerprint(public_key)
    # Recorded before the import: the fingerprint is what proves the keypair is ours.
    run.state.key_fingerprint = key_fingerprint
    save_state(run.paths, run.state)

    def import_key() -> str:
        keypairs.import_keypair(conn, key_name, public_key)
        return key_name

    return run.ensure(
        "keypair",
        key_name,
        lambda _k, _c: key_name if keypairs.find_keypair(conn, key_name, key_fingerprint) else None,
        lambda _claim: import_key(),
    )


def _ensure_network(run: _Run, external: str) -> tuple[str, str]:
    """Security group, network, subnet, router, port and floating IP: (port, address)."""
    conn, prefix, tags = run.conn, run.settings.prefix, run.tags
    mgmt = run.settings.management

    def neutron(step: str, kind: str, name: str, create: Create) -> str:
        def find(known: str | None, claim: str | None) -> str | None:
            return network.find_owned(conn, kind, known, name, tags, claim)

        return run.ensure(step, name, find, create)

    group_name = naming.mgmt_security_group(prefix)
    group = neutron(
        "security-group",
        "security group",
        group_name,
        lambda claim: network.create_security_group(conn, group_name, tags, claim),
    )
    if network.ensure_ssh_rules(conn, group, mgmt.allowed_cidrs):
        run.changed.append("security-group-rules")
    net_name = naming.mgmt_network(prefix)
    net = neutron(
        "network",
        "network",
        net_name,
        lambda claim: network.create_network(conn, net_name, tags, claim),
    )
    subnet_name = naming.mgmt_subnet(prefix)
    dns = run.settings.network.dns_nameservers
    subnet = neutron(
        "subnet",
        "subnet",
        subnet_name,
        lambda claim: network.create_subnet(conn, subnet_name, net, mgmt.cidr, dns, tags, claim),
    )
    router_name = naming.mgmt_router(prefix)
    router = neutron(
        "router",
        "router",
        router_name,
        lambda claim: network.create_router(conn, router_name, external, tags, claim),
    )
    run.progress(StepEvent("router-interface", "start", subnet_name))
    attached = network.ensure_router_interface(conn, router, subnet)
    if attached:
        run.changed.append("router-interface")
    run.checkpoint("recorded", "router-interface")
    run.progress(StepEvent("router-interface", "created" if attached else "exists", router))
    port_name = naming.mgmt_port(prefix)
    port = neutron(
        "port",
        "port",
        port_name,
        lambda claim: network.create_port(conn, port_name, net, subnet, group, tags, claim),
    )
    fip_name = naming.mgmt_floating_ip(prefix)
    fip = neutron(
        "floating-ip",
        "floating IP",
        fip_name,
        lambda claim: network.create_floating_ip(conn, external, port, tags, claim),
    )
    address, moved = network.ensure_floating_ip_port(conn, fip, port)
    if moved:
        run.changed.append("floating-ip-association")
    run.state.floating_ip_address = address
    save_state(run.paths, run.state)
    return port, address


def _ensure_server(
    run: _Run, boot: mgmt_host.BootSource, port: str, key_name: str, encoded_user_data: str
) -> tuple[str, list[str]]:
    """The root volume (diskless flavors only) and the server, ACTIVE: (server, notes)."""
    conn, settings, tags = run.conn, run.settings, run.tags
    prefix, mgmt = settings.prefix, settings.management
    volume: str | None = None
    if boot.needs_volume:
        volume_name = naming.mgmt_root_volume(prefix)
        volume = run.ensure(
            "root-volume",
            volume_name,
            lambda known, _claim: mgmt_host.find_volume(conn, known, volume_name, tags),
            lambda _claim: mgmt_host.create_volume(
                conn,
                volume_name,
                mgmt.root_volume_gib,
                boot.image_id,
                settings.availability_zone,
                tags,
            ),
        )
        mgmt_host.wait_volume_available(conn, volume, mgmt_host.VOLUME_TIMEOUT)
    else:
        detail = f"the flavor has a {boot.flavor_disk_gib} GiB disk"
        run.progress(StepEvent("root-volume", "skipped", detail))

    spec = mgmt_host.ServerSpec(
        name=naming.mgmt_server(prefix),
        boot=boot,
        port_id=port,
        key_name=key_name,
        user_data_b64=encoded_user_data,
        tags=tags,
        availability_zone=settings.availability_zone,
        root_volume_id=volume,
    )
    server = run.ensure(
        "server",
        spec.name,
        lambda known, _claim: mgmt_host.find_server(conn, known, spec.name, tags),
        lambda _claim: mgmt_host.create_server(conn, spec),
    )
    notes = []
    digest = hashlib.sha256(encoded_user_data.encode("ascii")).hexdigest()
    if "server" in run.changed:
        run.state.user_data_sha256 = digest
        save_state(run.paths, run.state)
    elif run.state.user_data_sha256 not in (None, digest):
        notes.append(
            "the host was made with other cloud-init settings; they apply only to a new host "
            "(kaas mgmt delete, then kaas mgmt create)"
        )
    mgmt_host.wait_server_active(conn, server, mgmt_host.SERVER_TIMEOUT)
    return server, notes


def host_server_id(conn: Connection, settings: Settings, paths: StatePaths) -> str:
    """The server of this environment's host: the recorded one, else the one tagged as it."""
    state = load_state(paths, settings.cloud)
    recorded = state.resources.get("server")
    tags = naming.management_tags(settings.prefix)
    found = mgmt_host.find_server(
        conn, recorded.id if recorded else None, naming.mgmt_server(settings.prefix), tags
    )
    if found is None:
        raise KaasError(f"no management host server for prefix {settings.prefix!r} in the cloud")
    return found
