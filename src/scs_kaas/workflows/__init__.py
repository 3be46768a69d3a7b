"""Workflows composing the openstack, kube and render layers."""
