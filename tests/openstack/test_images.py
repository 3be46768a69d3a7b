"""Node images on the real Glance: properties, raw conversion, reuse, checksums, downloads."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openstack.connection import Connection

from scs_kaas import naming
from scs_kaas.errors import Cancelled, CloudError, KaasError
from scs_kaas.localcloud import LocalCloud
from scs_kaas.localcloud.sdk import connect
from scs_kaas.settings.model import Settings
from scs_kaas.workflows.image import ensure as image_ensure
from scs_kaas.workflows.image.ensure import ImageRequest
from tests.support.http_server import serve
from tests.support.projects import LOCALCLOUD, Project
from tests.support.waits import eventually

pytestmark = LOCALCLOUD

VERSION = "v1.34.1"
NAME = f"ubuntu-capi-image-{VERSION}"


def _settings(**image: Any) -> Settings:
    return Settings.model_validate({"prefix": "t", "image": image})


def _qcow2(path: Path, size: str = "64M") -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
    return path


def _glance_json(conn: Connection, image_id: str) -> dict[str, Any]:
    """The image exactly as Glance returns it (every property at the top level)."""
    body: dict[str, Any] = conn.image.get(f"/images/{image_id}").json()
    return body


def _named(conn: Connection, name: str = NAME) -> list[str]:
    return [str(i.id) for i in conn.image.images(name=name)]


def test_upload_converts_to_raw_with_the_scs_properties(app: Connection, tmp_path: Path) -> None:
    result = image_ensure.run(
        app, _settings(), ImageRequest(VERSION, file=_qcow2(tmp_path / "node.qcow2"))
    )
    assert not result.reused
    assert result.uploaded_bytes == 64 * 2**20  # the raw file, not the 200 KiB qcow2
    image = _glance_json(app, result.id)
    assert image["status"] == "active"
    assert image["disk_format"] == "raw"
    assert image["container_format"] == "bare"
    assert image["min_disk"] == 1  # 64 MiB rounded up; R1's typo made it 0
    assert image["min_ram"] == 1024
    assert image["size"] == 64 * 2**20
    assert set(image["tags"]) == set(naming.ownership_tags("t"))
    expected = {
        "architecture": "x86_64",
        "hypervisor_type": "kvm",
        "os_distro": "ubuntu",
        "os_version": "24.04",
        "os_purpose": "k8snode",
        "hw_disk_bus": "scsi",
        "hw_scsi_model": "virtio-scsi",
        "hw_rng_model": "virtio",
        "image_original_user": "ubuntu",
        "image_source": "file:node.qcow2",
        "kubernetes_version": VERSION,
        "managed_by": "scs-kaas",
        "kaas_prefix": "t",
    }
    assert {key: image.get(key) for key in expected} == expected
    assert len(image["image_build_date"]) == 10


def test_qcow2_kept_and_min_disk_rounded_up(app: Connection, tmp_path: Path) -> None:
    source = _qcow2(tmp_path / "node.qcow2", "1100M")
    result = image_ensure.run(app, _settings(raw=False), ImageRequest(VERSION, file=source))
    image = _glance_json(app, result.id)
    assert (image["disk_format"], image["min_disk"]) == ("qcow2", 2)
    assert image["size"] == source.stat().st_size


def test_second_run_reuses_the_image_without_uploading(app: Connection, tmp_path: Path) -> None:
    source = _qcow2(tmp_path / "node.qcow2")
    first = image_ensure.run(app, _settings(raw=False), ImageRequest(VERSION, file=source))
    source.unlink()  # a second upload could not even read it
    again = image_ensure.run(app, _settings(raw=False), ImageRequest(VERSION))
    assert again.reused
    assert again.id == first.id
    assert again.uploaded_bytes == 0
    assert _named(app) == [first.id]


def test_checksum_mismatch_uploads_nothing(app: Connection, tmp_path: Path) -> None:
    request = ImageRequest(VERSION, file=_qcow2(tmp_path / "node.qcow2"), sha256="0" * 64)
    with pytest.raises(KaasError, match=r"checksum mismatch.*nothing was uploaded"):
        image_ensure.run(app, _settings(), request)
    assert _named(app) == []


def _mirror(folder: Path, source: Path, checksum: str | None) -> None:
    """Lay out `source` as the osism mirror does: <minor>/<name>.qcow2 and .CHECKSUM."""
    target = folder / "ubuntu-2404-kube-v1.34" / "ubuntu-2404-kube-v1.34.1.qcow2"
    target.parent.mkdir(parents=True)
    source.rename(target)
    if checksum is not None:
        Path(f"{target}.CHECKSUM").write_text(f"{checksum}  {target.name}\n")


URL_TEMPLATE = "{base}/ubuntu-2404-kube-{{minor}}/ubuntu-2404-kube-{{version}}.qcow2"


def test_download_from_a_mirror_verified_by_its_checksum_file(
    app: Connection, tmp_path: Path
) -> None:
    source = _qcow2(tmp_path / "node.qcow2")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    _mirror(tmp_path / "www", source, digest)
    with serve(tmp_path / "www") as base:
        settings = _settings(url_template=URL_TEMPLATE.format(base=base))
        result = image_ensure.run(app, settings, ImageRequest(VERSION, work_dir=tmp_path))
        url = f"{base}/ubuntu-2404-kube-v1.34/ubuntu-2404-kube-v1.34.1.qcow2"
    image = _glance_json(app, result.id)
    assert image["image_source"] == url
    assert image["disk_format"] == "raw"
    assert [p.name for p in tmp_path.iterdir()] == ["www"]  # the work folder is cleaned up


def test_a_wrong_checksum_file_or_none_uploads_nothing(app: Connection, tmp_path: Path) -> None:
    _mirror(tmp_path / "www", _qcow2(tmp_path / "node.qcow2"), "1" * 64)
    with serve(tmp_path / "www") as base:
        settings = _settings(url_template=URL_TEMPLATE.format(base=base))
        with pytest.raises(KaasError, match="checksum mismatch"):
            image_ensure.run(app, settings, ImageRequest(VERSION))
        Path(
            tmp_path / "www/ubuntu-2404-kube-v1.34/ubuntu-2404-kube-v1.34.1.qcow2.CHECKSUM"
        ).unlink()
        with pytest.raises(KaasError, match=r"CHECKSUM failed: HTTP 404"):
            image_ensure.run(app, settings, ImageRequest(VERSION))
    assert _named(app) == []


def test_a_stale_upload_of_ours_is_replaced_a_foreign_one_refused(
    app: Connection, tmp_path: Path
) -> None:
    # R1's upload killed by SIGHUP left an image `queued` forever
    stale = app.image.create_image(
        NAME,
        allow_duplicates=True,
        tags=naming.ownership_tags("t"),
        meta={"managed_by": "scs-kaas", "kaas_prefix": "t", "kubernetes_version": VERSION},
    )
    assert stale.status == "queued"
    result = image_ensure.run(
        app, _settings(), ImageRequest(VERSION, file=_qcow2(tmp_path / "node.qcow2"))
    )
    assert _named(app) == [result.id]

    foreign = app.image.create_image(
        "ubuntu-capi-image-v1.33.5",
        allow_duplicates=True,
        disk_format="raw",
        container_format="bare",
    )
    with pytest.raises(CloudError, match="was not made by scs-kaas"):
        image_ensure.run(app, _settings(), ImageRequest("v1.33.5", file=tmp_path / "node.qcow2"))
    assert _named(app, "ubuntu-capi-image-v1.33.5") == [str(foreign.id)]


def test_background_job_is_joined_later(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    credential = project.credential
    job = image_ensure.start(
        _settings(),
        ImageRequest(VERSION, file=_qcow2(tmp_path / "node.qcow2")),
        connect=lambda: connect(localcloud.app_credential_config(credential.id, credential.secret)),
    )
    result = job.result(timeout=120)
    assert job.done()
    assert _named(project.app) == [result.id]


def test_background_job_reports_its_error_when_joined(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    credential = project.credential
    job = image_ensure.start(
        _settings(),
        ImageRequest(VERSION, file=_qcow2(tmp_path / "node.qcow2"), sha256="2" * 64),
        connect=lambda: connect(localcloud.app_credential_config(credential.id, credential.secret)),
    )
    with pytest.raises(KaasError, match="checksum mismatch"):
        job.result(timeout=120)


def _sparse_raw_disk(path: Path, size: int) -> Path:
    """A raw disk of `size` bytes, sparse (takes Glance a few seconds, costs no disk), with an
    MBR boot signature: what the upload's check requires of a raw node image."""
    with path.open("wb") as stream:
        stream.truncate(size)
        stream.seek(510)
        stream.write(b"\x55\xaa")
    return path


