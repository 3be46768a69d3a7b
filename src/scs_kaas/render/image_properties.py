"""The node image as Glance should hold it: name, source URL, SCS properties, min disk, checksum.

Pure: no I/O and no clock (the build date is passed in). R1 (§1.14) registered
`ubuntu-capi-image-<vX.Y.Z>` with the "SCS image metadata" below; its bugs are avoided here:
`min_disk` is computed from the virtual size (R1's typo made it 0), the version always carries
its `v` (R1 #338 downloaded a 404), and a checksum is required (R1 never checked one).
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from types import MappingProxyType

from scs_kaas import naming
from scs_kaas.errors import SettingProblem, SettingsError
from scs_kaas.settings.management import ImageSettings

GIB = 1024**3
# Nodes need more than Glance's default of no minimum; R1 registered 1024 MiB.
MIN_RAM_MIB = 1024
# Where osism publishes the CAPI images' checksums: next to the image, `.CHECKSUM` appended.
CHECKSUM_SUFFIX = ".CHECKSUM"

# R1's SCS image metadata that does not depend on the image or the settings.
_FIXED_PROPERTIES = MappingProxyType(
    {
        "architecture": "x86_64",
        "hypervisor_type": "kvm",
        "os_distro": "ubuntu",
        "os_purpose": "k8snode",
        "hw_disk_bus": "scsi",
        "hw_scsi_model": "virtio-scsi",
        "hw_rng_model": "virtio",
        "image_original_user": "ubuntu",
    }
)
# Set by the tool; a user's extra property may not replace them (reuse and cleanup read them).
OWNERSHIP_PROPERTIES = ("managed_by", "kaas_prefix", "kubernetes_version")
_HASH_LENGTHS = MappingProxyType({64: "sha256", 128: "sha512"})
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_BSD_LINE = re.compile(r"^(?P<algo>SHA256|SHA512)\s*\((?P<name>.+)\)\s*=\s*(?P<hex>[0-9a-fA-F]+)$")


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # hashlib name: sha256 or sha512
    hexdigest: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"


def minor_version(version: str) -> str:
    """`v1.34.1` -> `v1.34` (the folder the osism images are published in)."""
    return ".".join(version.split(".")[:2])


def _fill(template: str, setting: str, **values: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    unknown = sorted(fields - values.keys())
    if unknown or "version" not in fields:
        allowed = ", ".join("{" + v + "}" for v in values)
        raise SettingsError(
            [
                SettingProblem(
                    setting,
                    f"must contain {{version}} and no other fields than {allowed}",
                    value=repr(template),
                )
            ]
        )
    return template.format(**values)


def image_name(settings: ImageSettings, version: str) -> str:
    return _fill(settings.name_template, "image.name_template", version=version)


def image_url(settings: ImageSettings, version: str) -> str:
    url = _fill(
        settings.url_template, "image.url_template", version=version, minor=minor_version(version)
    )
    if not url.startswith(("https://", "http://")):
        raise SettingsError(
            [SettingProblem("image.url_template", "must be an http(s):// URL", value=repr(url))]
        )
    return url


def checksum_url(url: str) -> str:
    return url + CHECKSUM_SUFFIX


def check_extra_properties(settings: ImageSettings) -> None:
    problems = [
        SettingProblem(
            f"image.extra_properties.{key}", "is set by scs-kaas (reuse and cleanup read it)"
        )
        for key in settings.extra_properties
        if key in OWNERSHIP_PROPERTIES
    ]
    if problems:
        raise SettingsError(problems)


def image_properties(
    settings: ImageSettings, prefix: str, version: str, source: str, build_date: str
) -> dict[str, str]:
    """Glance properties: R1's SCS metadata, the user's extras, then the ownership marks."""
    check_extra_properties(settings)
    return {
        **_FIXED_PROPERTIES,
        "os_version": settings.os_version,
        "image_build_date": build_date,
        "image_source": source,
        **settings.extra_properties,
        "kubernetes_version": version,
        "managed_by": naming.MANAGED_BY,
        "kaas_prefix": prefix,
    }


def min_disk_gib(virtual_size_bytes: int) -> int:
    """The image's virtual size rounded up to whole GiB: Nova refuses smaller root disks."""
    if virtual_size_bytes <= 0:
        raise ValueError(f"an image's virtual size must be positive, got {virtual_size_bytes}")
    return math.ceil(virtual_size_bytes / GIB)


def parse_checksum(text: str, filename: str) -> Checksum:
    """The checksum of `filename` in a checksum file.

    Accepted: `sha256sum`/`sha512sum` output (`HEX  NAME`, `HEX *NAME`), BSD style
    (`SHA256 (NAME) = HEX`) and a file holding only the hex digest.
    """
    entries: list[tuple[str | None, str]] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        bsd = _BSD_LINE.match(line)
        if bsd:
            entries.append((bsd.group("name").strip(), bsd.group("hex")))
            continue
        digest, _, name = line.partition(" ")
        entries.append((name.strip().lstrip("*") or None, digest))
    matching = [digest for name, digest in entries if name in (filename, None)]
    if not matching and len(entries) == 1:
        matching = [entries[0][1]]
    if len(matching) != 1:
        raise ValueError(f"the checksum file has no single entry for {filename}")
    return checksum_of(matching[0])


def checksum_of(digest: str) -> Checksum:
    """A hex SHA-256 or SHA-512 digest, optionally written `sha256:HEX`."""
    digest = digest.strip()
    algorithm_hint, _, value = digest.rpartition(":")
    algorithm = _HASH_LENGTHS.get(len(value))
    if not _HEX.match(value) or algorithm is None or algorithm_hint not in ("", algorithm):
        raise ValueError(
            "a checksum must be a SHA-256 (64 hex digits) or SHA-512 (128 hex digits) digest"
        )
    return Checksum(algorithm, value.lower())
