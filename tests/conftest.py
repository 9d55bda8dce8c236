"""Suite-wide pytest setup: the `fast` marker for the inner loop of rule and engine work."""

from __future__ import annotations

from pathlib import Path

import pytest

# The rule examples, the rules' own tests and the engine: seconds, not minutes, and no server,
# editor or child-process environment. `pytest -m fast` runs just these.
FAST = (
    "test_rule_examples.py",
    "test_engine.py",
    "test_index.py",
    "test_config.py",
    "rules/",
    "test_architecture.py",
)
_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(str(item.path)).relative_to(_TESTS).as_posix()
        if relative.startswith(FAST):
            item.add_marker(pytest.mark.fast)
