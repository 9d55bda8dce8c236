"""Tools for the bundled agentsense runtime (try "Run tool" on them in the editor)."""

from agentsense.runtime.registry import BaseTool, tool


# agentsense: example query="python"
@tool
def web_search(query: str, max_results: int = 3) -> list[str]:
    """Search the web and return the titles of the top results."""
    return [f"result {i} for {query}" for i in range(max_results)]


@tool(name="word count")
def word_count(text: str) -> int:
    """Count the words in a text."""
    return len(text.split())


@tool(
    name="weather",
    parameters={
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
)
def weather(city: str) -> str:
    """Current weather for a city."""
    return f"sunny in {city}"


class Translate(BaseTool):
    name = "translate"

    def execute(self, text: str, language: str = "fr") -> str:
        return f"[{language}] {text}"


class Summarize(BaseTool):
    name = "search"
    description = "Summarize a text in one sentence."

    def execute(self, text: str) -> str:
        return text.split(".")[0]
