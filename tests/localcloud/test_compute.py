"""Nova: keypair, a server on a port with user-data and tags, a boot-from-volume server."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openstack.connection import Connection
from openstack.exceptions import HttpException

from scs_kaas.localcloud.resources import IMAGE_NAME
from tests.support.projects import LOCALCLOUD
from tests.support.waits import eventually

pytestmark = LOCALCLOUD

USER_DATA = b"#cloud-config\nruncmd: [echo hello from scs-kaas]\n"


def _public_key() -> tuple[str, str]:
    """An OpenSSH public key and its MD5 fingerprint as Nova reports it."""
    key = Ed25519PrivateKey.generate().public_key()
    text = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(text.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return text.decode(), ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _flavor_id(conn: Connection, name: str) -> str:
    flavor = conn.compute.find_flavor(name)
    assert flavor is not None, f"the local cloud has no flavor {name}"
    return str(flavor.id)


def _image_id(conn: Connection) -> str:
    image = conn.image.find_image(IMAGE_NAME)
    assert image is not None, f"the local cloud has no image {IMAGE_NAME}"
    return str(image.id)


@pytest.mark.parametrize("who", ["user", "app"])
def test_keypair(who: str, request: pytest.FixtureRequest) -> None:
    conn: Connection = request.getfixturevalue(who)
    public_key, fingerprint = _public_key()
    keypair = conn.compute.create_keypair(name="capi-key", public_key=public_key)
    try:
        read = conn.compute.get_keypair("capi-key")
        assert read.fingerprint == fingerprint
        assert read.public_key.strip() == public_key
        assert [k.name for k in conn.compute.keypairs()] == ["capi-key"]
    finally:
        conn.compute.delete_keypair(keypair)
    assert conn.compute.find_keypair("capi-key") is None


def test_server_on_port_with_user_data_and_tags(app: Connection, admin: Connection) -> None:
    public_key, _ = _public_key()
    keypair = app.compute.create_keypair(name="capi-key", public_key=public_key)
    net = app.network.create_network(name="node-net")
    app.network.create_subnet(
        network_id=net.id, name="node-subnet", ip_version=4, cidr="10.8.0.0/20"
    )
    port = app.network.create_port(network_id=net.id, name="cp-0-port")
    server = app.compute.create_server(
        name="cluster-foo-control-plane-0",
        flavor_id=_flavor_id(app, "SCS-1V-4-10"),
        image_id=_image_id(app),
        key_name=keypair.name,
        networks=[{"port": port.id}],
        user_data=base64.b64encode(USER_DATA).decode(),
        metadata={"cluster": "foo"},
        tags=["cluster-foo", "control-plane"],
    )
    server = app.compute.wait_for_server(
        server, status="ACTIVE", failures=["ERROR"], interval=1, wait=180
    )
    try:
        read = app.compute.get_server(server.id)
        assert read.flavor["original_name"] == "SCS-1V-4-10"
        assert read.key_name == "capi-key"
        assert read.metadata == {"cluster": "foo"}
        assert sorted(read.tags) == ["cluster-foo", "control-plane"]
        assert [s.id for s in app.compute.servers(tags="cluster-foo")] == [server.id]
        ip = port.fixed_ips[0]["ip_address"]
        assert [a["addr"] for a in read.addresses["node-net"]] == [ip]

        bound = admin.network.get_port(port.id)
        assert bound.device_id == server.id
        assert bound.device_owner.startswith("compute:")
        assert bound.binding_vif_type == "ovs"
        # user_data is admin-only and only in microversion 2.3 and later
        raw = admin.compute.get(f"/servers/{server.id}", microversion="2.3").json()
        assert base64.b64decode(raw["server"]["OS-EXT-SRV-ATTR:user_data"]) == USER_DATA
    finally:
        app.compute.delete_server(server)
        app.compute.wait_for_delete(server, interval=1, wait=120)
    # a port the user created outlives the server, unbound again
    freed = eventually(
        lambda: app.network.get_port(port.id), lambda p: not p.device_id, 60, "port to be freed"
    )
    assert freed.device_owner == ""
    app.network.delete_port(port)
    app.network.delete_network(net)
    app.compute.delete_keypair(keypair)


def test_boot_from_volume_on_diskless_flavor(app: Connection) -> None:
    diskless = _flavor_id(app, "SCS-2V-4")
    image_id = _image_id(app)
    assert app.compute.get_flavor(diskless).disk == 0
    net = app.network.create_network(name="bfv-net")
    app.network.create_subnet(
        network_id=net.id, name="bfv-subnet", ip_version=4, cidr="10.7.0.0/24"
    )

    # Nova refuses image boots on zero-disk flavors for non-admins: the root disk must be a volume
    with pytest.raises(HttpException) as refused:
        app.compute.create_server(
            name="no-disk", flavor_id=diskless, image_id=image_id, networks=[{"uuid": net.id}]
        )
    assert refused.value.status_code == 403

    server = app.compute.create_server(
        name="cluster-foo-md-0",
        flavor_id=diskless,
        networks=[{"uuid": net.id}],
        block_device_mapping=[
            {
                "boot_index": 0,
                "uuid": image_id,
                "source_type": "image",
                "destination_type": "volume",
                "volume_size": 20,
                "delete_on_termination": True,
            }
        ],
    )
    server = app.compute.wait_for_server(
        server, status="ACTIVE", failures=["ERROR"], interval=1, wait=180
    )
    try:
        attached = app.compute.get_server(server.id).attached_volumes
        assert len(attached) == 1
        assert attached[0]["delete_on_termination"] is True
        volume = app.block_storage.get_volume(attached[0]["id"])
        assert (volume.size, volume.status, volume.is_bootable) == (20, "in-use", True)
        assert [a["server_id"] for a in volume.attachments] == [server.id]
        assert volume.volume_image_metadata["image_id"] == image_id
    finally:
        app.compute.delete_server(server)
        app.compute.wait_for_delete(server, interval=1, wait=120)
    eventually(
        lambda: [v.id for v in app.block_storage.volumes()],
        lambda ids: attached[0]["id"] not in ids,
        120,
        "the boot volume to be deleted with its server",
    )
    app.network.delete_network(net)
