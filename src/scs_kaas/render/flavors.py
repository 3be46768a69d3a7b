"""Root disks of flavors, from cloud facts or from the SCS flavor naming standard."""

from __future__ import annotations

import re
from collections.abc import Mapping

# SCS-<cpus><V|L|T|C>[...]-<ram GiB>[...][-[<n>x]<disk GiB><disk type>]...: a name without the
# disk part has no root disk (SCS "Flavor Naming" standard, scs-0100).
_SCS_DISK = re.compile(
    r"^SCS-\d+[VLTC][a-z]*-\d+(?:\.\d+)?[a-z]*(?:-(?:\d+x)?(?P<disk>\d+)[nhsp]?)?"
)


def flavor_disk_gib(flavor: str, known: Mapping[str, int]) -> int | None:
    """The flavor's root disk in GiB, 0 when diskless, None when unknown."""
    if flavor in known:
        return known[flavor]
    match = _SCS_DISK.match(flavor)
    if match is None:
        return None
    disk = match.group("disk")
    return int(disk) if disk else 0


def root_volume_size(
    explicit_gib: int | None, flavor: str, known: Mapping[str, int], default_gib: int
) -> int | None:
    """Boot from a volume when asked to, or when the flavor has no disk (R5 #424)."""
    if explicit_gib is not None:
        return explicit_gib
    return default_gib if flavor_disk_gib(flavor, known) == 0 else None
