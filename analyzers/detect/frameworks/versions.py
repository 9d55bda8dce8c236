"""Which major version of a framework a project declares (mcp 1 or 2), read from its files.

The nearest folder above a file holding a `pyproject.toml`, `requirements*.txt`, `uv.lock` or
`poetry.lock` is the project; a lock file's pinned version wins over a declared range. Nothing
declared (or a range spanning majors) gives None: then only what fails in every supported
version is reported.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

_PROJECT_FILES = ("pyproject.toml", "uv.lock", "poetry.lock")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;#]*)")
_CLAUSE = re.compile(r"(===|==|~=|>=|<=|!=|>|<)\s*([0-9][0-9A-Za-z.*+!-]*)")


@dataclass(frozen=True, slots=True)
class Declared:
    """A framework's major version and the file that says so."""

    major: int
    source: str  # `uv.lock`, `pyproject.toml (mcp>=2)`


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def major_of_specifier(specifier: str, supported: tuple[int, ...] = (1, 2)) -> int | None:
    """The one supported major version a PEP 440 specifier allows (`>=2`, `~=2.1`,
    `>=1.2,<2`, `<2`), else None."""
    clauses = _CLAUSE.findall(specifier)
    if not clauses:
        return None
    low: int | None = None
    high: int | None = None  # the first major excluded
    for operator, version in clauses:
        major_text = version.split(".")[0]
        if not major_text.isdigit():
            return None
        major = int(major_text)
        exact_zero = all(part in ("0", "*") for part in version.split(".")[1:])
        if operator in ("==", "===", "~="):
            return major  # ~=2.1 is >=2.1,==2.*; ==2.* and ==2.3.0 are 2
        if operator in (">=", ">"):
            low = major if low is None else max(low, major)
        elif operator == "<":
            bound = major if exact_zero else major + 1
            high = bound if high is None else min(high, bound)
        elif operator == "<=":
            high = major + 1 if high is None else min(high, major + 1)
    allowed = [m for m in supported if (low is None or m >= low) and (high is None or m < high)]
    return allowed[0] if len(allowed) == 1 else None


def _lock_version(path: Path, name: str) -> str | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    for package in data.get("package", []):
        if isinstance(package, dict) and _normal(str(package.get("name", ""))) == name:
            version = package.get("version")
            return version if isinstance(version, str) else None
    return None


def _pyproject_specifiers(path: Path, name: str) -> list[str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    out: list[str] = []
    project = data.get("project", {})
    dependencies = project.get("dependencies", []) if isinstance(project, dict) else []
    for requirement in dependencies if isinstance(dependencies, list) else []:
        match = _REQUIREMENT.match(str(requirement))
        if match and _normal(match.group(1)) == name:
            out.append(match.group(2).strip())
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    poetry_deps = poetry.get("dependencies", {}) if isinstance(poetry, dict) else {}
    for key, value in poetry_deps.items() if isinstance(poetry_deps, dict) else ():
        if _normal(key) != name:
            continue
        text = value if isinstance(value, str) else value.get("version", "")
        out.append(_poetry_specifier(str(text)))
    return out


def _poetry_specifier(text: str) -> str:
    """Poetry's caret (`^2.1` is `>=2.1,<3`) in PEP 440; other forms are PEP 440 already."""
    text = text.strip()
    if text.startswith("^"):
        major = text[1:].split(".")[0]
        if major.isdigit() and int(major) > 0:
            return f">={text[1:]},<{int(major) + 1}"
    return text


def _requirements_specifiers(path: Path, name: str) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    out: list[str] = []
    for line in lines:
        match = _REQUIREMENT.match(line)
        if match and _normal(match.group(1)) == name:
            out.append(match.group(2).strip())
    return out


def _project_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        if any(n in names for n in _PROJECT_FILES) or any(
            n.startswith("requirements") and n.endswith(".txt") for n in names
        ):
            return folder
    return None


def declared_major(path: str, package: str) -> Declared | None:
    """The major version of `package` the project of the file at `path` declares."""
    if not path or path == "-":
        return None
    root = _project_root(Path(os.path.abspath(path)).parent)
    if root is None:
        return None
    name = _normal(package)
    for lock in ("uv.lock", "poetry.lock"):
        version = _lock_version(root / lock, name) if (root / lock).is_file() else None
        if version is not None and version.split(".")[0].isdigit():
            return Declared(int(version.split(".")[0]), f"{lock} pins {package} {version}")
    found: list[tuple[str, str]] = []
    if (root / "pyproject.toml").is_file():
        found += [
            ("pyproject.toml", s) for s in _pyproject_specifiers(root / "pyproject.toml", name)
        ]
    for entry in sorted(root.glob("requirements*.txt")):
        found += [(entry.name, s) for s in _requirements_specifiers(entry, name)]
    majors = {(major_of_specifier(spec), where, spec) for where, spec in found}
    known = {m for m, _, _ in majors if m is not None}
    if len(known) != 1 or any(m is None for m, _, _ in majors):
        return None
    major, where, spec = next(iter(sorted(majors, key=lambda item: item[1])))
    assert major is not None
    return Declared(major, f"{where} declares {package}{spec}")
