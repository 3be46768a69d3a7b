"""What every config renderer needs to know about one local cloud."""

from __future__ import annotations

from dataclasses import dataclass

from scs_kaas.localcloud.layout import Layout, Secrets
from scs_kaas.localcloud.ports import LOOPBACK, Ports

REGION = "RegionOne"
SERVICE_PROJECT = "service"


@dataclass(frozen=True)
class CloudContext:
    layout: Layout
    ports: Ports
    secrets: Secrets

    def url(self, port: int, path: str = "") -> str:
        return f"http://{LOOPBACK}:{port}{path}"

    @property
    def keystone_url(self) -> str:
        return self.url(self.ports.keystone)

    @property
    def auth_url(self) -> str:
        return self.url(self.ports.keystone, "/v3")

    def database_url(self, database: str) -> str:
        return (
            f"mysql+pymysql://os:{self.secrets.database}@{LOOPBACK}:{self.ports.mariadb}/{database}"
        )

    @property
    def transport_url(self) -> str:
        return f"rabbit://kaas:{self.secrets.rabbitmq}@{LOOPBACK}:{self.ports.rabbitmq}/"
