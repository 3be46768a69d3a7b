"""Source of the small modules and helpers the servers load from the state dir's shim/ and bin/.

They run inside the server venv (which has the OpenStack packages), never in scs-kaas's own.
"""

from __future__ import annotations

# 2026.1 ships no neutron-server/nova-api/placement-api console scripts, so every API runs under
# gunicorn. oslo.config parses sys.argv, which would be gunicorn's: replace it first.
WSGI_LOADER = '''\
"""Load the upstream WSGI app named in $LOCALCLOUD_WSGI_APP, with $LOCALCLOUD_ARGV as argv."""
import importlib
import os
import shlex
import sys

sys.argv = sys.argv[:1] + shlex.split(os.environ.get("LOCALCLOUD_ARGV", ""))
_module, _attribute = os.environ["LOCALCLOUD_WSGI_APP"].split(":")
application = getattr(importlib.import_module(_module), _attribute)
'''

# The upstream fake backend pretends to be LVM, so copying an image to a volume fails when
# qemu-img looks for the device. The volumes hold no data: the copies become no-ops, and
# volumes from images and boot-from-volume servers work.
CINDER_DRIVER = '''\
"""Cinder's upstream fake backend, with image<->volume copies that succeed without devices."""
from cinder.tests import fake_driver


class LocalCloudVolumeDriver(fake_driver.FakeLoggingVolumeDriver):
    def copy_image_to_volume(self, context, volume, image_service, image_id, disable_sparse=False):
        return None

    def copy_image_to_encrypted_volume(self, context, volume, image_service, image_id):
        return None

    def copy_volume_to_image(self, context, volume, image_service, image_meta):
        return None
'''

# Cinder starts its privsep helper through `sudo`. The services run as the invoking user, who
# is root in CI; elsewhere privsep would need real sudo, which a local cloud must not ask for.
SUDO = """\
#!/bin/sh
# local cloud: run the command as the current user instead of asking for root
exec "$@"
"""

# No L3 agent runs, and only an agent moves a floating IP to ACTIVE, so it would stay DOWN;
# CAPO waits for ACTIVE after associating one (and for DOWN after disassociating).
NEUTRON_L3_PLUGIN = '''\
"""Neutron's L3 router plugin, with floating IP status following the association."""
from neutron.services.l3_router import l3_router_plugin
from neutron_lib import constants


class LocalCloudL3Plugin(l3_router_plugin.L3RouterPlugin):
    # Neutron looks these up under the class's own (mangled) name; without them it emulates
    # pagination and sorting and turns filter validation off
    __native_pagination_support = True
    __native_sorting_support = True
    __filter_validation_support = True

    def create_floatingip(self, context, floatingip):
        return self._settle(context, super().create_floatingip(context, floatingip))

    def update_floatingip(self, context, id, floatingip):
        return self._settle(context, super().update_floatingip(context, id, floatingip))

    def disassociate_floatingips(self, context, port_id):
        # the port is going away: its floating IPs go DOWN as an agent would report
        # (same context: this runs inside the port delete's transaction)
        fips = self.get_floatingips(context, filters={"port_id": [port_id]}, fields=["id"])
        result = super().disassociate_floatingips(context, port_id)
        for fip in fips:
            self.update_floatingip_status(context, fip["id"], constants.FLOATINGIP_STATUS_DOWN)
        return result

    def _settle(self, context, fip):
        status = constants.FLOATINGIP_STATUS_DOWN
        if fip.get("port_id"):
            status = constants.FLOATINGIP_STATUS_ACTIVE
        if fip["status"] != status:
            self.update_floatingip_status(context, fip["id"], status)
            fip["status"] = status
        return fip
'''

