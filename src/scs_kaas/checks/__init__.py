"""What `kaas check` knows without touching anything: conformance modes, the results format,
the smoke check's steps and exit codes (pure: no I/O, no clock)."""
