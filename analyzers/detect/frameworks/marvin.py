"""marvin (3.2.7, with pydantic-ai 1.x): plain functions given in `tools=[...]` to
`marvin.Agent`, `marvin.Task` (also `marvin.Task[T]`) and `marvin.run`.

What the model sees: marvin wraps each function with `functools.wraps` (its errors become
`ModelRetry`) and hands the wrappers to a `pydantic_ai.Agent(tools=[...])`, so a tool is
rendered as pydantic-ai renders `@agent.tool_plain`: the function's name, its docstring's
summary, pydantic-ai's schema (no titles, closed object, `Args:` as descriptions). A first
parameter annotated `RunContext[...]` is the run context, not the model's.
"""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile
from agentsense.analyzers.detect.frameworks.pydantic_ai import PROFILE as PYDANTIC_AI

PROFILE = FrameworkProfile(
    name="marvin",
    label="marvin",
    # marvin 3.2.7 imports pydantic-ai 1.x names (`pydantic_ai.usage.Usage`): it runs with
    # `pydantic-ai>=1.9,<2` (.ci/run's .venv-marvin).
    verified_with="marvin 3.2.7 (pydantic-ai 1.107.10)",
    tool_list_calls=(
        "marvin.Agent",
        "marvin.Task",
        "marvin.run",
        "marvin.run_async",
        "marvin.agents.Agent",
        "marvin.tasks.Task",
    ),
    context_annotations=PYDANTIC_AI.context_annotations,
    schema_style=PYDANTIC_AI.schema_style,
)
