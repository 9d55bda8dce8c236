"""AGT201: a tool parameter without a type annotation, so its schema cannot say what to pass."""

from __future__ import annotations

from agentsense.analyzers.detect.registrations import Registration
from agentsense.analyzers.rule import Clean, Flagged
from agentsense.analyzers.rules.tools._registration_rule import RegistrationRule

# Names of parameters a framework fills in itself (the run context), never the model.
CONTEXT_PARAMETER_NAMES = frozenset({"ctx", "context", "run_context", "tool_context"})


class UntypedToolParameter(RegistrationRule):
    code = "AGT201"
    name = "untyped-tool-parameter"
    summary = "A tool parameter has no type annotation, so its schema has no type for it."
    rationale = (
        "A tool's JSON schema is generated from its signature. An unannotated parameter "
        "becomes a property with no type: the model is not told what to send, and nothing "
        "validates what it does send, so a string arrives where the code expects a number "
        "and the tool fails (or misbehaves) at call time instead of the call being refused. "
        "`self`/`cls`, `*args`/`**kwargs` (never sent by a model) and run-context parameters "
        "(`ctx`, `context`, `run_context`, `tool_context`, or annotated with a framework's "
        "context type) are not flagged, nor are tools whose schema is given explicitly "
        "(`inputs = {...}`, `args_schema=`): that schema states the types."
    )
    flagged = (
        Flagged(
            '''
            from agentsense.runtime.registry import tool

            @tool
            def search(query, limit: int = 5) -> list[str]:
                """Search the web."""
                return []
            ''',
            line=4,
            column=12,
            message="`query`",
        ),
        Flagged(
            """
            from agentsense.runtime.registry import BaseTool

            class Fetch(BaseTool):
                name = "fetch"
                description = "Fetch a URL."

                def execute(self, url, timeout: float = 10.0) -> str:
                    return url
            """,
            line=7,
            message="`url`",
        ),
        Flagged(
            '''
            from langchain_core.tools import tool

            @tool
            def lookup(ticker, exchange="NYSE") -> str:
                """Look up a stock price."""
                return ticker
            ''',
            line=4,
            count=2,
            message="LangChain",
        ),
        Flagged(
            '''
            TOOLS = {}

            def register_tool(fn):
                TOOLS[fn.__name__] = fn
                return fn

            @register_tool
            async def send_email(to, subject: str) -> None:
                """Send an email."""
            ''',
            line=8,
            message="`to`",
        ),
    )
    clean = (
        Clean(
            '''
            from agentsense.runtime.registry import tool

            @tool
            def search(query: str, limit: int = 5, *args, **kwargs) -> list[str]:
                """Search the web."""
                return []
            '''
        ),
        Clean(
            # The run context is filled in by the framework, never by the model.
            '''
            from pydantic_ai import Agent

            agent = Agent("openai:gpt-4o")

            @agent.tool
            def weather(ctx, city: str) -> str:
                """Current weather in a city."""
                return city
            '''
        ),
        Clean(
            # Not a registration: an ordinary helper.
            "def helper(x, y):\n    return x + y\n"
        ),
        Clean(
            # A registry of event handlers, not of tools: no schema is generated from it.
            """
            HANDLERS = {}

            def on(fn):
                HANDLERS[fn.__name__] = fn
                return fn

            @on
            def shutdown(signal):
                return signal
            """
        ),
    )

    def check(self, reg: Registration) -> None:
        if not reg.tool_contract or reg.parameters is None or reg.has_schema:
            return  # an explicit schema (`inputs`, `args_schema=`) states the types itself
        for param in reg.parameters:
            if param.annotation is not None or param.name in CONTEXT_PARAMETER_NAMES:
                continue
            self.report(
                param.node.name,
                reg.message(
                    f"parameter `{param.name}` of tool {reg.display_name!r} has no type "
                    "annotation: its schema has no type, so the model's arguments cannot "
                    "be validated"
                ),
            )