def test_a_second_run_waits_for_an_upload_under_way(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    source = _sparse_raw_disk(tmp_path / "node.raw", 2 * 2**30)
    credential = project.credential
    job = image_ensure.start(
        _settings(),
        ImageRequest(VERSION, file=source),
        connect=lambda: connect(localcloud.app_credential_config(credential.id, credential.secret)),
    )
    seen = eventually(
        lambda: [str(i.status) for i in project.app.image.images(name=NAME)],
        lambda statuses: bool(statuses) and statuses[0] in ("saving", "active"),
        timeout=60,
        what="the background upload to start",
    )
    again = image_ensure.run(project.app, _settings(), ImageRequest(VERSION))
    first = job.result(timeout=300)
    assert again.reused
    assert again.id == first.id
    assert _named(project.app) == [first.id]
    print(f"the second run found the image {seen[0]}")


def test_cancel_stops_the_upload_and_leaves_nothing(
    localcloud: LocalCloud, project: Project, tmp_path: Path
) -> None:
    source = _sparse_raw_disk(tmp_path / "node.raw", 4 * 2**30)
    credential = project.credential
    job = image_ensure.start(
        _settings(),
        ImageRequest(VERSION, file=source),
        connect=lambda: connect(localcloud.app_credential_config(credential.id, credential.secret)),
    )
    eventually(
        lambda: [str(i.status) for i in project.app.image.images(name=NAME)],
        lambda statuses: statuses == ["saving"],
        timeout=60,
        what="the upload to start",
    )
    job.cancel()
    with pytest.raises(Cancelled, match="cancelled"):
        job.result(timeout=120)
    eventually(lambda: _named(project.app), lambda ids: ids == [], 60, "the image to be gone")
