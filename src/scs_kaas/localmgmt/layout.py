"""Where the local management cluster keeps its files (its ports: ports.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from scs_kaas.localmgmt.pki import Pki
from scs_kaas.localmgmt.ports import Ports


@dataclass(frozen=True)
class Layout:
    """The files of one management cluster, all under `root`."""

    root: Path

    @classmethod
    def at(cls, root: Path) -> Layout:
        return cls(root.expanduser().absolute())

    @property
    def pki(self) -> Pki:
        return Pki(self.root / "pki")

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (0600): for the user, the tests and every controller."""
        return self.root / "kubeconfig"

    @property
    def ports_file(self) -> Path:
        return self.root / "ports.json"

    def pid_file(self, process: str) -> Path:
        return self.run / f"{process}.pid"

    def save_ports(self, ports: Ports) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.ports_file.write_text(json.dumps({"base": ports.base}) + "\n", encoding="utf-8")

    def load_ports(self) -> Ports | None:
        try:
            return Ports(int(json.loads(self.ports_file.read_text(encoding="utf-8"))["base"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
