"""What the tests of several folders share: the real servers they run against and the helpers
to drive them.

Fixture modules, registered once by `pytest_plugins` in tests/conftest.py (never import a
fixture from them; their other names may be imported):
- management.py: the management cluster, the workload API servers, the move target, their
  clients and a namespace per test; fake_nodes.py the kwok nodes of `workload_with_nodes`.
- localcloud.py: the local OpenStack cloud and a fresh project per test (projects.py: the
  `localcloud` marker, `Project`, `kaas` as a process; purge.py empties a project).
- sshd.py: a real sshd standing in for the management host (`ssh_host`).
- mgmt_move_world.py: a prefix and namespaces per test on both management clusters for the
  `kaas mgmt move` tests (`world`), with the clusters and Secrets they move.

Helpers: cli.py (`kaas()` in process), admission.py (writes refused by an admission policy),
objects.py (a minimal Cluster), workload_cluster.py (a workload cluster on the plain API
server), leftover_matrix.py (leftovers of clusters planted in a project and the project's
resources to compare them with, also for bench/), http_server.py (a folder over HTTP), waits.py
(`eventually`), host_key_samples.py (real host keys as a host prints them), kind_kubeconfig.py
(kind's kubeconfig on the management host).

Test modules import nothing from one another: what two of them share is a helper module here,
or in their folder when only that folder uses it.
"""
