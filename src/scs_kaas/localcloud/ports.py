"""Every TCP port the local cloud listens on, so that two clouds on one machine can coexist."""

from __future__ import annotations

import json
import socket
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from scs_kaas.errors import CloudError

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Ports:
    """Ports on 127.0.0.1. The defaults are the upstream ones (as in DevStack)."""

    keystone: int = 5000
    glance: int = 9292
    neutron: int = 9696
    placement: int = 8778
    nova: int = 8774
    cinder: int = 8776
    octavia: int = 9876
    mariadb: int = 3306
    rabbitmq: int = 5672
    rabbitmq_dist: int = 25672
    epmd: int = 4369
    octavia_health: int = 5555

    @classmethod
    def from_base(cls, base: int) -> Ports:
        """Consecutive ports from `base`, in field order: one number picks a whole set."""
        names = [f.name for f in fields(cls)]
        if not 1024 <= base <= 65535 - len(names):
            raise CloudError(f"port base {base} is out of range (1024..{65535 - len(names)})")
        return cls(**{name: base + offset for offset, name in enumerate(names)})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Ports:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{f.name: int(data[f.name]) for f in fields(cls)})
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CloudError(f"cannot read the local cloud's ports from {path}: {error}") from error

    def busy(self) -> list[tuple[str, int]]:
        """The ports something already listens on (or that cannot be bound for another reason)."""
        return [(name, port) for name, port in self.as_dict().items() if not port_is_free(port)]


def port_is_free(port: int) -> bool:
    """True if nothing holds `port` on 127.0.0.1 (we bind to it briefly to find out)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: connections in TIME_WAIT from a previous run do not make a port busy
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def port_answers(port: int, timeout: float = 1.0) -> bool:
    """True if something accepts TCP connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False
