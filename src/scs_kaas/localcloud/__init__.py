"""A local OpenStack cloud: the real upstream API servers on 127.0.0.1, without a hypervisor.

Keystone, Glance, Neutron, Nova + Placement (fake virt driver), Octavia (noop drivers) and Cinder
(fake backend) from the 2026.1 release series run from their own virtual environment, with a private
MariaDB and RabbitMQ. It backs `kaas devcloud` and the `localcloud` tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scs_kaas.localcloud.cloud import LocalCloud
    from scs_kaas.localcloud.ports import Ports

__all__ = ["LocalCloud", "Ports"]


def __getattr__(name: str) -> object:
    """`LocalCloud` and `Ports` on first use: importing a light module of this package (as
    `kaas --help` does for the devcloud's defaults) must not import openstacksdk."""
    if name == "LocalCloud":
        from scs_kaas.localcloud.cloud import LocalCloud

        return LocalCloud
    if name == "Ports":
        from scs_kaas.localcloud.ports import Ports

        return Ports
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
