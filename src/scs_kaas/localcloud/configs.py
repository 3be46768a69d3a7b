"""The OpenStack services' configuration files, as pure functions of the cloud's context."""

from __future__ import annotations

from scs_kaas.localcloud.context import REGION, SERVICE_PROJECT, CloudContext
from scs_kaas.localcloud.ini import Value, render_ini
from scs_kaas.localcloud.ports import LOOPBACK
from scs_kaas.localcloud.shims import OCTAVIA_NETWORK_DRIVER_NAME

# upstream L3RouterPlugin subclass in the shim directory (on neutron-server's sys.path)
NEUTRON_L3_PLUGIN = "localcloud_neutron.LocalCloudL3Plugin"

# Neutron's ML2 `test` mechanism driver binds ports only for hosts with these names, so Nova's
# compute host is called this and every server's port binds without an agent.
COMPUTE_HOST = "host-ovs-filter-active"

# oslo.service gives RPC handlers 60 s to finish on SIGTERM; a throwaway cloud needs none
GRACEFUL_SHUTDOWN_S = 2


def _authtoken(ctx: CloudContext, user: str) -> dict[str, Value]:
    return {
        "www_authenticate_uri": ctx.keystone_url,
        "auth_url": ctx.keystone_url,
        "auth_type": "password",
        "project_domain_name": "Default",
        "user_domain_name": "Default",
        "project_name": SERVICE_PROJECT,
        "username": user,
        "password": ctx.secrets.service,
        "service_token_roles_required": True,
    }


def _service_auth(ctx: CloudContext, user: str) -> dict[str, Value]:
    """Credentials a service uses to call another service."""
    return {
        "auth_type": "password",
        "auth_url": ctx.auth_url,
        "project_domain_name": "Default",
        "user_domain_name": "Default",
        "project_name": SERVICE_PROJECT,
        "username": user,
        "password": ctx.secrets.service,
        "region_name": REGION,
    }


def _lock(ctx: CloudContext) -> dict[str, Value]:
    return {"lock_path": str(ctx.layout.data / "lock")}


def keystone_conf(ctx: CloudContext) -> str:
    keys = str(ctx.layout.etc / "keystone" / "fernet-keys")
    return render_ini(
        {
            "database": {"connection": ctx.database_url("keystone")},
            # bcrypt's minimum cost: every password login (the services' users, each test's
            # user) checks a hash, at the default cost 12 about 0.25 s of CPU each, seconds on a
            # busy machine; a throwaway cloud on 127.0.0.1 needs no slow hashes
            "identity": {"password_hash_rounds": 4},
            "token": {"provider": "fernet"},
            "fernet_tokens": {"key_repository": keys},
            "fernet_receipts": {"key_repository": keys},
            "credential": {"key_repository": str(ctx.layout.etc / "keystone" / "credential-keys")},
        }
    )


def glance_api_conf(ctx: CloudContext) -> str:
    data = ctx.layout.data / "glance"
    return render_ini(
        {
            "DEFAULT": {
                "enabled_backends": "fs:file",
                # web-download would need the internet; glance-direct works offline
                "enabled_import_methods": "[glance-direct,copy-image]",
                "worker_self_reference_url": ctx.url(ctx.ports.glance),
            },
            "database": {"connection": ctx.database_url("glance")},
            "glance_store": {"default_backend": "fs"},
            "fs": {"filesystem_store_datadir": f"{data / 'images'}/"},
            "os_glance_staging_store": {"filesystem_store_datadir": f"{data / 'staging'}/"},
            "os_glance_tasks_store": {"filesystem_store_datadir": f"{data / 'tasks'}/"},
            "paste_deploy": {
                "flavor": "keystone",
                "config_file": str(ctx.layout.etc / "glance" / "glance-api-paste.ini"),
            },
            "oslo_concurrency": _lock(ctx),
            "keystone_authtoken": _authtoken(ctx, "glance"),
        }
    )


def placement_conf(ctx: CloudContext) -> str:
    return render_ini(
        {
            "placement_database": {"connection": ctx.database_url("placement")},
            "api": {"auth_strategy": "keystone"},
            "keystone_authtoken": _authtoken(ctx, "placement"),
        }
    )


