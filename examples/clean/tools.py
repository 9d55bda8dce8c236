"""Well-formed tools for the bundled runtime: typed, described, validated."""

import ast
import os

from agentsense.runtime.registry import BaseTool, tool


@tool
def calculator(expression: str) -> float:
    """Evaluate an arithmetic expression safely (literals only)."""
    return float(ast.literal_eval(expression))


# agentsense: example city="Paris"
@tool(name="forecast", description="Tomorrow's weather forecast for a city.")
def forecast(city: str, days: int = 1) -> str:
    return f"{city}: sunny for {days} day(s)"


class Translate(BaseTool):
    name = "translate_text"
    description = "Translate a text into another language."

    def execute(self, text: str, language: str = "fr") -> str:
        return f"[{language}] {text}"


def client_settings() -> dict[str, str]:
    # The key goes to the client constructor, never into a prompt.
    return {"api_key": os.environ.get("OPENAI_API_KEY", "")}
