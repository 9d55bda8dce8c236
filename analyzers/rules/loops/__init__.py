"""AGT1xx: agent loops (iteration bounds, progress checks)."""
