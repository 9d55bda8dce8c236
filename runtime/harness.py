"""Runs one tool from a user's module and reports the outcome as one JSON object (editor "Run tool").

Usage: python -m agentsense.runtime.harness MODULE_PATH TOOL_NAME [--args JSON | --args-file PATH]

Prints exactly one JSON object on stdout and exits 0 when the tool returned, 1 otherwise:
  {"ok": true, "value": ..., "stdout": "...", "duration_ms": ...}
  {"ok": false, "error": {"kind": "validation"|"not_found"|"import"|"exception", "message": ...,
   "details": [...]}, "stdout": "...", "duration_ms": ...}

`python -m` puts the working directory first on sys.path, so started from a directory holding
its own agentsense.py it would import that file instead of this package. Start it with
harness_command() (or `python -P -m agentsense.runtime.harness` on Python >= 3.11), which keeps the
working directory off sys.path until this package is imported.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import importlib.util
import inspect
import io
import json
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, NoReturn, TypeGuard

from pydantic import BaseModel

from agentsense.runtime.contract import (
    ContractError,
    ToolCallError,
    ToolSpec,
    build_spec,
    doc_summary,
    parameters_from_function,
    validate_call,
)
from agentsense.runtime.registry import FUNCTION_TOOLS, TOOL_REGISTRY, isolated_registries

__all__ = ["HarnessError", "HarnessResult", "harness_command", "main", "run_tool"]

ErrorKind = Literal["validation", "not_found", "import", "exception"]

_TRACEBACK_FRAMES = 8  # the last frames are the useful ones; the editor shows a short trace


class HarnessError(BaseModel):
    """Why the tool did not return a value."""

    kind: ErrorKind
    message: str
    details: list[Any] = []


class HarnessResult(BaseModel):
    """The outcome of one run; `duration_ms` is the wall time of import, lookup and call."""

    ok: bool
    value: Any = None
    error: HarnessError | None = None
    stdout: str = ""
    duration_ms: float = 0.0

    def to_output(self) -> dict[str, Any]:
        """The JSON object the CLI prints: `value` when ok, `error` otherwise."""
        output: dict[str, Any] = {"ok": self.ok}
        if self.ok:
            output["value"] = self.value
        else:
            output["error"] = self.error.model_dump() if self.error else None
        output["stdout"] = self.stdout
        output["duration_ms"] = self.duration_ms
        return output


@dataclass(frozen=True, slots=True)
class _Target:
    """A found tool: its spec (None when the callable has no inspectable signature)."""

    spec: ToolSpec | None
    call: Callable[..., Any]


def _doc_summary(obj: object) -> str:
    return doc_summary(inspect.getdoc(obj) or "")


def _lenient_spec(fn: Callable[..., Any], name: str, description: str) -> ToolSpec | None:
    """A spec for a function that was never registered with the contract.

    Running a tool must not depend on its registration being perfect (the linter reports that),
    so an invalid name or description is tolerated here; the arguments are still validated.
    """
    try:
        parameters = parameters_from_function(fn)
    except (TypeError, ValueError):
        return None  # no signature (some builtins): nothing to validate against
    description = description or f"{name} (no description)"
    is_async = inspect.iscoroutinefunction(fn)
    try:
        return build_spec(name, description, parameters, is_async)
    except ContractError:
        return ToolSpec.model_construct(
            name=name, description=description, parameters=parameters, is_async=is_async
        )


def _class_target(cls: type, name: str) -> _Target:
    execute = cls.execute  # type: ignore[attr-defined]
    spec = getattr(cls, "__tool_spec__", None)
    if not isinstance(spec, ToolSpec):
        spec = _lenient_spec(execute, name, str(getattr(cls, "description", "") or ""))

    def call(**arguments: Any) -> Any:
        return cls().execute(**arguments)

    return _Target(spec, call)


def _function_target(fn: Callable[..., Any], name: str) -> _Target:
    spec = getattr(fn, "__tool_spec__", None)
    # Other frameworks' decorators may return a tool object that keeps the function in `.func`;
    # that function has the signature the model's arguments must match.
    inner = getattr(fn, "func", None)
    if not inspect.isroutine(fn) and inspect.isroutine(inner):
        fn = inner
    if not isinstance(spec, ToolSpec):
        spec = _lenient_spec(fn, name, _doc_summary(fn))
    return _Target(spec, fn)


def _instance_target(obj: object, name: str) -> _Target:
    execute = getattr(obj, "execute")  # noqa: B009
    spec = _lenient_spec(execute, name, str(getattr(obj, "description", "") or ""))
    return _Target(spec, execute)


def _is_tool_instance(obj: object) -> bool:
    return not isinstance(obj, type) and inspect.ismethod(getattr(obj, "execute", None))


def _is_tool_class(obj: object) -> TypeGuard[type]:
    return isinstance(obj, type) and callable(getattr(obj, "execute", None))


def _is_function(obj: object) -> TypeGuard[Callable[..., Any]]:
    return callable(obj) and not isinstance(obj, type)


def _find_target(module: ModuleType, tool_name: str) -> _Target | None:
    """The registration called tool_name: reference registries first, then the module itself."""
    if tool_name in FUNCTION_TOOLS:
        entry = FUNCTION_TOOLS[tool_name]
        return _Target(entry.spec, entry.fn)
    if tool_name in TOOL_REGISTRY:
        return _class_target(TOOL_REGISTRY[tool_name], tool_name)
    namespace = vars(module)
    # A declared tool name (decorator metadata, a class's `name`) beats a Python name.
    for obj in namespace.values():
        spec = getattr(obj, "__tool_spec__", None)
        if _is_function(obj) and isinstance(spec, ToolSpec) and spec.name == tool_name:
            return _function_target(obj, tool_name)
        if _is_tool_class(obj) and getattr(obj, "name", None) == tool_name:
            return _class_target(obj, tool_name)
        if getattr(obj, "name", None) == tool_name and not isinstance(obj, type):
            if _is_tool_instance(obj):
                return _instance_target(obj, tool_name)
            if _is_function(obj):
                return _function_target(obj, tool_name)
    obj = namespace.get(tool_name)
    if _is_function(obj):
        return _function_target(obj, tool_name)
    if _is_tool_class(obj):
        return _class_target(obj, tool_name)
    for obj in namespace.values():
        if _is_function(obj) and getattr(obj, "__name__", None) == tool_name:
            return _function_target(obj, tool_name)
        # A user's own registry dict (`TOOLS = {"search": search}`) names its entries.
        if isinstance(obj, Mapping) and tool_name in obj:
            entry = obj[tool_name]
            if _is_tool_class(entry):
                return _class_target(entry, tool_name)
            if _is_function(entry):
                return _function_target(entry, tool_name)
    return None


def _available(module: ModuleType) -> list[str]:
    names = {*FUNCTION_TOOLS, *TOOL_REGISTRY}
    for attribute, obj in vars(module).items():
        if attribute.startswith("_"):
            continue
        if inspect.isfunction(obj) and getattr(obj, "__module__", None) == module.__name__:
            names.add(attribute)
        elif _is_tool_class(obj):
            declared = getattr(obj, "name", None)
            if isinstance(declared, str):
                names.add(declared)
    return sorted(names)


def _module_name_parts(path: Path) -> tuple[Path, list[str]]:
    """The sys.path root and dotted name of a file, walking up through packages."""
    directory = path.parent
    parts: list[str] = [] if path.name == "__init__.py" else [path.stem]
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    return directory, parts


def _import_user_module(path: Path) -> tuple[ModuleType, list[str]]:
    """Import the file (as part of its package when it is in one); returns the names it added."""
    root, parts = _module_name_parts(path)
    if parts and all(part.isidentifier() for part in parts) and parts[0] not in sys.modules:
        sys.path.insert(0, str(root))
        dotted = ".".join(parts)
        module = importlib.import_module(dotted)
        return module, [".".join(parts[: index + 1]) for index in range(len(parts))]
    # The name is taken (a user file called runtime.py, json.py, ...): import the file under a
    # private name so it neither replaces nor is replaced by the module already loaded.
    private = f"_agentsense_user_{''.join(c if c.isalnum() else '_' for c in path.stem)}"
    spec = importlib.util.spec_from_file_location(private, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[private] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(private, None)
        raise
    return module, [private]


def _short_traceback(error: BaseException) -> str:
    """The user's part of the traceback: the harness's and importlib's frames are noise."""
    here = os.path.abspath(__file__)
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if os.path.abspath(frame.filename) != here and not frame.filename.startswith("<frozen")
    ][-_TRACEBACK_FRAMES:]
    return (
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_list(frames))
        + "".join(traceback.format_exception_only(type(error), error))
    )


