"""A kubeconfig's key material in anonymous in-memory files (memfd) instead of the files in /tmp
the client library would write, and API discovery cached in memory instead of a shared file."""

from __future__ import annotations

import base64
import contextlib
import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import uuid4

from kubernetes.dynamic.discovery import LazyDiscoverer

# kubeconfig keys whose base64 data the client library would otherwise spill into /tmp files.
_DATA_KEYS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key"),
}


class MemoryDiscoverer(LazyDiscoverer):
    """API discovery cached per client in memory.

    The library's default caches discovery in a shared /tmp file named after the server URL, read
    back by later processes; a stale file there would hide kinds installed since.
    """

    def _write_cache(self) -> None:
        pass


def in_memory(kubeconfig: Mapping[str, Any], base: Path | None, memfds: list[int]) -> Any:
    """A copy of `kubeconfig` with embedded key material moved to memfds and file paths absolute."""
    prepared = copy.deepcopy(dict(kubeconfig))
    for section, keys in _DATA_KEYS.items():
        for entry in prepared.get(f"{section}s") or []:
            body = (entry or {}).get(section) or {}
            for key in keys:
                data = body.pop(f"{key}-data", None)
                if data:
                    body[key] = _memfd(base64.b64decode(data), memfds)
                elif body.get(key) and base is not None:
                    body[key] = str(base / body[key])
    return prepared


def _memfd(content: bytes, memfds: list[int]) -> str:
    """An anonymous in-memory file holding `content`, as a path only this process can open."""
    descriptor = os.memfd_create("scs-kaas-kubeconfig", os.MFD_CLOEXEC)
    memfds.append(descriptor)
    os.write(descriptor, content)
    return f"/proc/self/fd/{descriptor}"


def close_all(descriptors: list[int]) -> None:
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            os.close(descriptor)


def nowhere() -> str:
    """A cache path that does not exist and is never written (see `MemoryDiscoverer`)."""
    return f"/proc/self/fd/scs-kaas-no-discovery-cache-{uuid4().hex}"
