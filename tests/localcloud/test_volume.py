"""Cinder: a volume with metadata, a snapshot of it, both deleted again."""

from __future__ import annotations

import pytest
from openstack.connection import Connection

from tests.support.projects import LOCALCLOUD, Project

pytestmark = LOCALCLOUD

CSI_KEY = "cinder.csi.openstack.org/cluster"


@pytest.fixture(params=["user", "app"])
def conn(request: pytest.FixtureRequest, project: Project) -> Connection:
    chosen: Connection = getattr(project, request.param)
    return chosen


def test_volume_with_metadata_and_snapshot(conn: Connection) -> None:
    storage = conn.block_storage
    volume = storage.create_volume(name="pvc-1234", size=1, metadata={CSI_KEY: "foo"})
    other = storage.create_volume(name="pvc-other", size=2, metadata={CSI_KEY: "bar"})
    volume = storage.wait_for_status(volume, status="available", failures=["error"], wait=120)
    other = storage.wait_for_status(other, status="available", failures=["error"], wait=120)

    read = storage.get_volume(volume.id)
    assert (read.name, read.size, read.status) == ("pvc-1234", 1, "available")
    assert read.metadata == {CSI_KEY: "foo"}
    # openstacksdk sends `metadata={...}` filters wrongly; filter on the read-back metadata
    tagged = [v.name for v in storage.volumes() if v.metadata.get(CSI_KEY) == "foo"]
    assert tagged == ["pvc-1234"]

    storage.set_volume_metadata(volume.id, extra="yes")
    assert storage.get_volume(volume.id).metadata == {CSI_KEY: "foo", "extra": "yes"}

    snapshot = storage.create_snapshot(
        volume_id=volume.id, name="pvc-1234-snap", metadata={"purpose": "test"}
    )
    snapshot = storage.wait_for_status(snapshot, status="available", failures=["error"], wait=120)
    read_snapshot = storage.get_snapshot(snapshot.id)
    assert read_snapshot.volume_id == volume.id
    assert read_snapshot.size == 1
    assert read_snapshot.metadata == {"purpose": "test"}

    storage.delete_snapshot(snapshot.id)
    storage.wait_for_delete(snapshot, wait=120)
    for each in (volume, other):
        storage.delete_volume(each.id)
        storage.wait_for_delete(each, wait=120)
    assert list(storage.volumes()) == []
