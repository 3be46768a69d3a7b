"""`kaas image ensure`: the node image in Glance, and the local half (download, qemu-img)."""