def _error_details(error: BaseException) -> list[Any]:
    return [
        {"type": type(error).__name__, "message": str(error), "traceback": _short_traceback(error)}
    ]


def _json_value(value: Any) -> Any:
    """value if it is JSON as it stands, a JSON form of models and dataclasses, else repr."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        candidate: Any = dataclasses.asdict(value)
    else:
        candidate = value
    try:
        json.dumps(candidate, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)
    return candidate


def _run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Await a tool's coroutine, also when the caller is already inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: dict[str, Any] = {}

    def worker() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


async def _await(awaitable: Any) -> Any:
    return await awaitable


def run_tool(
    module_path: str | os.PathLike[str], tool_name: str, arguments: object
) -> HarnessResult:
    """Import the module, find tool_name, validate arguments, call it; never raises for the
    user's errors. Registrations, sys.path and the imported module are restored afterwards."""
    started = time.perf_counter()
    captured = io.StringIO()

    def finish(value: Any = None, error: HarnessError | None = None) -> HarnessResult:
        return HarnessResult(
            ok=error is None,
            value=value if error is None else None,
            error=error,
            stdout=captured.getvalue(),
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )

    path = Path(os.fspath(module_path)).expanduser().resolve()
    if not path.is_file():
        return finish(error=HarnessError(kind="import", message=f"no such file: {path}"))
    saved_path = list(sys.path)
    added_modules: list[str] = []
    with isolated_registries(), redirect_stdout(captured):
        try:
            # The user's directory and the working directory come first, as when running the
            # user's script; this package is already imported, so it cannot be shadowed.
            for entry in (str(Path.cwd()), str(path.parent)):
                sys.path.insert(0, entry)
            try:
                module, added_modules = _import_user_module(path)
            except (Exception, SystemExit) as error:
                return finish(
                    error=HarnessError(
                        kind="import",
                        message=f"importing {path.name} failed: {type(error).__name__}: {error}",
                        details=_error_details(error),
                    )
                )
            target = _find_target(module, tool_name)
            if target is None:
                available = _available(module)
                return finish(
                    error=HarnessError(
                        kind="not_found",
                        message=f"no tool named {tool_name!r} in {path.name}"
                        + (f" (available: {', '.join(available)})" if available else ""),
                        details=available,
                    )
                )
            if target.spec is not None:
                try:
                    arguments = validate_call(target.spec, arguments)  # type: ignore[arg-type]
                except ToolCallError as error:
                    return finish(
                        error=HarnessError(
                            kind="validation",
                            message=str(error),
                            details=[problem.to_dict() for problem in error.errors],
                        )
                    )
            elif not isinstance(arguments, Mapping):
                return finish(
                    error=HarnessError(kind="validation", message="arguments must be a JSON object")
                )
            try:
                value = target.call(**arguments)
                if inspect.iscoroutine(value):
                    value = _run_coroutine(value)
                elif inspect.isawaitable(value):
                    value = _run_coroutine(_await(value))
            except (Exception, SystemExit) as error:
                return finish(
                    error=HarnessError(
                        kind="exception",
                        message=f"{type(error).__name__}: {error}",
                        details=_error_details(error),
                    )
                )
            return finish(value=_json_value(value))
        finally:
            sys.path[:] = saved_path
            for name in added_modules:
                sys.modules.pop(name, None)


