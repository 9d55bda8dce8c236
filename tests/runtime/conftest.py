"""Shared fixtures for the runtime tests: import path and registry isolation."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The project is not necessarily installed; the tests import `runtime` from the checkout.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from agentsense.runtime.registry import isolated_registries  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_registries() -> Iterator[None]:
    """Each test registers tools and agent types without leaking them into the next test."""
    with isolated_registries():
        yield
