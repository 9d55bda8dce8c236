"""AGT215: a tool description over 1024 characters, sent with every request."""

from __future__ import annotations

from typing import ClassVar

from agentsense.analyzers.detect.registrations import Registration
from agentsense.analyzers.model import Severity
from agentsense.analyzers.rule import Clean, Flagged
from agentsense.analyzers.rules.tools._registration_rule import RegistrationRule, TestFileOptions
from agentsense.runtime.contract import MAX_DESCRIPTION_LENGTH, ContractProblem

_LONG_PARAGRAPH = " ".join(["Searches the company knowledge base for documents."] * 21)


class VerboseToolDescription(RegistrationRule):
    code = "AGT215"
    name = "verbose-tool-description"
    summary = "A tool description is over 1024 characters: it is sent with every request."
    rationale = (
        "Every tool's description goes to the model with every request, so a long one costs "
        "tokens and latency on each turn and crowds out the conversation; OpenAI rejects "
        "function descriptions over 1024 characters, and the reference runtime refuses them "
        "at import with the message shown. Put usage details in parameter descriptions or "
        "the tool's documentation. A docstring counts by its first paragraph, which is what "
        "the runtime uses. Test files are skipped unless the `check-tests` option is on."
    )
    severity: ClassVar[Severity] = Severity.INFO
    options_model = TestFileOptions
    flagged = (
        Flagged(
            """
            from langchain_core.tools import StructuredTool

            def search(query: str) -> list[str]:
                return []

            tool = StructuredTool.from_function(search, description="Search. " * 200)
            """,
            line=6,
            message="description is 1600 characters",
            path="tests/test_search.py",
            options={"check-tests": True},
        ),
        Flagged(
            """
            from agentsense.runtime.registry import BaseTool

            class Search(BaseTool):
                name = "search"
                description = "Search the web for pages about a query. " * 30

                def execute(self, query: str) -> list[str]:
                    return []
            """,
            line=5,
            column=19,
            message="tool 'search': description is 1200 characters, over the 1024 limit",
        ),
        Flagged(
            f'''
            from agentsense.runtime.registry import tool

            @tool
            def search_kb(query: str) -> list[str]:
                """{_LONG_PARAGRAPH}"""
                return []
            ''',
            line=5,
            message="description is 1070 characters",
        ),
        Flagged(
            f"""
            from langchain_core.tools import tool

            @tool(description="{_LONG_PARAGRAPH}")
            def search_kb(query: str) -> list[str]:
                return []
            """,
            line=3,
            message="LangChain: tool 'search_kb'",
        ),
    )
    clean = (
        Clean(
            """
            from langchain_core.tools import StructuredTool

            def search(query: str) -> list[str]:
                return []

            tool = StructuredTool.from_function(search, description="Search. " * 200)
            """,
            path="tests/test_search.py",
        ),
        Clean(
            """
            from agentsense.runtime.registry import BaseTool

            class Search(BaseTool):
                name = "search"
                description = "x" * 1024

                def execute(self, query: str) -> list[str]:
                    return []
            """
        ),
        Clean(
            # Only the docstring's first paragraph is the description.
            f'''
            from agentsense.runtime.registry import tool

            @tool
            def search_kb(query: str) -> list[str]:
                """Search the company knowledge base.

                {_LONG_PARAGRAPH}
                """
                return []
            '''
        ),
        Clean(
            # Not static: the linter does not guess its length.
            """
            from agentsense.runtime.registry import tool
            from prompts import load

            @tool(description=load("search.md"))
            def search(query: str) -> list[str]:
                return []
            """
        ),
    )

    @classmethod
    def claims(cls, reg: Registration, problem: ContractProblem) -> bool:
        """A description the contract refuses for its length."""
        if problem.field != "description" or reg.description_value is None:
            return False
        value = reg.description_value.value
        # A blank one is missing (AGT210), however long.
        return (
            isinstance(value, str) and bool(value.strip()) and len(value) > MAX_DESCRIPTION_LENGTH
        )

    def check(self, reg: Registration) -> None:
        for problem in self.contract_problems(reg):
            self.report(self.problem_node(reg, problem), reg.message(problem.message))
