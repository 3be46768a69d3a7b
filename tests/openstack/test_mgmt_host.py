"""`kaas mgmt create` / `delete` against the real local cloud (Nova's fake driver boots nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError
from scs_kaas.openstack.mgmt_host import console_log
from scs_kaas.openstack.ownership import claim_description
from scs_kaas.settings.model import Settings
from scs_kaas.ssh.keypair import KeyFiles, ensure_key, fingerprint
from scs_kaas.workflows.mgmt import create as mgmt_create
from scs_kaas.workflows.mgmt import delete as mgmt_delete
from scs_kaas.workflows.mgmt.state import StatePaths, load_state, save_state
from tests.openstack.mgmt_hosts import (
    EMPTY,
    NEUTRON_KINDS,
    create_host,
    host_inventory,
    host_settings,
)
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@contextmanager
def counting(conn: Connection) -> Iterator[list[tuple[str, str]]]:
    """Every HTTP request the connection makes, as (method, url): a requests response hook."""
    seen: list[tuple[str, str]] = []

    def hook(response: Any, *args: Any, **kwargs: Any) -> None:
        seen.append((response.request.method, response.request.url))

    hooks = conn.session.session.hooks["response"]
    hooks.append(hook)
    try:
        yield seen
    finally:
        hooks.remove(hook)


def _delete(conn: Connection, admin: Connection, settings: Settings, paths: StatePaths) -> None:
    """`mgmt delete`, doing for it what its error tells an admin to do when the local cloud
    cannot detach a deleted server's root volume: its Nova sends no service token, so Cinder
    refuses the detach (Cinder bug #2004555). The second run must then finish the job."""
    try:
        mgmt_delete.run(conn, settings, paths)
    except CloudError as error:
        if "Cinder did not detach it" not in str(error):
            raise
        for volume_id in mgmt_delete.owned_resource_ids(conn, settings.prefix)["volume"]:
            admin.block_storage.post(
                f"/volumes/{volume_id}/action",
                json={"os-reset_status": {"status": "available", "attach_status": "detached"}},
            )
        mgmt_delete.run(conn, settings, paths)


@pytest.fixture
def cleanup(project: Project, admin: Connection) -> Iterator[list[tuple[Settings, StatePaths]]]:
    """Environments to delete after the test, with `mgmt delete` itself."""
    made: list[tuple[Settings, StatePaths]] = []
    yield made
    for settings, paths in made:
        _delete(project.app, admin, settings, paths)


def _keypair_fingerprint(conn: Connection, name: str) -> str | None:
    keypair = conn.compute.find_keypair(name, ignore_missing=True)
    return None if keypair is None else str(keypair.fingerprint)


def test_create_tags_everything_and_a_rerun_changes_nothing(
    project: Project, tmp_path: Path, cleanup: list[tuple[Settings, StatePaths]]
) -> None:
    conn, settings = project.app, host_settings("ta")
    paths = StatePaths(tmp_path, "ta")
    cleanup.append((settings, paths))
    summary = create_host(conn, settings, paths)

    inventory = host_inventory(conn, "ta")
    assert {kind: len(ids) for kind, ids in inventory.items()} == {
        "server": 1,
        "volume": 0,
        **dict.fromkeys(NEUTRON_KINDS, 1),
    }
    tags = naming.management_tags("ta")
    server = conn.compute.get_server(summary.server_id)
    assert server.status == "ACTIVE"
    assert set(tags) <= set(server.tags)
    assert server.name == "ta-mgmt" and server.key_name == "ta-keypair"
    assert "root-volume" not in summary.resources
    for kind in NEUTRON_KINDS:
        resource_id = inventory[kind][0]
        proxy_name = {"floating IP": "ip", "security group": "security_group"}.get(kind, kind)
        resource = getattr(conn.network, f"get_{proxy_name}")(resource_id)
        assert set(tags) <= set(resource.tags), kind
    subnet = conn.network.get_subnet(inventory["subnet"][0])
    # no resolvers by default: the host uses the cloud's (R1 #164)
    assert (subnet.cidr, subnet.dns_nameservers) == ("10.0.0.0/24", [])
    rules = {
        (r.protocol, r.port_range_min, r.remote_ip_prefix)
        for r in conn.network.security_group_rules(
            security_group_id=inventory["security group"][0], direction="ingress"
        )
    }
    assert rules == {("tcp", 22, "0.0.0.0/0"), ("icmp", None, "0.0.0.0/0")}
    fip = conn.network.get_ip(inventory["floating IP"][0])
    assert fip.port_id == inventory["port"][0]
    assert fip.floating_ip_address == summary.floating_ip
    public_key = ensure_key(KeyFiles(paths.private_key), "unused")
    assert _keypair_fingerprint(conn, "ta-keypair") == fingerprint(public_key)
    assert (paths.private_key.stat().st_mode & 0o777) == 0o600
    state = load_state(paths, "localcloud")
    assert state.complete and state.floating_ip_address == summary.floating_ip

    with counting(conn) as requests:
        again = create_host(conn, settings, paths)
    writes = [r for r in requests if r[0] in WRITES]
    assert writes == []
    assert again.changed == []
    assert again.resources == summary.resources
    assert host_inventory(conn, "ta") == inventory
    print(f"re-run: {len(requests)} requests, all reads")  # shown with -s
    assert "FAKE CONSOLE OUTPUT" in console_log(conn, summary.server_id)


STEP_MOMENTS = [
    (moment, step)
    for step in mgmt_create.CREATE_STEPS
    if step != "node-image"
    for moment in (("created", "recorded") if step != "router-interface" else ("recorded",))
]


class Interrupted(Exception):
    pass


def test_interrupted_after_every_step_converges(
    project: Project, tmp_path: Path, cleanup: list[tuple[Settings, StatePaths]]
) -> None:
    """Interrupt after each step's create call (before it is recorded) and after its record;
    each run resumes where the last one stopped; the end is one of everything."""
    conn, settings = project.app, host_settings("tb", flavor="SCS-2V-4")  # every step, volume too
    paths = StatePaths(tmp_path, "tb")
    cleanup.append((settings, paths))
    for target in STEP_MOMENTS:

        def stop(moment: str, step: str, target: tuple[str, str] = target) -> None:
            if (moment, step) == target:
                raise Interrupted(f"{moment} {step}")

        with pytest.raises(Interrupted):
            create_host(conn, settings, paths, checkpoint=stop)
    summary = create_host(conn, settings, paths)
    inventory = host_inventory(conn, "tb")
    assert {kind: len(ids) for kind, ids in inventory.items()} == {
        "server": 1,
        "volume": 1,
        **dict.fromkeys(NEUTRON_KINDS, 1),
    }
    assert summary.resources["server"] == inventory["server"][0]
    with counting(conn) as requests:
        again = create_host(conn, settings, paths)
    assert [r for r in requests if r[0] in WRITES] == []
    assert again.resources == summary.resources


def test_delete_removes_only_its_own_prefix(project: Project, tmp_path: Path) -> None:
    conn = project.app
    one, two = host_settings("tc"), host_settings("td", cidr="10.0.1.0/24")
    paths_one, paths_two = StatePaths(tmp_path, "tc"), StatePaths(tmp_path, "td")
    create_host(conn, one, paths_one)
    create_host(conn, two, paths_two)
    before_two = host_inventory(conn, "td")
    two_key = _keypair_fingerprint(conn, "td-keypair")

    dry = mgmt_delete.plan(conn, one, paths_one)
    assert len(dry.resources) == 7 and dry.keypair == "tc-keypair"
    assert host_inventory(conn, "tc") != EMPTY  # a dry run deletes nothing

    with counting(conn) as requests:
        mgmt_delete.run(conn, one, paths_one)
    print(f"delete: {len(requests)} requests")  # shown with -s
    assert host_inventory(conn, "tc") == EMPTY
    for kind in ("networks", "subnets", "routers", "ports", "ips", "security_groups"):
        assert list(getattr(conn.network, kind)(tags="prefix=tc")) == [], kind
    assert list(conn.compute.servers(tags="prefix=tc")) == []
    assert [v for v in conn.block_storage.volumes() if v.metadata.get("prefix") == "tc"] == []
    assert _keypair_fingerprint(conn, "tc-keypair") is None
    assert not paths_one.root.exists()

    assert host_inventory(conn, "td") == before_two
    assert _keypair_fingerprint(conn, "td-keypair") == two_key
    assert paths_two.state_file.exists()
    # deleting twice is harmless
    assert mgmt_delete.run(conn, one, paths_one).resources == []
    mgmt_delete.run(conn, two, paths_two)
    assert host_inventory(conn, "td") == EMPTY


def test_a_same_named_untagged_resource_is_never_adopted(project: Project, tmp_path: Path) -> None:
    conn, settings = project.app, host_settings("te")
    paths = StatePaths(tmp_path, "te")
    foreign = conn.network.create_network(name="te-mgmt-net")
    with pytest.raises(CloudError, match="not tagged"):
        create_host(conn, settings, paths)
    mgmt_delete.run(conn, settings, paths)
    assert conn.network.get_network(foreign.id).name == "te-mgmt-net"  # left alone
    assert host_inventory(conn, "te")["security group"] == []


def test_a_foreign_key_under_our_keypair_name_is_refused(project: Project, tmp_path: Path) -> None:
    conn, settings = project.app, host_settings("tf")
    other = ensure_key(KeyFiles(tmp_path / "other" / "id"), "someone else")
    conn.compute.create_keypair(name="tf-keypair", public_key=other, type="ssh")
    with pytest.raises(CloudError, match="exists with another key"):
        create_host(conn, settings, StatePaths(tmp_path, "tf"))
    assert _keypair_fingerprint(conn, "tf-keypair") == fingerprint(other)


def test_a_diskless_flavor_boots_from_a_tagged_root_volume(
    project: Project, admin: Connection, tmp_path: Path
) -> None:
    conn, settings = project.app, host_settings("tg", flavor="SCS-2V-4")
    paths = StatePaths(tmp_path, "tg")
    summary = create_host(conn, settings, paths)
    (volume_id,) = host_inventory(conn, "tg")["volume"]
    assert summary.resources["root-volume"] == volume_id
    volume = conn.block_storage.get_volume(volume_id)
    assert volume.metadata == {"managed-by": "scs-kaas", "prefix": "tg", "role": "management"}
    assert (volume.name, volume.size, volume.is_bootable) == ("tg-mgmt-root", 30, True)
    assert [a["server_id"] for a in volume.attachments] == [summary.server_id]
    with counting(conn) as requests:
        again = create_host(conn, settings, paths)
    assert [r for r in requests if r[0] in WRITES] == []
    assert again.resources == summary.resources
    _delete(conn, admin, settings, paths)
    assert all(ids == [] for ids in host_inventory(conn, "tg").values())


def test_unknown_flavor_fails_before_anything_is_made(project: Project, tmp_path: Path) -> None:
    conn, settings = project.app, host_settings("th", flavor="no-such-flavor")
    with pytest.raises(CloudError, match=r"management\.flavor"):
        create_host(conn, settings, StatePaths(tmp_path, "th"))
    assert all(ids == [] for ids in host_inventory(conn, "th").values())
    assert _keypair_fingerprint(conn, "th-keypair") is None


def test_an_untagged_resource_carrying_our_claim_is_adopted(
    project: Project, tmp_path: Path, cleanup: list[tuple[Settings, StatePaths]]
) -> None:
    """A run stopped between Neutron's create call and the tagging: the recorded claim in the
    description proves the resource is ours, so the next run tags and keeps it."""
    conn, settings = project.app, host_settings("ti")
    paths = StatePaths(tmp_path, "ti")
    cleanup.append((settings, paths))
    state = load_state(paths, "localcloud")
    state.claims["network"] = "0123456789abcdef"
    save_state(paths, state)
    made = conn.network.create_network(
        name="ti-mgmt-net", description=claim_description("ti-mgmt-net", "0123456789abcdef")
    )
    summary = create_host(conn, settings, paths)
    assert summary.resources["network"] == made.id
    assert set(naming.management_tags("ti")) <= set(conn.network.get_network(made.id).tags)
    assert load_state(paths, "localcloud").claims == {}
