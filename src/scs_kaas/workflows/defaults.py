"""Defaults of the workflows that `kaas` shows in its help: timeouts (seconds), the ORC manifest
and a flag's name.

Kept apart, importing nothing heavy, so that printing them (`kaas --help`, `kaas cluster create
--help`) does not import the workflows and with them openstacksdk and the Kubernetes client.
"""

from __future__ import annotations

from scs_kaas import versions

CLUSTER_CREATE_TIMEOUT = 1800.0  # until the Cluster is Available, in all
CLUSTER_DELETE_TIMEOUT = 1800.0
CLUSTER_SCALE_TIMEOUT = 600.0  # per node group
CLUSTER_SWEEP_TIMEOUT = 900.0
CLUSTER_UPGRADE_TIMEOUT = 3600.0  # for each rollout
IMAGE_TIMEOUT = 1800.0  # for `active` in Glance; R1 waited 30 min
RESTART_TIMEOUT = 300.0  # for the new cloud.conf to arrive and the restarts to roll out
# The host keys come after cloud-init's package upgrade, and Nova's console log lags behind.
HOST_KEYS_TIMEOUT = 900.0
TRUST_ON_FIRST_USE = "--trust-on-first-use"
ORC_MANIFEST_URL = (
    "https://github.com/k-orc/openstack-resource-controller/releases/download/"
    f"{versions.ORC}/install.yaml"
)
