"""`kaas mgmt ...`: the management host (create, delete, access, move) and its local state."""
