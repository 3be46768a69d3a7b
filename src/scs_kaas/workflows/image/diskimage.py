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


# Bounds of a plausible node image's virtual size: a Kubernetes node's disk is not smaller (R1's
# images are 20 GiB, the local cloud's empty test images 64 MiB), and every machine's root
# volume would need more than any flavor gives.
MIN_NODE_IMAGE_BYTES = 64 * 1024**2
MAX_NODE_IMAGE_BYTES = 2 * 1024**4
# A raw disk starts with a partition table: the MBR's (or GPT's protective MBR's) boot signature.
_BOOT_SIGNATURE_OFFSET = 510
_BOOT_SIGNATURE = b"\x55\xaa"


@dataclass(frozen=True)
class DiskImageInfo:
    format: str
    virtual_size: int  # bytes
    backing_file: str | None = None


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
        raise KaasError(f"{what}: cannot run {QEMU_IMG}: {error}") from error
    if done.returncode != 0:
        raise KaasError(f"{what} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def inspect(path: Path) -> DiskImageInfo:
    """Format and virtual size of a disk image (never trusting its file name)."""
    output = _run(["info", "--output=json", str(path)], f"{QEMU_IMG} info {path}")
    info = json.loads(output)
    found = DiskImageInfo(
        format=str(info["format"]),
        virtual_size=int(info["virtual-size"]),
        backing_file=info.get("full-backing-filename") or info.get("backing-filename"),
    )
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


def check_node_image(path: Path) -> DiskImageInfo:
    """A file given as the node image must look like one before anything is uploaded: qemu-img
    calls any file `raw`, so 1 MB of random bytes or a YAML file would otherwise be registered
    as the image that every prefix then reuses."""
    info = inspect(path)
    problem = None
    if info.backing_file is not None:
        problem = f"has a backing file ({info.backing_file}); upload a self-contained image"
    elif not MIN_NODE_IMAGE_BYTES <= info.virtual_size <= MAX_NODE_IMAGE_BYTES:
        problem = (
            f"has a virtual size of {info.virtual_size} bytes; a node image has "
            f"{MIN_NODE_IMAGE_BYTES // 1024**2} MiB to {MAX_NODE_IMAGE_BYTES // 1024**4} TiB"
        )
    elif info.format == "raw" and not _has_partition_table(path):
        problem = "is not a disk image: qemu-img reads it as raw, but it has no partition table"
    if problem is not None:
        raise KaasError(f"{path} {problem}")
    return info


def _has_partition_table(path: Path) -> bool:
    with path.open("rb") as stream:
        stream.seek(_BOOT_SIGNATURE_OFFSET)
        return stream.read(len(_BOOT_SIGNATURE)) == _BOOT_SIGNATURE
