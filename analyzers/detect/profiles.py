"""Known frameworks' tool registrations as data: adding a framework is adding a profile.

The profiles themselves are one module per framework in `analyzers/detect/frameworks/`.
"""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks import PROFILES
from agentsense.analyzers.detect.frameworks.base import FrameworkProfile

__all__ = [
    "PROFILES",
    "FrameworkProfile",
    "profile_for_base",
    "profile_for_decorator",
    "profile_for_factory",
    "profile_for_factory_call",
    "profile_named",
]


def profile_for_decorator(qualified: str | None) -> FrameworkProfile | None:
    if qualified is None:
        return None
    return next((p for p in PROFILES if qualified in p.decorators), None)


def profile_for_factory(qualified: str | None) -> FrameworkProfile | None:
    if qualified is None:
        return None
    return next((p for p in PROFILES if qualified in p.instance_factories), None)


def profile_for_factory_call(qualified: str | None) -> FrameworkProfile | None:
    if qualified is None:
        return None
    return next((p for p in PROFILES if qualified in p.factory_calls), None)


def profile_named(name: str) -> FrameworkProfile | None:
    """The profile of a registration's source (`framework:<name>`)."""
    return next((p for p in PROFILES if f"framework:{p.name}" == name), None)


def profile_for_base(qualified: str) -> FrameworkProfile | None:
    return next((p for p in PROFILES if qualified in p.class_bases), None)
