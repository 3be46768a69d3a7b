"""The pure parts of the openstack layer: needs and quotas, credential names (no cloud)."""
