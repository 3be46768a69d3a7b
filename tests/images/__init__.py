"""Node images: the pure plan, qemu-img, downloads (no cloud)."""
