"""What a file's path says about it: test files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePath


# Asked by some rules for every definition they visit, of one path per file.
@lru_cache(maxsize=64)
def is_test_path(path: str) -> bool:
    """A test file: under a `tests`/`test` directory, or named `test_*.py`/`conftest.py`."""
    parts = PurePath(path.replace("\\", "/")).parts
    name = parts[-1] if parts else ""
    return (
        any(p in ("tests", "test") for p in parts[:-1])
        or (name.startswith("test_") and name.endswith(".py"))
        or name == "conftest.py"
    )
