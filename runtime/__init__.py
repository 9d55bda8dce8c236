"""agentsense's bundled reference agent runtime: the contract, registries and a correct agent loop."""
