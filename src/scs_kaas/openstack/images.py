"""Glance: find a reusable node image, upload one streaming, wait until it is active.

The upload reads the file in the HTTP client's small blocks (constant memory whatever the
image size), hashes it on the way with SHA-512 and compares that with the hash Glance computed
(`os_hash_value`), so what Glance stores is proven to be the verified file.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from keystoneauth1 import exceptions as http_exceptions
from openstack import exceptions
from openstack.connection import Connection
from openstack.image.v2._proxy import Proxy as ImageV2
from openstack.image.v2.image import Image

from scs_kaas import naming
from scs_kaas.errors import Cancelled, CloudError

log = logging.getLogger(__name__)

ACTIVE = "active"
# Statuses an image never leaves on its own towards `active`.
FAILED = frozenset({"killed", "deleted", "pending_delete", "deactivated"})
UPLOAD_HASH = "sha512"  # Glance's default `hashing_algorithm`
REPORT_EVERY = 1024 * 1024  # progress callbacks per MiB, not per 16 KiB HTTP block
POLL_INTERVAL = 2.0


@dataclass(frozen=True)
class GlanceImage:
    id: str
    name: str
    status: str
    disk_format: str | None
    min_disk: int
    owner: str | None
    tags: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    hash_algo: str | None = None
    hash_value: str | None = None


@dataclass(frozen=True)
class UploadSpec:
    """What to register: everything but the data."""

    name: str
    disk_format: str
    min_disk: int
    min_ram: int
    properties: dict[str, str]
    tags: list[str]


def _plain(image: Image) -> GlanceImage:
    return GlanceImage(
        id=str(image.id),
        name=str(image.name),
        status=str(image.status),
        disk_format=image.disk_format,
        min_disk=int(image.min_disk or 0),
        owner=image.owner,
        tags=tuple(image.tags or ()),
        properties={str(k): str(v) for k, v in (image.properties or {}).items()},
        hash_algo=image.hash_algo,
        hash_value=image.hash_value,
    )


def _glance(conn: Connection) -> ImageV2:
    proxy = conn.image
    if not isinstance(proxy, ImageV2):
        raise CloudError("node images need Glance's Image API v2")
    return proxy


def find_images(conn: Connection, name: str) -> list[GlanceImage]:
    """Every image called `name` the project can see (its own, shared and public ones)."""
    try:
        return [_plain(image) for image in _glance(conn).images(name=name)]
    except exceptions.SDKException as error:
        raise CloudError(f"listing images called {name!r} failed: {error}") from error


def owned_images(conn: Connection, prefix: str) -> list[GlanceImage]:
    """The project's own images that `is_owned` proves the prefix's (what a purge deletes)."""
    project = conn.current_project_id
    try:
        found = [_plain(image) for image in _glance(conn).images(owner=project)]
    except exceptions.SDKException as error:
        raise CloudError(f"listing the project's images failed: {error}") from error
    return [image for image in found if is_owned(image, prefix, project)]


def is_owned(image: GlanceImage, prefix: str, project_id: str | None) -> bool:
    """The tool made it, for this prefix, in this project: tags and properties agree."""
    return (
        set(naming.ownership_tags(prefix)) <= set(image.tags)
        and image.properties.get("managed_by") == naming.MANAGED_BY
        and image.properties.get("kaas_prefix") == prefix
        and image.owner == project_id
    )


def reusable_image(images: list[GlanceImage], version: str, prefix: str) -> GlanceImage | None:
    """An active image of this Kubernetes version; the tool's own first, then any other.

    A public image the cloud's operator registered under the same name is as good as ours.
    """
    active = [
        i
        for i in images
        if i.status == ACTIVE and i.properties.get("kubernetes_version") == version
    ]
    active.sort(key=lambda i: i.properties.get("kaas_prefix") != prefix)
    return active[0] if active else None


def delete_image(conn: Connection, image_id: str) -> None:
    try:
        _glance(conn).delete_image(image_id, ignore_missing=True)
    except exceptions.SDKException as error:
        raise CloudError(f"deleting image {image_id} failed: {error}") from error
    log.info("deleted image %s", image_id)


class HashingReader:
    """A file the HTTP client reads block by block: hashed, reported, and stoppable.

    requests streams any body that has `__iter__`; `__len__` gives it the Content-Length.
    """

    def __init__(
        self,
        stream: BinaryIO,
        size: int,
        on_chunk: Callable[[int, int | None], None],
        cancel: threading.Event,
    ) -> None:
        self._stream = stream
        self._size = size
        self._on_chunk = on_chunk
        self._cancel = cancel
        self.digest = hashlib.new(UPLOAD_HASH)
        self.sent = 0
        self._reported = 0

    def read(self, size: int = -1) -> bytes:
        if self._cancel.is_set():
            raise Cancelled("image upload cancelled")
        data = self._stream.read(size if size and size > 0 else REPORT_EVERY)
        self.digest.update(data)
        self.sent += len(data)
        if self.sent - self._reported >= REPORT_EVERY or (not data and self.sent):
            self._reported = self.sent
            self._on_chunk(self.sent, self._size)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while data := self.read(REPORT_EVERY):
            yield data

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:  # keystoneauth's debug log prints the request body's repr
        return f"<image data, {self._size} bytes>"


def upload_image(
    conn: Connection,
    spec: UploadSpec,
    path: Path,
    on_chunk: Callable[[int, int | None], None],
    cancel: threading.Event,
) -> GlanceImage:
    """Register `spec` and stream `path` into it; the image is deleted again on any failure."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        reader = HashingReader(stream, size, on_chunk, cancel)
        try:
            image = _glance(conn).create_image(
                spec.name,
                data=reader,  # type: ignore[arg-type]  # any object with read() streams
                size=size,
                disk_format=spec.disk_format,
                container_format="bare",
                tags=spec.tags,
                allow_duplicates=True,  # reuse was decided by the caller, on more than the name
                min_disk=spec.min_disk,
                min_ram=spec.min_ram,
                meta=dict(spec.properties),
            )
        except exceptions.SDKException as error:
            # openstacksdk deletes the half-made image itself when the upload fails.
            if cancel.is_set():
                raise Cancelled(f"upload of {spec.name} cancelled; nothing is left") from None
            raise CloudError(f"uploading {spec.name} failed: {error}") from error
    uploaded = _plain(image)
    log.info("uploaded %s bytes into image %s (%s)", reader.sent, spec.name, uploaded.id)
    return _check_hash(conn, uploaded, reader.digest.hexdigest())


