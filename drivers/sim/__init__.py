"""Device simulators: the device side of each real protocol, on pseudo-terminals."""
