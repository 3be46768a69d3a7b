"""scs-kaas: Kubernetes as a Service on OpenStack through Cluster API."""

__version__ = "0.1.0"
