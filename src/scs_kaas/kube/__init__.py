"""The only place that imports the Kubernetes client."""
