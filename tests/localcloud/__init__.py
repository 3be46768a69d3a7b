"""The local cloud's own checks: its harness (no cloud needed) and each service against real
API calls, including the requests CAPO makes. scs-kaas's code against the cloud is tested in
tests/openstack/."""
