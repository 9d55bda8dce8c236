"""AGT2xx: tools and their registration (schemas, contracts, dispatch, what a tool executes)."""
