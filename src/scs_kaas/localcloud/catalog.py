"""Service users, roles and the service catalog, registered through openstacksdk as admin."""

from __future__ import annotations

from dataclasses import dataclass

from openstack.connection import Connection

from scs_kaas.localcloud.context import REGION, SERVICE_PROJECT, CloudContext
from scs_kaas.localcloud.sdk import identity

# Octavia's policies check these names; `service` lets services act on each other's behalf
ROLES = (
    "member",
    "reader",
    "service",
    "load-balancer_member",
    "load-balancer_admin",
    "load-balancer_observer",
    "load-balancer_global_observer",
    "load-balancer_quota_admin",
)


@dataclass(frozen=True)
class CatalogEntry:
    service: str
    service_type: str
    url: str
    user: str | None  # the service user that validates tokens and calls other services


def catalog(ctx: CloudContext) -> list[CatalogEntry]:
    ports, url = ctx.ports, ctx.url
    cinder = url(ports.cinder, "/v3/%(project_id)s")
    return [
        CatalogEntry("glance", "image", url(ports.glance), "glance"),
        CatalogEntry("neutron", "network", url(ports.neutron), "neutron"),
        CatalogEntry("placement", "placement", url(ports.placement), "placement"),
        CatalogEntry("nova", "compute", url(ports.nova, "/v2.1"), "nova"),
        CatalogEntry("cinder", "block-storage", cinder, "cinder"),
        # older clients (and some CAPI components) still look for `volumev3`
        CatalogEntry("cinderv3", "volumev3", cinder, None),
        CatalogEntry("octavia", "load-balancer", url(ports.octavia), "octavia"),
    ]


def ensure_role(admin: Connection, name: str) -> str:
    role = identity(admin).find_role(name)
    if role is None:
        role = identity(admin).create_role(name=name)
    return str(role.id)


def register_catalog(admin: Connection, ctx: CloudContext) -> None:
    """Idempotent: a restart without --wipe finds everything in place."""
    ident = identity(admin)
    project = ident.find_project(SERVICE_PROJECT, domain_id="default")
    if project is None:
        project = ident.create_project(name=SERVICE_PROJECT, domain_id="default")
    role_ids = {name: ensure_role(admin, name) for name in (*ROLES, "admin")}
    for entry in catalog(ctx):
        if entry.user is not None:
            user = ident.find_user(entry.user)
            if user is None:
                user = ident.create_user(
                    name=entry.user, password=ctx.secrets.service, domain_id="default"
                )
            for role in ("admin", "service"):
                ident.assign_project_role_to_user(project, user, role_ids[role])
        service = ident.find_service(entry.service)
        if service is None:
            service = ident.create_service(name=entry.service, type=entry.service_type)
        existing = {e.interface: e for e in ident.endpoints(service_id=service.id)}
        for interface in ("public", "internal", "admin"):
            endpoint = existing.get(interface)
            if endpoint is None:
                ident.create_endpoint(
                    service_id=service.id, interface=interface, url=entry.url, region_id=REGION
                )
            elif endpoint.url != entry.url:  # ports changed since the last run
                ident.update_endpoint(endpoint, url=entry.url)
