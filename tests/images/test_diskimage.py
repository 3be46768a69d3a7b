"""qemu-img: format and virtual size, qcow2 -> raw (runs the real qemu-img)."""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from scs_kaas.errors import KaasError
from scs_kaas.workflows.image import diskimage


def make_qcow2(path: Path, size: str = "64M") -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
    return path


def test_inspect_reads_format_and_virtual_size(tmp_path: Path) -> None:
    image = make_qcow2(tmp_path / "x.img", "1100M")  # the name says nothing
    info = diskimage.inspect(image)
    assert info == diskimage.DiskImageInfo("qcow2", 1100 * 2**20)


def test_convert_to_raw_keeps_the_size_and_stays_sparse(tmp_path: Path) -> None:
    raw = tmp_path / "x.raw"
    diskimage.convert_to_raw(make_qcow2(tmp_path / "x.qcow2"), raw)
    assert diskimage.inspect(raw) == diskimage.DiskImageInfo("raw", 64 * 2**20)
    assert raw.stat().st_size == 64 * 2**20
    assert raw.stat().st_blocks * 512 < 2**20  # sparse: -S 4k


def test_unsupported_formats_are_refused(tmp_path: Path) -> None:
    vmdk = tmp_path / "x.vmdk"
    subprocess.run(["qemu-img", "create", "-q", "-f", "vmdk", str(vmdk), "1M"], check=True)
    with pytest.raises(KaasError, match="vmdk image; node images must be qcow2 or raw"):
        diskimage.inspect(vmdk)


def test_missing_qemu_img_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(KaasError, match="apt-get install qemu-utils"):
        diskimage.inspect(Path("/dev/null"))


def test_qemu_img_errors_are_reported(tmp_path: Path) -> None:
    with pytest.raises(KaasError, match=r"qemu-img info .* failed"):
        diskimage.inspect(tmp_path / "missing.qcow2")


def _raw_disk(path: Path, size: int, boot_signature: bool) -> Path:
    with path.open("wb") as stream:
        stream.truncate(size)
        if boot_signature:
            stream.seek(510)
            stream.write(b"\x55\xaa")
    return path


def test_a_node_image_looks_like_one(tmp_path: Path) -> None:
    """Issue #16 item 10: qemu-img calls any file raw; only plausible disks are node images."""
    assert diskimage.check_node_image(make_qcow2(tmp_path / "x.qcow2")).format == "qcow2"
    raw = _raw_disk(tmp_path / "x.raw", 64 * 2**20, boot_signature=True)
    assert diskimage.check_node_image(raw).format == "raw"


def _random(path: Path, size: int) -> Path:
    path.write_bytes(random.Random(size).randbytes(size))
    return path


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _backed(folder: Path) -> Path:
    base = make_qcow2(folder / "base.qcow2")
    child = folder / "child.qcow2"
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "qcow2", str(child)],
        check=True,
    )
    return child


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: _random(d / "random.img", 2**20), "virtual size of 1048576 bytes"),
        (lambda d: _text(d / "tiny.yaml", "a: b\nc: d\n"), "virtual size of 512 bytes"),
        (lambda d: make_qcow2(d / "huge.qcow2", "3T"), "a node image has 64 MiB to 2 TiB"),
        (lambda d: _raw_disk(d / "blank.raw", 2**27, False), "it has no partition table"),
        (lambda d: _random(d / "random-big.img", 2**26), "it has no partition table"),
        (_backed, "has a backing file"),
    ],
)
def test_files_that_are_no_node_image_are_refused(
    tmp_path: Path, make: Callable[[Path], Path], expected: str
) -> None:
    with pytest.raises(KaasError, match=re.escape(expected)):
        diskimage.check_node_image(make(tmp_path))