def _check_hash(conn: Connection, image: GlanceImage, local: str) -> GlanceImage:
    stored = _plain(_glance(conn).get_image(image.id))
    if stored.hash_algo == UPLOAD_HASH and stored.hash_value and stored.hash_value != local:
        delete_image(conn, image.id)
        raise CloudError(
            f"Glance stored different data for {image.name} than was sent "
            f"({UPLOAD_HASH} mismatch); the image was deleted"
        )
    return stored


def wait_active(
    conn: Connection, image_id: str, timeout: float, cancel: threading.Event
) -> GlanceImage:
    """Poll until the image is active; fail at once on a dead status, or at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            image = _plain(_glance(conn).get_image(image_id))
        except exceptions.NotFoundException as error:
            raise CloudError(f"image {image_id} disappeared while waiting for it") from error
        except exceptions.SDKException as error:
            raise CloudError(f"reading image {image_id} failed: {error}") from error
        except (http_exceptions.ConnectFailure, http_exceptions.ConnectTimeout) as error:
            # A poll may meet a keep-alive connection the server just closed; the next one
            # opens a new connection. Only the deadline ends the wait.
            log.info("polling image %s: %s; trying again", image_id, error)
            if time.monotonic() >= deadline:
                raise CloudError(f"reading image {image_id} failed: {error}") from error
            if cancel.wait(POLL_INTERVAL):
                raise Cancelled("waiting for the image cancelled") from None
            continue
        if image.status == ACTIVE:
            return image
        if image.status in FAILED:
            raise CloudError(f"image {image.name} ({image_id}) is {image.status}, not active")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CloudError(
                f"image {image.name} ({image_id}) still {image.status} after {timeout:.0f} s"
            )
        if cancel.wait(min(POLL_INTERVAL, remaining)):
            raise Cancelled(f"waiting for image {image.name} cancelled")
