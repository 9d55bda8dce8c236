"""AGT6xx: resilience (retries, swallowed errors, leaked resources)."""
