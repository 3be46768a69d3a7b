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

SHIM_MODULES = {"localcloud_wsgi.py": WSGI_LOADER, "localcloud_cinder.py": CINDER_DRIVER}
