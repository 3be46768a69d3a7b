"""The management host's server and root volume, and what Nova tells about it.

Servers carry the ownership tags (Nova tags, set in the create call); the root volume carries
them as Cinder metadata (`managed-by: scs-kaas`, `prefix: <prefix>`, `role: management`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openstack import exceptions
from openstack.connection import Connection

from scs_kaas.errors import CloudError
from scs_kaas.openstack.failures import cloud_call
from scs_kaas.openstack.ownership import has_metadata, has_tags, pick_owned, tags_as_metadata
from scs_kaas.polling import wait_until

SERVER_TIMEOUT = 900.0
VOLUME_TIMEOUT = 600.0


@dataclass(frozen=True)
class BootSource:
    """What the server boots: the flavor, the image, and whether it needs a root volume."""

    flavor_id: str
    image_id: str
    flavor_disk_gib: int

    @property
    def needs_volume(self) -> bool:
        return self.flavor_disk_gib == 0


def boot_source(conn: Connection, flavor: str, image: str) -> BootSource:
    found_flavor = conn.compute.find_flavor(flavor, ignore_missing=True)
    if found_flavor is None:
        raise CloudError(f"management.flavor: flavor {flavor!r} does not exist in this cloud")
    found_image = conn.image.find_image(image, ignore_missing=True)
    if found_image is None or found_image.status != "active":
        state = "does not exist" if found_image is None else f"is {found_image.status}"
        raise CloudError(f"management.image: image {image!r} {state}")
    return BootSource(str(found_flavor.id), str(found_image.id), int(found_flavor.disk or 0))


# --- root volume -------------------------------------------------------------------------------


def _volume(conn: Connection, volume_id: str) -> Any | None:
    try:
        return conn.block_storage.get_volume(volume_id)
    except exceptions.NotFoundException:
        return None


def find_volume(
    conn: Connection, known_id: str | None, name: str, tags: Sequence[str]
) -> str | None:
    if known_id:
        volume = _volume(conn, known_id)
        if volume is not None and has_metadata(volume.metadata, tags):
            return str(volume.id)
    # Cinder's metadata filter is unreliable across releases: filter here.
    candidates = list(conn.block_storage.volumes(name=name))
    owned = [v for v in candidates if has_metadata(v.metadata, tags)]
    found = pick_owned(candidates, owned, "volume", name, tags)
    return None if found is None else str(found.id)


def create_volume(
    conn: Connection,
    name: str,
    size_gib: int,
    image_id: str,
    availability_zone: str | None,
    tags: Sequence[str],
) -> str:
    invalid = (
        f"check management.root_volume_gib ({size_gib}; the image must fit) and "
        f"availability_zone ({availability_zone or 'unset'})"
    )
    what = f"creating volume {name} ({size_gib} GiB from image {image_id})"
    with cloud_call(what, invalid=invalid):
        volume = conn.block_storage.create_volume(
            name=name,
            size=size_gib,
            image_id=image_id,
            availability_zone=availability_zone,
            metadata=tags_as_metadata(tags),
            description="scs-kaas management host root volume",
        )
    return str(volume.id)


def wait_volume_available(conn: Connection, volume_id: str, timeout: float) -> None:
    """Until the new volume holds the image; "in-use" counts too (a resumed run finds it
    already attached to the server an interrupted run created)."""

    def ready() -> bool:
        status = conn.block_storage.get_volume(volume_id).status
        if status in ("error", "error_restoring"):
            raise CloudError(f"root volume {volume_id} went into {status} (image copy failed?)")
        return status in ("available", "in-use")

    wait_until(ready, timeout, f"root volume {volume_id} to be available")


def owned_volume_ids(conn: Connection, tags: Sequence[str]) -> list[str]:
    return [str(v.id) for v in conn.block_storage.volumes() if has_metadata(v.metadata, tags)]


# Cinder refuses to delete a volume while Nova is still detaching it from a deleted server.
_BUSY = ("in-use", "attaching", "detaching", "reserved", "creating", "downloading")
DETACH_TIMEOUT = 120.0
# Nova detaches before a deleted server disappears; still "in-use" this long after means the
# detach failed (e.g. Nova sends no service token: Cinder bug #2004555).
GHOST_GRACE = 10.0


def _attached_servers(volume: Any) -> list[str]:
    return [str(a.get("server_id")) for a in volume.attachments or ()]


def delete_volume(conn: Connection, volume_id: str, timeout: float = VOLUME_TIMEOUT) -> None:
    """Delete a root volume once its (deleted) server let go of it; fail clearly if it never
    does, instead of waiting out the whole timeout."""
    started = time.monotonic()

    def settled() -> bool:
        volume = _volume(conn, volume_id)
        if volume is None or volume.status not in _BUSY:
            return True
        servers = _attached_servers(volume)
        ghost = volume.status == "in-use" and not any(_server(conn, s) for s in servers)
        if ghost and time.monotonic() - started > GHOST_GRACE:
            raise CloudError(
                f"volume {volume_id} is still attached to the deleted server "
                f"{', '.join(servers)}: Cinder did not detach it (is Nova configured to send "
                "service tokens?). An admin can reset it (openstack volume set --state "
                "available --detached); then run `kaas mgmt delete` again"
            )
        return False

    wait_until(settled, DETACH_TIMEOUT, f"volume {volume_id} to be detached")
    conn.block_storage.delete_volume(volume_id, ignore_missing=True)
    wait_until(lambda: _volume(conn, volume_id) is None, timeout, f"volume {volume_id} to go")


# --- server ------------------------------------------------------------------------------------


def _server(conn: Connection, server_id: str) -> Any | None:
    try:
        return conn.compute.get_server(server_id)
    except exceptions.NotFoundException:
        return None


def find_server(
    conn: Connection, known_id: str | None, name: str, tags: Sequence[str]
) -> str | None:
    if known_id:
        server = _server(conn, known_id)
        if server is not None and has_tags(server.tags, tags):
            return str(server.id)
    # Nova's name filter is a regular expression.
    candidates = list(conn.compute.servers(name=f"^{re.escape(name)}$"))
    owned = [s for s in candidates if has_tags(s.tags, tags)]
    found = pick_owned(candidates, owned, "server", name, tags)
    return None if found is None else str(found.id)


@dataclass(frozen=True)
class ServerSpec:
    name: str
    boot: BootSource
    port_id: str
    key_name: str
    user_data_b64: str
    tags: Sequence[str]
    availability_zone: str | None = None
    root_volume_id: str | None = None


def create_server(conn: Connection, spec: ServerSpec) -> str:
    attrs: dict[str, Any] = {
        "name": spec.name,
        "flavor_id": spec.boot.flavor_id,
        "networks": [{"port": spec.port_id}],
        "key_name": spec.key_name,
        "user_data": spec.user_data_b64,
        "tags": list(spec.tags),
        "metadata": tags_as_metadata(spec.tags),
    }
    if spec.availability_zone:
        attrs["availability_zone"] = spec.availability_zone
    if spec.root_volume_id:
        attrs["block_device_mapping"] = [
            {
                "boot_index": 0,
                "uuid": spec.root_volume_id,
                "source_type": "volume",
                "destination_type": "volume",
                # deleted as its own step, so that deletion can be verified
                "delete_on_termination": False,
            }
        ]
    else:
        attrs["image_id"] = spec.boot.image_id
    with cloud_call(f"creating server {spec.name}", invalid=_server_invalid(spec)):
        return str(conn.compute.create_server(**attrs).id)


def _server_invalid(spec: ServerSpec) -> str:
    if spec.root_volume_id is None:
        return (
            "check management.flavor, management.image, availability_zone and the keypair "
            f"{spec.key_name}"
        )
    return (
        f"is its root volume {spec.root_volume_id} available (not attached to another server, "
        f"not in error)? `openstack volume show {spec.root_volume_id}` tells; `kaas mgmt delete` "
        "removes it, and the next `kaas mgmt create` makes a new one"
    )


def wait_server_active(conn: Connection, server_id: str, timeout: float) -> None:
    server = conn.compute.get_server(server_id)
    if server.status == "ACTIVE":
        return
    try:
        conn.compute.wait_for_server(
            server, status="ACTIVE", failures=["ERROR"], interval=2, wait=timeout
        )
    except exceptions.ResourceFailure as error:
        fault = (conn.compute.get_server(server_id).fault or {}).get("message", "no reason given")
        raise CloudError(
            f"server {server_id} went into ERROR ({fault}): run `kaas mgmt delete` and retry"
        ) from error
    except exceptions.ResourceTimeout as error:
        raise CloudError(f"server {server_id} not ACTIVE after {timeout:.0f} s") from error


def owned_server_ids(conn: Connection, tags: Sequence[str]) -> list[str]:
    return [str(s.id) for s in conn.compute.servers(tags=",".join(tags)) if has_tags(s.tags, tags)]


def delete_server(conn: Connection, server_id: str, timeout: float = SERVER_TIMEOUT) -> None:
    conn.compute.delete_server(server_id, ignore_missing=True)
    wait_until(lambda: _server(conn, server_id) is None, timeout, f"server {server_id} to go")


def console_log(conn: Connection, server_id: str, lines: int | None = None) -> str:
    try:
        output = conn.compute.get_server_console_output(server_id, length=lines)
    except exceptions.HttpException as error:
        # e.g. a hypervisor driver that keeps no console log, or a server that is gone
        raise CloudError(
            f"Nova gave no console log for server {server_id} "
            f"(HTTP {error.status_code}: {error.details or error.message})"
        ) from error
    return str(output.get("output", ""))
