"""Calls that execute a value as code, as a shell command line or as a pickle (shared by
AGT203 and AGT303), and which of their arguments they execute."""

from __future__ import annotations

import libcst as cst

# Run their first argument as Python code (qualified names).
CODE_SINKS = frozenset(
    {"eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile"}
)
# Run their first argument as a shell command line.
SHELL_SINKS = frozenset(
    {
        "os.system",
        "os.popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "asyncio.create_subprocess_shell",
    }
)
# `subprocess` calls: an argument vector, or a command line with `shell=True`.
SUBPROCESS_SINKS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
    }
)
# Everything that takes an argument vector (its first element names the program).
ARGV_SINKS = SUBPROCESS_SINKS | frozenset(
    {
        "asyncio.create_subprocess_exec",
        "os.execv",
        "os.execvp",
        "os.spawnv",
        "os.spawnvp",
    }
)
# Unpickling runs whatever code the bytes ask for.
DESERIALIZE_SINKS = frozenset(
    {"pickle.loads", "pickle.load", "dill.loads", "cloudpickle.loads", "marshal.loads"}
)
# Flags that make an interpreter run the next argument as a program (`bash -c`, `python -c`).
INLINE_CODE_FLAGS = frozenset({"-c", "-e", "--command", "--eval"})
# Keyword names under which these calls take the value they execute.
SOURCE_KEYWORDS = frozenset({"source", "args", "cmd", "command"})


def executed_argument(
    call: cst.Call, keywords: frozenset[str] = SOURCE_KEYWORDS
) -> cst.BaseExpression | None:
    """The argument a sink executes: the first positional one, or its keyword form; None
    for `f(*parts)` (which one is executed is unknown)."""
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            return arg.value
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    return None


def shell_true(call: cst.Call) -> bool:
    """`shell=True` (or a non-zero integer) among the call's keywords."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "shell":
            value = arg.value
            if isinstance(value, cst.Name):
                return value.value == "True"
            return isinstance(value, cst.Integer) and value.value not in ("0", "0x0")
    return False
