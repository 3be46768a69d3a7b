"""The ports the local management cluster listens on: apart from its files (layout.py), so
that `kaas devcloud --help` can name them without importing the PKI's cryptography."""

from __future__ import annotations

from dataclasses import dataclass

from scs_kaas.errors import ClusterError
from scs_kaas.localcloud.ports import port_is_free
from scs_kaas.localmgmt.components import PROVIDERS

DEFAULT_PORT_BASE = 16443
# The API server, etcd's client and peer ports, kube-controller-manager; then three per
# provider controller (webhooks, health probes, metrics).
_FIXED = ("apiserver", "etcd", "etcd_peer", "controller_manager")
_PER_PROVIDER = ("webhook", "health", "metrics")


@dataclass(frozen=True)
class Ports:
    """Consecutive ports on 127.0.0.1 from `base`; one number picks a whole set."""

    base: int = DEFAULT_PORT_BASE

    @staticmethod
    def count() -> int:
        return len(_FIXED) + len(_PER_PROVIDER) * len(PROVIDERS)

    def __post_init__(self) -> None:
        if not 1024 <= self.base <= 65535 - self.count():
            raise ClusterError(
                f"management port base {self.base} is out of range (1024..{65535 - self.count()})"
            )

    def fixed(self, name: str) -> int:
        return self.base + _FIXED.index(name)

    @property
    def apiserver(self) -> int:
        return self.fixed("apiserver")

    def provider(self, provider: str, what: str) -> int:
        index = [p.name for p in PROVIDERS].index(provider)
        return self.base + len(_FIXED) + index * len(_PER_PROVIDER) + _PER_PROVIDER.index(what)

    def all(self) -> list[int]:
        return list(range(self.base, self.base + self.count()))

    def busy(self) -> list[int]:
        return [p for p in self.all() if not port_is_free(p)]
