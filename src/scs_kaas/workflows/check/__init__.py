"""`kaas check smoke|conformance`: what runs in a workload cluster to test it."""
