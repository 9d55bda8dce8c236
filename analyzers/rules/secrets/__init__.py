"""AGT3xx: prompts and secrets (keys in source, secrets sent to a model, model output run as code)."""