# Octavia's noop network driver makes up the VIP port (a random ID, address 198.51.100.1), so a
# floating IP cannot be associated with a load balancer. This one creates the VIP port in
# Neutron as the real allowed-address-pairs driver does (same name, device owner, device ID,
# with Octavia's service credentials) and deletes it with the load balancer. Subnets, networks
# and ports that exist in Neutron are read from there (so the VIP's network is the subnet's);
# what the noop amphora flows make up stays made up.
OCTAVIA_NETWORK_DRIVER = '''\
"""Octavia's noop network driver with real Neutron VIP ports."""
from octavia.common import clients, constants, data_models
from octavia.network import base
from octavia.network.drivers.neutron import utils
from octavia.network.drivers.noop_driver import driver as noop
from openstack import exceptions


def _neutron():
    return clients.NeutronAuth.get_neutron_client().network


def _fixed_ip(subnet_id, ip_address):
    wanted = {"subnet_id": subnet_id, "ip_address": ip_address}
    return {key: value for key, value in wanted.items() if value}


def _to_vips(port, lb):
    """The port's address on the VIP subnet first; any others are additional VIPs."""
    ips = sorted(port.fixed_ips, key=lambda ip: ip["subnet_id"] != lb.vip.subnet_id)
    common = {"load_balancer_id": lb.id, "network_id": port.network_id, "port_id": port.id}
    vip = data_models.Vip(
        ip_address=ips[0]["ip_address"], subnet_id=ips[0]["subnet_id"], load_balancer=lb,
        octavia_owned=port.device_owner == constants.OCTAVIA_OWNER, sg_ids=lb.vip.sg_ids,
        **common)
    extra = [data_models.AdditionalVip(ip_address=ip["ip_address"], subnet_id=ip["subnet_id"],
                                       **common) for ip in ips[1:]]
    return vip, extra


class LocalCloudNetworkDriver(noop.NoopNetworkDriver):
    def allocate_vip(self, loadbalancer):
        vip = loadbalancer.vip
        try:
            # the worker allocates again what the API allocated: keep that port
            port = _neutron().find_port(vip.port_id) if vip.port_id else None
            if port is None:
                port = self._create_vip_port(loadbalancer)
        except exceptions.ConflictException as error:
            raise base.VIPInUseException(str(error), orig_msg=error.details, orig_code=409)
        except exceptions.SDKException as error:
            raise base.AllocateVIPException(
                str(error), orig_msg=getattr(error, "details", None),
                orig_code=getattr(error, "status_code", None))
        return _to_vips(port, loadbalancer)

    def _create_vip_port(self, lb):
        vip = lb.vip
        # the subnet's network: the noop lookups in the API may have made up another one
        network_id = vip.network_id
        if vip.subnet_id:
            network_id = _neutron().get_subnet(vip.subnet_id).network_id
        fixed_ips = [_fixed_ip(vip.subnet_id, vip.ip_address)]
        fixed_ips += [_fixed_ip(extra.subnet_id, extra.ip_address) for extra in lb.additional_vips]
        port = {
            "name": f"octavia-lb-{lb.id}", "network_id": network_id, "admin_state_up": False,
            "device_id": f"lb-{lb.id}", "device_owner": constants.OCTAVIA_OWNER,
            "project_id": lb.project_id}
        if any(fixed_ips):  # none given: Neutron picks an address
            port["fixed_ips"] = [ip for ip in fixed_ips if ip]
        if vip.sg_ids:
            port["security_group_ids"] = vip.sg_ids
        return _neutron().create_port(**port)

    def deallocate_vip(self, vip):
        super().deallocate_vip(vip)
        port = _neutron().find_port(vip.port_id) if vip.port_id else None
        # a port the user brought stays, as with the real driver
        if port is not None and port.device_owner == constants.OCTAVIA_OWNER:
            _neutron().delete_port(port, ignore_missing=True)

    def get_subnet(self, subnet_id, context=None):
        found = _neutron().find_subnet(subnet_id) if subnet_id else None
        return utils.convert_subnet_to_model(found) if found else super().get_subnet(subnet_id)

    def get_network(self, network_id, context=None):
        found = _neutron().find_network(network_id) if network_id else None
        return utils.convert_network_to_model(found) if found else super().get_network(network_id)

    def get_port(self, port_id, context=None):
        found = _neutron().find_port(port_id) if port_id else None
        return utils.convert_port_to_model(found) if found else super().get_port(port_id)
'''

# Octavia loads its network driver by entry point name only; this makes ours one (the shim
# directory is on the Octavia processes' sys.path)
OCTAVIA_DIST_INFO = "localcloud_octavia-0.dist-info"
OCTAVIA_NETWORK_DRIVER_NAME = "localcloud_network_driver"
OCTAVIA_ENTRY_POINTS = f"""\
[octavia.network.drivers]
{OCTAVIA_NETWORK_DRIVER_NAME} = localcloud_octavia:LocalCloudNetworkDriver
"""
OCTAVIA_METADATA = "Metadata-Version: 2.1\nName: localcloud-octavia\nVersion: 0\n"

SHIM_MODULES = {
    "localcloud_wsgi.py": WSGI_LOADER,
    "localcloud_cinder.py": CINDER_DRIVER,
    "localcloud_neutron.py": NEUTRON_L3_PLUGIN,
    "localcloud_octavia.py": OCTAVIA_NETWORK_DRIVER,
    f"{OCTAVIA_DIST_INFO}/METADATA": OCTAVIA_METADATA,
    f"{OCTAVIA_DIST_INFO}/entry_points.txt": OCTAVIA_ENTRY_POINTS,
}
