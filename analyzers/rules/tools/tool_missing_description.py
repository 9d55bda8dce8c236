"""AGT210: a tool registration with no description, so the model cannot tell when to use it."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.detect.profiles import profile_named
from agentsense.analyzers.detect.registrations import Registration
from agentsense.analyzers.rule import Clean, Flagged
from agentsense.analyzers.rules.tools._registration_rule import RegistrationRule, TestFileOptions
from agentsense.runtime.contract import ContractProblem


class ToolMissingDescription(RegistrationRule):
    code = "AGT210"
    name = "tool-missing-description"
    summary = "A tool is registered with no description: no `description=`, attribute or docstring."
    rationale = (
        "The model picks a tool from its name and description alone. Without a description "
        "it guesses, calls the wrong tool or none at all. The reference runtime refuses such "
        "a registration at import time (`ContractError: tool 'x' has no description`), as do "
        "frameworks such as LangChain; the message is the runtime's own. A description from "
        "the docstring is its first paragraph, as the runtime reads it. Tools registered in test "
        "files are test doubles the model never sees: they are skipped unless the "
        "`check-tests` option is on."
    )
    options_model = TestFileOptions
    flagged = (
        Flagged(
            """
            from langchain_core.tools import tool

            @tool
            def fake_search(query: str) -> list[str]:
                return []
            """,
            line=4,
            message="tool 'fake_search' has no description",
            path="tests/test_agent.py",
            options={"check-tests": True},
        ),
        Flagged(
            """
            from agentsense.runtime.registry import tool

            @tool
            def search(query: str) -> list[str]:
                return []
            """,
            line=4,
            column=5,
            message="tool 'search' has no description",
        ),
        Flagged(
            """
            from agentsense.runtime.registry import BaseTool

            class Fetch(BaseTool):
                name = "fetch"
                description = ""

                def execute(self, url: str) -> str:
                    return url
            """,
            line=5,
            column=19,
            message="tool 'fetch' has no description",
        ),
        Flagged(
            """
            from agentsense.runtime.registry import tool

            @tool(name="lookup", description="   ")
            def lookup_price(ticker: str) -> float:
                return 0.0
            """,
            line=3,
            message="tool 'lookup' has no description",
        ),
        Flagged(
            """
            from agents import function_tool

            @function_tool
            def get_weather(city: str) -> str:
                return "sunny"
            """,
            line=4,
            message="OpenAI Agents SDK: tool 'get_weather' has no description",
        ),
        Flagged(
            # A tool made in a factory that never gets its description.
            """
            from langchain_core.tools import tool

            def make_tool(name, function):
                @tool
                def custom_tool(*args, **kwargs) -> str:
                    return str(function(*args, **kwargs))

                custom_tool.name = name
                return custom_tool
            """,
            line=5,
            message="has no description",
        ),
    )
    clean = (
        # The description is given after the definition: per instance (an empty pydantic
        # field), by a validator or method, or set on the function a factory returns.
        Clean(
            """
            from langchain_core.tools import BaseTool, tool

            class GitHubAction(BaseTool):
                mode: str
                name: str = ""
                description: str = ""

                def _run(self, instructions: str) -> str:
                    return self.api.run(self.mode, instructions)

            class ZapierNLARunAction(BaseTool):
                name = ""
                description = ""

                @pre_init
                def set_name_description(cls, values):
                    values["description"] = values["base_prompt"].format(**values)
                    return values

                def _run(self, instructions: str) -> str:
                    return instructions

            def make_tool(name, description, function):
                @tool
                def custom_tool(*args, **kwargs) -> str:
                    return str(function(*args, **kwargs))

                custom_tool.name = name
                custom_tool.description = description
                return custom_tool
            """
        ),
        Clean(
            # A test double: test files are skipped unless `check-tests` is on.
            """
            from langchain_core.tools import tool

            @tool
            def fake_search(query: str) -> list[str]:
                return []
            """,
            path="tests/test_agent.py",
        ),
        Clean(
            '''
            from agentsense.runtime.registry import tool

            @tool
            def search(query: str) -> list[str]:
                """Search the web for a query."""
                return []
            '''
        ),
        Clean(
            """
            from agentsense.runtime.registry import tool

            @tool(description="Search the web for a query.")
            def search(query: str) -> list[str]:
                return []
            """
        ),
        Clean(
            # The description is not static: the linter does not guess.
            """
            from agentsense.runtime.registry import tool
            from prompts import SEARCH_DESCRIPTION

            @tool(description=SEARCH_DESCRIPTION)
            def search(query: str) -> list[str]:
                return []
            """
        ),
        Clean(
            # No `description` attribute at all: ToolMeta refuses that as a missing
            # attribute, which is AGT211.
            '''
            from agentsense.runtime.registry import BaseTool

            class Fetch(BaseTool):
                """Fetch a URL."""

                name = "fetch"

                def execute(self, url: str) -> str:
                    return url
            '''
        ),
        Clean(
            # Not a registration.
            "def search(query: str) -> list[str]:\n    return []\n"
        ),
    )

    @classmethod
    def claims(cls, reg: Registration, problem: ContractProblem) -> bool:
        """A description the contract refuses because there is none (None or blank)."""
        if problem.field != "description" or reg.description_value is None:
            return False
        value = reg.description_value.value
        return value is None or (isinstance(value, str) and not value.strip())

    def check(self, reg: Registration) -> None:
        problems = self.contract_problems(reg)
        if not problems or self.set_after_definition(reg, "description", "__doc__"):
            return
        profile = profile_named(reg.source)
        raises = ""
        if (
            profile is not None
            and profile.missing_description_error is not None
            and isinstance(reg.definition, cst.FunctionDef)
        ):
            raises = f" ({profile.label} raises {profile.missing_description_error})"
        for problem in problems:
            node = reg.description_node if reg.description_node is not None else reg.node
            self.report(node, reg.message(problem.message) + raises)
