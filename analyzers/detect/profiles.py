"""Known frameworks' tool registrations as data: adding a framework is adding a profile."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FrameworkProfile:
    """How one framework registers, names and describes a tool (RULES.md PROFILES)."""

    name: str  # `framework:<name>` in Registration.source
    label: str  # how messages name the framework
    # Qualified names of decorators that make a function a tool (`@tool`, `@tool(...)`).
    decorators: tuple[str, ...] = ()
    # Classes whose instances register tools with a decorator method (`mcp = FastMCP(...)`).
    instance_factories: tuple[str, ...] = ()
    instance_methods: tuple[str, ...] = ()  # the decorator methods: `@mcp.tool()`
    # Instance methods whose decorated function takes the run context first (`@agent.tool`).
    context_first_methods: tuple[str, ...] = ()
    # Base classes whose subclasses are tools, the attributes naming and describing them,
    # and the method whose signature gives the parameters.
    class_bases: tuple[str, ...] = ()
    class_methods: tuple[str, ...] = ()
    schema_attributes: tuple[str, ...] = ()  # a literal schema on the class (`inputs = {...}`)
    name_positional: bool = False  # `@tool("name")`
    name_keywords: tuple[str, ...] = ("name",)
    description_keywords: tuple[str, ...] = ("description",)
    schema_keywords: tuple[str, ...] = ()  # `@tool(args_schema={...})`
    # Annotation names of parameters the framework injects (never sent to the model).
    context_annotations: tuple[str, ...] = ()
    checks_name_pattern: bool = True  # names reach a provider that enforces the pattern
    requires_call: bool = False  # the decorator must be called: `@mcp.tool()`, not `@mcp.tool`
    # Tools are kept per instance (one FastMCP server, one pydantic-ai agent), by name.
    per_instance_registry: bool = False


PROFILES: tuple[FrameworkProfile, ...] = (
    FrameworkProfile(
        name="langchain",
        label="LangChain",
        decorators=(
            "langchain_core.tools.tool",
            "langchain_core.tools.convert.tool",
            "langchain.tools.tool",
            "langchain.agents.tool",
        ),
        class_bases=(
            "langchain_core.tools.BaseTool",
            "langchain_core.tools.base.BaseTool",
            "langchain.tools.BaseTool",
        ),
        class_methods=("_run", "_arun"),
        name_positional=True,
        schema_keywords=("args_schema",),
        context_annotations=(
            "RunnableConfig",
            "InjectedToolArg",
            "InjectedToolCallId",
            "InjectedState",
            "InjectedStore",
            "ToolRuntime",
            "CallbackManagerForToolRun",
            "AsyncCallbackManagerForToolRun",
        ),
    ),
    FrameworkProfile(
        name="openai-agents",
        label="OpenAI Agents SDK",
        decorators=("agents.function_tool", "agents.tool.function_tool"),
        name_keywords=("name_override",),
        description_keywords=("description_override",),
        context_annotations=("RunContextWrapper", "ToolContext"),
    ),
    FrameworkProfile(
        name="smolagents",
        label="smolagents",
        decorators=("smolagents.tool", "smolagents.tools.tool"),
        class_bases=("smolagents.Tool", "smolagents.tools.Tool"),
        class_methods=("forward",),
        schema_attributes=("inputs",),
        name_keywords=(),
        description_keywords=(),
    ),
    FrameworkProfile(
        name="crewai",
        label="CrewAI",
        decorators=("crewai.tools.tool", "crewai.tool", "crewai_tools.tool"),
        class_bases=("crewai.tools.BaseTool", "crewai.tools.base_tool.BaseTool"),
        class_methods=("_run",),
        name_positional=True,
        # CrewAI tool names are free text ("Search the internet"); it adapts them itself.
        checks_name_pattern=False,
    ),
    FrameworkProfile(
        name="mcp",
        label="MCP",
        instance_factories=(
            "mcp.server.fastmcp.FastMCP",
            "mcp.server.fastmcp.server.FastMCP",
            "mcp.server.MCPServer",
            "mcp.server.mcpserver.MCPServer",
            "mcp.server.mcpserver.server.MCPServer",
        ),
        instance_methods=("tool",),
        context_annotations=("Context",),
        requires_call=True,
        per_instance_registry=True,
    ),
    FrameworkProfile(
        name="fastmcp",
        label="FastMCP",
        instance_factories=("fastmcp.FastMCP", "fastmcp.server.FastMCP"),
        instance_methods=("tool",),
        context_annotations=("Context",),
        per_instance_registry=True,
    ),
    FrameworkProfile(
        name="pydantic-ai",
        label="pydantic-ai",
        instance_factories=("pydantic_ai.Agent", "pydantic_ai.agent.Agent"),
        instance_methods=("tool", "tool_plain"),
        context_first_methods=("tool",),
        context_annotations=("RunContext",),
        per_instance_registry=True,
    ),
)


def profile_for_decorator(qualified: str | None) -> FrameworkProfile | None:
    if qualified is None:
        return None
    return next((p for p in PROFILES if qualified in p.decorators), None)


def profile_for_factory(qualified: str | None) -> FrameworkProfile | None:
    if qualified is None:
        return None
    return next((p for p in PROFILES if qualified in p.instance_factories), None)


def profile_for_base(qualified: str) -> FrameworkProfile | None:
    return next((p for p in PROFILES if qualified in p.class_bases), None)
