"""Framework profiles checked against the real frameworks."""
