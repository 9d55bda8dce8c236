"""AGT214: a tool name that model providers reject (not `^[a-zA-Z0-9_-]{1,64}$`)."""

from __future__ import annotations

import re

import libcst as cst

from agentsense.analyzers.detect.registrations import Registration
from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace
from agentsense.analyzers.rules.tools._registration_rule import RegistrationRule
from agentsense.runtime.contract import ContractProblem

_INVALID = re.compile(r"[^a-zA-Z0-9_-]")
MAX_NAME_LENGTH = 64  # the `{1,64}` of agentsense.runtime.contract.TOOL_NAME_PATTERN


def sanitized(name: str) -> str:
    """The name with each invalid character replaced by `_`, cut to 64 characters."""
    return _INVALID.sub("_", name)[:MAX_NAME_LENGTH]


class InvalidToolName(RegistrationRule):
    code = "AGT214"
    name = "invalid-tool-name"
    summary = "A tool name that providers reject: it must match `^[a-zA-Z0-9_-]{1,64}$`."
    rationale = (
        "OpenAI, Anthropic and other providers refuse a request whose tool names contain "
        "spaces, dots or other characters, or exceed 64 characters: every request of the "
        "agent fails, not just calls to that tool. The reference runtime refuses such a "
        "registration at import with the same message. CrewAI's free-text names are not "
        "checked (the framework adapts them)."
    )
    fix_description = (
        "Safe: in the name's string literal, replace each invalid character with `_` and cut "
        "the name to 64 characters."
    )
    flagged = (
        Flagged(
            '''
            from agentsense.runtime.registry import tool

            @tool(name="web search")
            def search(query: str) -> list[str]:
                """Search the web."""
                return []
            ''',
            line=3,
            column=12,
            message="tool name 'web search' must match ^[a-zA-Z0-9_-]{1,64}$",
            fixed='''
            from agentsense.runtime.registry import tool

            @tool(name="web_search")
            def search(query: str) -> list[str]:
                """Search the web."""
                return []
            ''',
        ),
        Flagged(
            """
            from agentsense.runtime.registry import BaseTool

            class Weather(BaseTool):
                name = 'weather.current'
                description = "Current weather for a city."

                def execute(self, city: str) -> str:
                    return city
            """,
            line=4,
            message="'weather.current'",
            fixed="""
            from agentsense.runtime.registry import BaseTool

            class Weather(BaseTool):
                name = 'weather_current'
                description = "Current weather for a city."

                def execute(self, city: str) -> str:
                    return city
            """,
        ),
        Flagged(
            '''
            from langchain_core.tools import tool

            @tool("look up/price")
            def lookup(ticker: str) -> float:
                """Look up a stock price."""
                return 0.0
            ''',
            line=3,
            message="LangChain: tool name 'look up/price'",
            fixed='''
            from langchain_core.tools import tool

            @tool("look_up_price")
            def lookup(ticker: str) -> float:
                """Look up a stock price."""
                return 0.0
            ''',
        ),
        Flagged(
            '''
            from agentsense.runtime.registry import tool

            @tool(name="search_the_web_for_recent_news_articles_about_a_company_and_summarise")
            def search(query: str) -> list[str]:
                """Search the web."""
                return []
            ''',
            line=3,
            fixed='''
            from agentsense.runtime.registry import tool

            @tool(name="search_the_web_for_recent_news_articles_about_a_company_and_summ")
            def search(query: str) -> list[str]:
                """Search the web."""
                return []
            ''',
        ),
        Flagged(
            # A metaclass registry: the name comes from the class body.
            """
            TOOLS = {}


            class ToolMeta(type):
                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if name != "BaseTool" and not namespace.get("__abstract__", False):
                        TOOLS[namespace.get("name", name.lower())] = cls
                    return cls


            class BaseTool(metaclass=ToolMeta):
                pass


            class Shell(BaseTool):
                name = "run shell"
                description = "Run a shell command."
            """,
            line=17,
            column=12,
            message="'run shell' must match",
            fixed="""
            TOOLS = {}


            class ToolMeta(type):
                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if name != "BaseTool" and not namespace.get("__abstract__", False):
                        TOOLS[namespace.get("name", name.lower())] = cls
                    return cls


            class BaseTool(metaclass=ToolMeta):
                pass


            class Shell(BaseTool):
                name = "run_shell"
                description = "Run a shell command."
            """,
        ),
        Flagged(
            # A name taken from an enum member's value.
            '''
            from enum import Enum

            from mcp.server.fastmcp import FastMCP


            class GitTools(str, Enum):
                STATUS = "git status"


            server = FastMCP("git")


            @server.tool(name=GitTools.STATUS.value)
            def status(repo_path: str) -> str:
                """Show the working tree status."""
                return repo_path
            ''',
            line=13,
            column=19,
            message="'git status' must match",
        ),
    )
    clean = (
        Clean(
            '''
            from agentsense.runtime.registry import tool

            @tool(name="web-search_2")
            def search(query: str) -> list[str]:
                """Search the web."""
                return []
            '''
        ),
        Clean(
            # CrewAI names are free text by design.
            '''
            from crewai.tools import tool

            @tool("Search the internet")
            def search(query: str) -> str:
                """Search the internet for a query."""
                return query
            '''
        ),
        Clean(
            # An agent type is not sent to a provider.
            """
            from agentsense.runtime.registry import Agent

            class Researcher(Agent, agent_type="deep research"):
                pass
            """
        ),
        Clean(
            # An empty name field that each instance (or a validator) fills.
            """
            from langchain_core.tools import BaseTool

            class GitLabAction(BaseTool):
                \"\"\"Tool for interacting with the GitLab API.\"\"\"

                mode: str
                name: str = ""
                description: str = ""

                def _run(self, instructions: str) -> str:
                    return instructions
            """
        ),
        Clean(
            # A string that is not a registration's name.
            'LABEL = "web search"\n'
        ),
        Clean(
            # The metaclass registry with a valid name.
            """
            TOOLS = {}


            class ToolMeta(type):
                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    if name != "BaseTool" and not namespace.get("__abstract__", False):
                        TOOLS[namespace.get("name", name.lower())] = cls
                    return cls


            class BaseTool(metaclass=ToolMeta):
                pass


            class Shell(BaseTool):
                name = "run_shell"
                description = "Run a shell command."
            """
        ),
        Clean(
            # An enum member's value as the name (the official MCP git server's idiom).
            '''
            from enum import Enum

            from mcp.server.fastmcp import FastMCP


            class GitTools(str, Enum):
                STATUS = "git_status"


            server = FastMCP("git")


            @server.tool(name=GitTools.STATUS.value)
            def status(repo_path: str) -> str:
                """Show the working tree status."""
                return repo_path
            '''
        ),
    )

    @classmethod
    def claims(cls, reg: Registration, problem: ContractProblem) -> bool:
        """A name the contract refuses, when it is a string (other values are AGT211's)."""
        return problem.field == "name" and isinstance(reg.name_value and reg.name_value.value, str)

    def check(self, reg: Registration) -> None:
        problems = self.contract_problems(reg)
        if not problems or (not reg.name and self.set_after_definition(reg, "name", "__name__")):
            return
        for problem in problems:
            node = reg.name_node
            fix = None
            name = reg.name
            if (
                reg.name_is_literal
                and isinstance(node, cst.SimpleString)
                and name
                and node.evaluated_value == name
            ):
                new_name = sanitized(name)
                quote = node.quote
                new_node = node.with_changes(value=f"{node.prefix}{quote}{new_name}{quote}")
                fix = FixPlan(f"Rename the tool to {new_name!r}", (Replace(node, new_node),))
            self.report(node, reg.message(problem.message), fix=fix)
