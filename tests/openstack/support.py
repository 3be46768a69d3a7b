"""What the localcloud tests share besides fixtures."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from openstack.connection import Connection

from scs_kaas.localcloud.tenants import AppCredential, Tenant

# every test module here: `pytestmark = LOCALCLOUD`
LOCALCLOUD = pytest.mark.localcloud


@dataclass(frozen=True)
class Project:
    """A fresh project with a member user: as that user, and through an app credential."""

    tenant: Tenant
    user: Connection
    app: Connection
    credential: AppCredential
    external_network_id: str
