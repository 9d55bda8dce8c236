"""Shared test helpers: configs that enable chosen rules, and fix application."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentsense.analyzers.config import Config, Settings
from agentsense.analyzers.engine import fix_source, lint
from agentsense.analyzers.model import Finding


def config_for(select: Sequence[str], options: dict[str, dict[str, Any]] | None = None) -> Config:
    settings = Settings.model_validate({"select": list(select), "rule-options": options or {}})
    return Config(Path.cwd(), None, settings)


def lint_with(
    source: str, select: Sequence[str], path: str = "example.py", **kw: Any
) -> list[Finding]:
    return lint(source, path, config_for(select, kw.get("options")))


def fix_all(source: str, select: Sequence[str], path: str = "example.py", **kw: Any) -> str:
    """Apply every fix (safe and unsafe) of the selected rules until none applies."""
    fixed, _, _ = fix_source(source, path, config_for(select, kw.get("options")), unsafe=True)
    return fixed