def neutron_conf(ctx: CloudContext) -> str:
    return render_ini(
        {
            "DEFAULT": {
                "core_plugin": "ml2",
                # the upstream router plugin, with floating IP status set without an agent
                "service_plugins": NEUTRON_L3_PLUGIN,
                "auth_strategy": "keystone",
                "transport_url": ctx.transport_url,
                "allow_overlapping_ips": True,
                # no agents and no Nova callbacks: nothing would consume the events
                "notify_nova_on_port_status_changes": False,
                "notify_nova_on_port_data_changes": False,
                "api_paste_config": str(ctx.layout.etc / "neutron" / "api-paste.ini"),
                "api_workers": 1,
                "rpc_workers": 0,
                "state_path": str(ctx.layout.data / "neutron"),
            },
            "database": {"connection": ctx.database_url("neutron")},
            "oslo_concurrency": _lock(ctx),
            "keystone_authtoken": _authtoken(ctx, "neutron"),
            "nova": _service_auth(ctx, "nova"),
        }
    )


def ml2_conf(ctx: CloudContext) -> str:
    del ctx  # same for every cloud; takes the context like its siblings
    return render_ini(
        {
            "ml2": {
                "type_drivers": "flat,vxlan",
                "tenant_network_types": "vxlan",
                # upstream neutron.tests...mechanism_test: binds ports (vif_type ovs) for the
                # hosts named in COMPUTE_HOST, with no agent
                "mechanism_drivers": "test",
                "extension_drivers": "port_security",
            },
            "ml2_type_flat": {"flat_networks": "public"},
            "ml2_type_vxlan": {"vni_ranges": "1:10000"},
            "securitygroup": {"enable_security_group": True, "firewall_driver": "noop"},
        }
    )


def nova_conf(ctx: CloudContext) -> str:
    data = ctx.layout.data / "nova"
    return render_ini(
        {
            "DEFAULT": {
                "transport_url": ctx.transport_url,
                "graceful_shutdown_timeout": GRACEFUL_SHUTDOWN_S,
                "compute_driver": "fake.FakeDriver",
                "host": COMPUTE_HOST,
                "my_ip": LOOPBACK,
                "state_path": str(data),
                "instances_path": str(data / "instances"),
                # no agent ever reports a plugged VIF; do not wait for one
                "vif_plugging_is_fatal": False,
                "vif_plugging_timeout": 0,
            },
            "wsgi": {"api_paste_config": str(ctx.layout.etc / "nova" / "api-paste.ini")},
            "api": {"auth_strategy": "keystone"},
            "api_database": {"connection": ctx.database_url("nova_api")},
            "database": {"connection": ctx.database_url("nova")},
            "conductor": {"workers": 1},
            "scheduler": {"workers": 1, "discover_hosts_in_cells_interval": 10},
            # Nova's defaults without ImagePropertiesFilter: node images carry the SCS
            # metadata of real clouds (hypervisor_type=kvm), and the fake driver reports
            # hypervisor "fake", so every node server would end in NoValidHost.
            "filter_scheduler": {
                "enabled_filters": "ComputeFilter,ComputeCapabilitiesFilter,"
                "ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter"
            },
            "oslo_concurrency": _lock(ctx),
            "oslo_messaging_notifications": {"driver": "noop"},
            "keystone_authtoken": _authtoken(ctx, "nova"),
            "placement": _service_auth(ctx, "placement"),
            "neutron": _service_auth(ctx, "neutron"),
            "cinder": {"os_region_name": REGION},
            # Cinder lets only Nova detach volumes (OSSA-2023-003) and knows Nova by its
            # service token; without one it asks Nova with the user's token, which fails
            # for application-credential tokens (no token from a delegated token)
            "service_user": {"send_service_user_token": True, **_service_auth(ctx, "nova")},
            "glance": {"region_name": REGION},
            "vnc": {"enabled": False},
        }
    )


def cinder_conf(ctx: CloudContext) -> str:
    etc = ctx.layout.etc / "cinder"
    return render_ini(
        {
            "DEFAULT": {
                "transport_url": ctx.transport_url,
                "graceful_shutdown_timeout": GRACEFUL_SHUTDOWN_S,
                "auth_strategy": "keystone",
                "enabled_backends": "fake",
                "state_path": str(ctx.layout.data / "cinder"),
                "api_paste_config": str(etc / "api-paste.ini"),
                # without this file every list filter is rejected with 400
                "resource_query_filters_file": str(etc / "resource_filters.json"),
                "rootwrap_config": str(etc / "rootwrap.conf"),
                "my_ip": LOOPBACK,
                "host": "localcloud",
                "osapi_volume_workers": 1,
            },
            "fake": {
                # upstream fake backend with image<->volume copies as no-ops (see shims.py)
                "volume_driver": "localcloud_cinder.LocalCloudVolumeDriver",
                "volume_backend_name": "fake",
            },
            "database": {"connection": ctx.database_url("cinder")},
            "oslo_concurrency": _lock(ctx),
            "oslo_messaging_notifications": {"driver": "noop"},
            "keystone_authtoken": _authtoken(ctx, "cinder"),
            # Cinder's calls to Nova's "privileged" APIs use these, not the user's token
            "nova": {**_service_auth(ctx, "cinder"), "interface": "public"},
        }
    )


