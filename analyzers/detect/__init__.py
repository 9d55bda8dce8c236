"""Detection helpers shared by rules: LLM calls, secrets, tool registrations."""
