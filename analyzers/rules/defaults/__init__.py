"""AGT4xx: Python pitfalls that bite agent code (mutable defaults, class machinery)."""
