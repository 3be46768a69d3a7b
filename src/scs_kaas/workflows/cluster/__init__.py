"""`kaas cluster ...`: one module per command (create, delete, diff, list, scale, status, sweep,
upgrade, rotate_credentials, gc) and the pieces they share (target, names, objects, plan, ...)."""
