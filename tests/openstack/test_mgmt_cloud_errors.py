"""What the cloud refuses during `kaas mgmt create`, produced on the real local cloud: one
message naming the resource, what the cloud said and what to do, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import CloudError
from scs_kaas.localcloud import LocalCloud
from scs_kaas.openstack import keypairs, mgmt_host, network
from scs_kaas.openstack.ownership import tags_as_metadata
from scs_kaas.ssh.keypair import KeyFiles, ensure_key
from tests.support.projects import LOCALCLOUD, Project, kaas_environment, kaas_mgmt

pytestmark = LOCALCLOUD


def _environment(prefix: str, flavor: str = "SCS-2V-4-20s") -> dict[str, object]:
    return {
        "prefix": prefix,
        "external_network": "public",
        "management": {"flavor": flavor, "image": "Ubuntu 24.04"},
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_used_up_network_quota_names_the_network_and_kaas_cloud_check(
    localcloud: LocalCloud, project: Project, admin: Connection, tmp_path: Path
) -> None:
    admin.network.update_quota(project.tenant.project_id, networks=0)
    env = kaas_environment(localcloud, project, tmp_path, _environment("qa"))
    created = kaas_mgmt(env, tmp_path, "create", "--no-image")
    assert created.returncode == 1, created.stderr
    message = _one_line(created.stderr)
    assert "Traceback" not in created.stderr
    assert "creating network qa-mgmt-net: the cloud refused it (HTTP 409: " in message
    assert "Quota exceeded for resources: ['network']" in message
    assert "the project's quota does not allow it" in message
    assert "`kaas cloud check`" in message


def test_used_up_server_and_volume_quotas_are_named_too(
    project: Project, admin: Connection, tmp_path: Path
) -> None:
    """Nova says 403 and Cinder 413 where Neutron says 409: each is the quota message."""
    conn, project_id = project.app, project.tenant.project_id
    public_key = ensure_key(KeyFiles(tmp_path / "id"), "scs-kaas qb")
    keypairs.import_keypair(conn, "qb-keypair", public_key)
    admin.set_compute_quotas(project_id, instances=0)
    admin.set_volume_quotas(project_id, volumes=0)
    boot = mgmt_host.boot_source(conn, "SCS-2V-4-20s", "Ubuntu 24.04")
    net = conn.network.create_network(name="quota-net")
    conn.network.create_subnet(network_id=net.id, cidr="10.9.0.0/24", ip_version=4)
    port = conn.network.create_port(network_id=net.id)
    spec = mgmt_host.ServerSpec("qb-mgmt", boot, port.id, "qb-keypair", "", ["prefix=qb"])
    with pytest.raises(CloudError) as server_refused:
        mgmt_host.create_server(conn, spec)
    message = str(server_refused.value)
    assert message.startswith("creating server qb-mgmt: the cloud refused it (HTTP 403: ")
    assert "Quota exceeded for instances" in message and "`kaas cloud check`" in message

    with pytest.raises(CloudError) as volume_refused:
        mgmt_host.create_volume(conn, "qb-mgmt-root", 1, boot.image_id, None, ["prefix=qb"])
    message = str(volume_refused.value)
    assert message.startswith("creating volume qb-mgmt-root (1 GiB from image ")
    assert "the cloud refused it (HTTP 413: " in message
    assert "quota" in message.split("(HTTP 413: ")[1] and "`kaas cloud check`" in message


def test_a_keypair_made_meanwhile_is_named(project: Project, tmp_path: Path) -> None:
    conn = project.app
    theirs = ensure_key(KeyFiles(tmp_path / "theirs"), "someone else")
    conn.compute.create_keypair(name="kp-keypair", public_key=theirs, type="ssh")
    ours = ensure_key(KeyFiles(tmp_path / "ours"), "scs-kaas kp")
    with pytest.raises(CloudError) as refused:
        keypairs.import_keypair(conn, "kp-keypair", ours)
    message = str(refused.value)
    assert message.startswith("importing keypair kp-keypair: the cloud refused it (HTTP 409: ")
    assert "already exists" in message
    assert "Nova holds a keypair 'kp-keypair' already" in message
    assert "run the command again" in message


def test_a_rule_neutron_holds_under_another_spelling_counts_as_there(project: Project) -> None:
    """Neutron refuses tcp port 22 as a duplicate of protocol "6" port 22 (409): the traffic is
    allowed, so the step adds only what is missing instead of failing."""
    conn = project.app
    group = conn.network.create_security_group(name="rs-mgmt-sg")
    conn.network.create_security_group_rule(
        security_group_id=group.id,
        direction="ingress",
        ethertype="IPv4",
        protocol="6",
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix="0.0.0.0/0",
    )
    assert network.ensure_ssh_rules(conn, group.id, ["0.0.0.0/0"]) == 1  # ICMP only
    rules = {
        (r.protocol, r.port_range_min, r.remote_ip_prefix)
        for r in conn.network.security_group_rules(security_group_id=group.id, direction="ingress")
    }
    assert rules == {("6", 22, "0.0.0.0/0"), ("icmp", None, "0.0.0.0/0")}
    assert network.ensure_ssh_rules(conn, group.id, ["0.0.0.0/0"]) == 0


def test_a_root_volume_attached_elsewhere_is_named_with_what_to_do(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    """The host's root volume (ours: name and metadata, as an interrupted run leaves it) is
    attached to another server: Nova refuses to boot from it (400)."""
    conn = project.app
    boot = mgmt_host.boot_source(conn, "SCS-2V-4-20s", "Ubuntu 24.04")
    volume = conn.block_storage.create_volume(
        name="rv-mgmt-root", size=1, metadata=tags_as_metadata(naming.management_tags("rv"))
    )
    conn.block_storage.wait_for_status(volume, "available", wait=120)
    conn.block_storage.set_volume_bootable_status(volume.id, True)
    other = conn.compute.create_server(
        name="someone-elses", flavor_id=boot.flavor_id, image_id=boot.image_id, networks="none"
    )
    conn.compute.wait_for_server(other, wait=300)
    conn.compute.create_volume_attachment(other, volume_id=volume.id)
    conn.block_storage.wait_for_status(volume, "in-use", wait=120)

    env = kaas_environment(localcloud, project, tmp_path, _environment("rv", flavor="SCS-2V-4"))
    created = kaas_mgmt(env, tmp_path, "create", "--no-image")
    assert created.returncode == 1, created.stderr
    assert "Traceback" not in created.stderr
    message = _one_line(created.stderr)
    assert "creating server rv-mgmt: the cloud refused it (HTTP 400: " in message
    assert "current status is in-use" in message
    assert f"is its root volume {volume.id} available" in message
    assert "`kaas mgmt delete` removes it" in message
    assert [s.id for s in conn.compute.servers()] == [other.id]  # no server was made
