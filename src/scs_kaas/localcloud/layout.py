"""Where the local cloud keeps its files: everything lives under one state directory."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

DEVCLOUD_STATE_DIR = Path("~/.local/state/scs-kaas/devcloud")


@dataclass(frozen=True)
class Layout:
    """The paths of one local cloud; `venv` may live elsewhere, so test runs can share it."""

    root: Path
    venv: Path

    @classmethod
    def at(cls, root: Path, venv: Path | None = None) -> Layout:
        root = root.expanduser().absolute()
        return cls(root=root, venv=(venv or root / "venv").expanduser().absolute())

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """PID files, sockets."""
        return self.root / "run"

    @property
    def mysql(self) -> Path:
        return self.root / "mysql"

    @property
    def rabbit(self) -> Path:
        return self.root / "rabbit"

    @property
    def shim(self) -> Path:
        """Small Python modules the servers import (WSGI loader, Cinder driver)."""
        return self.root / "shim"

    @property
    def bin(self) -> Path:
        """Put first on PATH of services that call helpers we replace (sudo)."""
        return self.root / "bin"

    @property
    def venv_bin(self) -> Path:
        return self.venv / "bin"

    @property
    def clouds_yaml(self) -> Path:
        return self.root / "clouds.yaml"

    @property
    def cloud_name_file(self) -> Path:
        """Which entry of clouds.yaml `env` names (the one with the application credential)."""
        return self.root / "cloud-name"

    @property
    def ports_file(self) -> Path:
        return self.root / "ports.json"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.json"

    @property
    def mysql_socket(self) -> Path:
        return self.run / "mysql.sock"

    @property
    def my_cnf(self) -> Path:
        return self.etc / "my.cnf"

    def make_dirs(self) -> None:
        for path in (self.etc, self.data, self.logs, self.run, self.mysql, self.rabbit, self.shim):
            path.mkdir(parents=True, exist_ok=True)
        self.bin.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)  # passwords and keys live here


@dataclass(frozen=True)
class Secrets:
    """Passwords of this cloud, made once per state directory and kept there (mode 0600)."""

    admin: str
    service: str
    database: str
    rabbitmq: str
    project_user: str

    @classmethod
    def load_or_create(cls, path: Path) -> Secrets:
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        # hex only: the values go into URLs (database, transport) and INI files without quoting
        made = cls(**{name: secrets.token_hex(16) for name in cls.__dataclass_fields__})
        path.touch(mode=0o600)
        path.write_text(json.dumps(made.__dict__, indent=2) + "\n", encoding="utf-8")
        return made
