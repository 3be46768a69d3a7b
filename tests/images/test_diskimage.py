"""qemu-img: format and virtual size, qcow2 -> raw (runs the real qemu-img)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scs_kaas import diskimage
from scs_kaas.errors import KaasError


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
