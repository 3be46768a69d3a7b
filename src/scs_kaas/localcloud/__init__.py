"""A local OpenStack cloud: the real upstream API servers on 127.0.0.1, without a hypervisor.

Keystone, Glance, Neutron, Nova + Placement (fake virt driver), Octavia (noop drivers) and Cinder
(fake backend) from the 2026.1 release series run from their own virtual environment, with a private
MariaDB and RabbitMQ. It backs `kaas devcloud` and the `localcloud` tests.
"""

from __future__ import annotations

from scs_kaas.localcloud.cloud import LocalCloud
from scs_kaas.localcloud.ports import Ports

__all__ = ["LocalCloud", "Ports"]
