"""The HTTP requests CAPO v0.14.7 makes through gophercloud v2, sent through openstacksdk.

openstacksdk's resource layer would send other bodies than gophercloud (no `imageRef: ""` for a
boot-from-volume server, its own microversions, ...), so the replay sends gophercloud's bodies
through the SDK's authenticated proxies instead; `call` fails on any status CAPO would treat as
an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from openstack.connection import Connection
from openstack.proxy import Proxy

# pkg/clients/compute.go: every compute call uses the minimum; server create with tags 2.53
NOVA_MINIMUM = "2.38"
NOVA_TAGGING = "2.53"
# pkg/utils/openstack/loadbalancer.go: allowed_cidrs need Octavia API v2.12
OCTAVIA_VIP_ACL = (2, 12)
OK = (200, 201, 202, 204)

Json = dict[str, Any]


def query(path: str, **params: str | None) -> str:
    """gophercloud's BuildQueryString: empty values are left out."""
    given = {key: value for key, value in params.items() if value}
    return f"{path}?{urlencode(given)}" if given else path


def microversion_tuple(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


@dataclass(frozen=True)
class Api:
    conn: Connection

    def call(
        self,
        proxy: Proxy,
        method: str,
        path: str,
        body: Json | None = None,
        *,
        microversion: str | None = None,
        expect: tuple[int, ...] = OK,
    ) -> Any:
        response = proxy.request(
            path, method, json=body, microversion=microversion, raise_exc=False
        )
        assert response.status_code in expect, (
            f"{method} {path} -> {response.status_code}: {response.text[:600]}"
        )
        return response.json() if response.content else None

    def network(self, method: str, path: str, body: Json | None = None, **kw: Any) -> Any:
        return self.call(self.conn.network, method, path, body, **kw)

    def lb(self, method: str, path: str, body: Json | None = None, **kw: Any) -> Any:
        return self.call(self.conn.load_balancer, method, path, body, **kw)

    def compute(self, method: str, path: str, body: Json | None = None, **kw: Any) -> Any:
        kw.setdefault("microversion", NOVA_MINIMUM)
        return self.call(self.conn.compute, method, path, body, **kw)

    def volume(self, method: str, path: str, body: Json | None = None, **kw: Any) -> Any:
        return self.call(self.conn.block_storage, method, path, body, **kw)

    def image(self, method: str, path: str) -> Any:
        return self.call(self.conn.image, method, path)

    def catalog_root(self, service_type: str) -> Any:
        """GET on the catalog URL itself, as CAPO's version checks do."""
        url = self.conn.endpoint_for(service_type)
        assert url, f"no {service_type} endpoint in the catalog"
        proxy = getattr(self.conn, service_type.replace("-", "_"))
        return self.call(proxy, "GET", url.rstrip("/") + "/", expect=(200, 300))

    def replace_tags(self, collection: str, resource_id: str, tags: list[str]) -> None:
        """attributestags.ReplaceAll (only called when the cluster has tags)."""
        if tags:
            self.network("PUT", f"/{collection}/{resource_id}/tags", {"tags": tags})

    def one_or_none(self, method_result: Json, key: str) -> Json | None:
        items: list[Json] = method_result[key]
        assert len(items) <= 1, f"CAPO treats more than one {key} as an error: {items}"
        return items[0] if items else None

    def load_balancer_status(self, lb_id: str) -> str:
        status: str = self.lb("GET", f"/lbaas/loadbalancers/{lb_id}")["loadbalancer"][
            "provisioning_status"
        ]
        return status
