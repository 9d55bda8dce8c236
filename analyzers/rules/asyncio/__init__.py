"""AGT5xx: async agent code (blocking calls, dangling tasks, event loops, unawaited coroutines)."""
