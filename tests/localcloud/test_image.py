"""Glance: a qcow2 image with properties, uploaded from a real file, read back and deleted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from openstack.connection import Connection

from scs_kaas.localcloud.resources import make_qcow2
from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD


@pytest.fixture(params=["user", "app"])
def conn(request: pytest.FixtureRequest, project: Project) -> Connection:
    chosen: Connection = getattr(project, request.param)
    return chosen


def test_upload_qcow2_with_properties(conn: Connection, tmp_path: Path) -> None:
    data = make_qcow2(tmp_path / "node.qcow2", tmp_path / "qemu-img.log", size="2G").read_bytes()
    image = conn.image.create_image(
        name="ubuntu-capi-image-v1.33.5",
        data=data,
        disk_format="qcow2",
        container_format="bare",
        visibility="private",
        os_distro="ubuntu",
        os_version="24.04",
        hw_disk_bus="scsi",
        kubernetes_version="v1.33.5",
    )
    try:
        image = conn.image.wait_for_status(
            conn.image.get_image(image.id), status="active", failures=["killed"], wait=120
        )
        assert image.disk_format == "qcow2"
        assert image.size == len(data)
        assert image.checksum == hashlib.md5(data, usedforsecurity=False).hexdigest()
        assert image.virtual_size == 2 * 1024**3
        assert (image.os_distro, image.os_version, image.hw_disk_bus) == ("ubuntu", "24.04", "scsi")
        assert image.properties["kubernetes_version"] == "v1.33.5"
        assert image.owner == conn.current_project_id
        assert [i.id for i in conn.image.images(name="ubuntu-capi-image-v1.33.5")] == [image.id]
        downloaded = conn.image.download_image(image.id)
        assert downloaded.content == data
    finally:
        conn.image.delete_image(image.id)
    assert conn.image.find_image(image.id) is None


def test_shared_ubuntu_image_is_visible(conn: Connection) -> None:
    """`kaas devcloud up` provides the image the tool's defaults name."""
    image = conn.image.find_image("Ubuntu 24.04")
    assert image is not None
    assert image.status == "active"
    assert image.visibility == "public"
    assert image.disk_format == "qcow2"