def cinder_rootwrap_conf(upstream: str, ctx: CloudContext) -> str:
    """Upstream rootwrap.conf pointed at our filters and the server venv's executables.

    Cinder starts its privsep helper as `sudo cinder-rootwrap <conf> privsep-helper ...`.
    """
    exec_dirs = [str(ctx.layout.venv_bin), "/sbin", "/usr/sbin", "/bin", "/usr/bin"]
    lines = []
    for line in upstream.splitlines():
        if line.startswith("filters_path="):
            lines.append(f"filters_path={ctx.layout.etc / 'cinder' / 'rootwrap.d'}")
        elif line.startswith("exec_dirs="):
            lines.append("exec_dirs=" + ",".join(exec_dirs))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def octavia_conf(ctx: CloudContext) -> str:
    certs = ctx.layout.etc / "octavia" / "certs"
    fake_id = "00000000-0000-0000-0000-000000000000"
    return render_ini(
        {
            "DEFAULT": {
                "transport_url": ctx.transport_url,
                "graceful_shutdown_timeout": GRACEFUL_SHUTDOWN_S,
            },
            "api_settings": {
                "bind_host": LOOPBACK,
                "bind_port": ctx.ports.octavia,
                "auth_strategy": "keystone",
                # the amphora provider with noop drivers moves objects to ACTIVE; the plain
                # noop provider never changes their status
                "enabled_provider_drivers": (
                    "amphora:Amphora provider with noop amphora/compute/network drivers,"
                    "octavia:alias of amphora"
                ),
                "default_provider_driver": "amphora",
            },
            "database": {"connection": ctx.database_url("octavia")},
            "controller_worker": {
                "amphora_driver": "amphora_noop_driver",
                "compute_driver": "compute_noop_driver",
                # noop, but with real Neutron VIP ports (see shims.py)
                "network_driver": OCTAVIA_NETWORK_DRIVER_NAME,
                "volume_driver": "volume_noop_driver",
                "image_driver": "image_noop_driver",
                "loadbalancer_topology": "SINGLE",
                "client_ca": str(certs / "ca.pem"),
                "amp_image_tag": "amphora",
                "amp_flavor_id": "1",
                "amp_boot_network_list": fake_id,
                "amp_secgroup_list": fake_id,
            },
            "task_flow": {"jobboard_enabled": False},
            "certificates": {
                "cert_generator": "local_cert_generator",
                "ca_certificate": str(certs / "ca.pem"),
                "ca_private_key": str(certs / "ca.key"),
                "server_certs_key_passphrase": "insecure-key-do-not-use-this-key",
            },
            "haproxy_amphora": {
                "client_cert": str(certs / "client.pem"),
                "server_ca": str(certs / "ca.pem"),
            },
            "health_manager": {
                "bind_ip": LOOPBACK,
                "bind_port": ctx.ports.octavia_health,
                "heartbeat_key": "insecure",
            },
            "oslo_concurrency": _lock(ctx),
            # the API and the worker must agree on the topic; the amphora provider uses this one
            "oslo_messaging": {"topic": "octavia_prov"},
            "oslo_messaging_notifications": {"driver": "noop"},
            "keystone_authtoken": _authtoken(ctx, "octavia"),
            "service_auth": _service_auth(ctx, "octavia"),
            # Without its own auth options Octavia copies [service_auth]'s into [neutron] on the
            # first Neutron call, unlocked (common/keystone.py get_auth): two load balancers
            # created at once made one half-set client ("password is a required attribute"),
            # and that load balancer went to ERROR.
            "neutron": _service_auth(ctx, "octavia"),
        }
    )


def all_service_configs(ctx: CloudContext) -> dict[str, str]:
    """Rendered files by path relative to the etc dir (files copied from the venv excluded)."""
    return {
        "keystone/keystone.conf": keystone_conf(ctx),
        "glance/glance-api.conf": glance_api_conf(ctx),
        "placement/placement.conf": placement_conf(ctx),
        "neutron/neutron.conf": neutron_conf(ctx),
        "neutron/plugins/ml2/ml2_conf.ini": ml2_conf(ctx),
        "nova/nova.conf": nova_conf(ctx),
        "cinder/cinder.conf": cinder_conf(ctx),
        "octavia/octavia.conf": octavia_conf(ctx),
    }
