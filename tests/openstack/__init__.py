"""Tests against real OpenStack API servers on 127.0.0.1 (the local cloud)."""
