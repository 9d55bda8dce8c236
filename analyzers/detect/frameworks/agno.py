"""agno (3.1.10): `@tool` functions, plain functions in `Agent(tools=[...])`, and `Toolkit`
subclasses, whose tools are the methods their `__init__` lists (`tools=[self.search]`,
`tools.append(self.search)`)."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import FrameworkProfile


def toolkit_methods(node: cst.ClassDef) -> list[cst.FunctionDef]:
    """The methods a Toolkit subclass's `__init__` puts in its tools list, in class order."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return []
    methods = {s.name.value: s for s in body.body if isinstance(s, cst.FunctionDef)}
    init = methods.get("__init__")
    if init is None:
        return []
    listed: set[str] = set()
    stack: list[cst.CSTNode] = [init.body]
    while stack:
        current = stack.pop()
        elements: list[cst.BaseExpression] = []
        if isinstance(current, (cst.List, cst.Tuple)):
            elements = [element.value for element in current.elements]
        elif (
            isinstance(current, cst.Call)
            and isinstance(current.func, cst.Attribute)
            and current.func.attr.value == "append"
            and current.args
        ):
            elements = [current.args[0].value]
        for element in elements:
            if (
                isinstance(element, cst.Attribute)
                and isinstance(element.value, cst.Name)
                and element.value.value == "self"
            ):
                listed.add(element.attr.value)
        if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and current is not init:
            continue
        stack.extend(current.children)
    return [method for name, method in methods.items() if name in listed and name != "__init__"]


PROFILE = FrameworkProfile(
    name="agno",
    label="agno",
    verified_with="agno 3.1.10",
    decorators=("agno.tools.tool", "agno.tools.decorator.tool"),
    tool_list_calls=("agno.agent.Agent", "agno.agent.agent.Agent", "agno.team.Team"),
    toolkit_bases=("agno.tools.Toolkit", "agno.tools.toolkit.Toolkit"),
    # agno/utils/schema.py FRAMEWORK_INJECTED_PARAMS and AGNO_INJECTED_PARAMS.
    injected_names=(
        "agent",
        "team",
        "run_context",
        "images",
        "videos",
        "audios",
        "files",
        "_agno_agent",
        "_agno_team",
        "_agno_run_context",
    ),
)
