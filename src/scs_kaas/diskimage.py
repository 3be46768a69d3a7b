"""Disk image files on the local machine, through `qemu-img` (Debian package qemu-utils)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scs_kaas.errors import KaasError

QEMU_IMG = "qemu-img"
DEBIAN_PACKAGE = "qemu-utils"
# Glance disk formats the node image may come in; anything else is refused before an upload.
SUPPORTED_FORMATS = ("qcow2", "raw")


@dataclass(frozen=True)
class DiskImageInfo:
    format: str
    virtual_size: int  # bytes


def _qemu_img() -> str:
    found = shutil.which(QEMU_IMG)
    if found is None:
        raise KaasError(
            f"{QEMU_IMG} is not installed; it reads and converts node images: "
            f"apt-get install {DEBIAN_PACKAGE} (Debian/Ubuntu)"
        )
    return found


def _run(arguments: list[str], what: str) -> str:
    try:
        done = subprocess.run(
            [_qemu_img(), *arguments], capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise KaasError(f"{what}: cannot run {QEMU_IMG}: {error}") from None
    if done.returncode != 0:
        raise KaasError(f"{what} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def inspect(path: Path) -> DiskImageInfo:
    """Format and virtual size of a disk image (never trusting its file name)."""
    output = _run(["info", "--output=json", str(path)], f"{QEMU_IMG} info {path}")
    info = json.loads(output)
    found = DiskImageInfo(format=str(info["format"]), virtual_size=int(info["virtual-size"]))
    if found.format not in SUPPORTED_FORMATS:
        raise KaasError(
            f"{path} is a {found.format} image; node images must be "
            f"{' or '.join(SUPPORTED_FORMATS)}"
        )
    return found


def convert_to_raw(source: Path, target: Path) -> None:
    """qcow2 -> raw (Ceph clones raw images copy-on-write). `-S 4k` keeps the raw file sparse."""
    _run(
        ["convert", "-f", "qcow2", "-O", "raw", "-S", "4k", str(source), str(target)],
        f"{QEMU_IMG} convert {source} to raw",
    )
