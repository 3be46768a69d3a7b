"""SSH without a cloud: the environment's key pair, host keys from a console log, known_hosts,
the target and command line of ssh."""