def harness_command(
    module_path: str | os.PathLike[str],
    tool_name: str,
    arguments: Mapping[str, Any],
    python: str | None = None,
) -> list[str]:
    """The argv that runs the harness in a child process, safe from a user's `agentsense.py` in
    the working directory: the folder holding the `agentsense` package (not resolved through
    an editable install's symlinks) replaces the working directory on sys.path."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    bootstrap = (
        f"import sys; sys.path[0] = {root!r}; import runpy; "
        "runpy.run_module('agentsense.runtime.harness', run_name='__main__', alter_sys=True)"
    )
    return [
        python or sys.executable,
        "-c",
        bootstrap,
        os.fspath(module_path),
        tool_name,
        "--args",
        json.dumps(arguments),
    ]


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    # A bad command line is still answered with one JSON object, not argparse's usage text.
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parse_arguments(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _UsageError(f"{source} is not valid JSON: {error}") from None


def _emit(result: HarnessResult, out: io.TextIOBase | Any) -> None:
    out.write(json.dumps(result.to_output(), default=repr) + "\n")
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """The CLI: print one JSON object, return the exit code."""
    # Whatever writes to the real stdout during the run (C code, child processes) goes to
    # stderr instead; the JSON is written to a private duplicate of the original stdout.
    sys.stdout.flush()
    try:
        out: Any = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        out = sys.stdout  # no real file descriptors (embedded, tests): Python-level only
    started = time.perf_counter()
    parser = _Parser(prog="python -m agentsense.runtime.harness", description=__doc__)
    parser.add_argument("module_path")
    parser.add_argument("tool_name")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--args", dest="args_json", default=None)
    group.add_argument("--args-file", dest="args_file", default=None)
    try:
        options = parser.parse_args(argv)
        if options.args_file is not None:
            try:
                text = Path(options.args_file).read_text(encoding="utf-8")
            except OSError as error:
                raise _UsageError(f"cannot read --args-file: {error}") from None
            arguments = _parse_arguments(text, "--args-file")
        else:
            arguments = _parse_arguments(options.args_json or "{}", "--args")
    except _UsageError as error:
        result = HarnessResult(
            ok=False,
            error=HarnessError(kind="validation", message=str(error)),
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )
    else:
        result = run_tool(options.module_path, options.tool_name, arguments)
    if not math.isfinite(result.duration_ms):
        result = result.model_copy(update={"duration_ms": 0.0})
    _emit(result, out)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
