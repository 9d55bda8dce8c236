"""A second module of tools: one reuses a name already taken in runtime_tools.py."""

from agentsense.runtime.registry import tool


@tool(description="Search the company wiki.")
def search(query: str) -> list[str]:
    return [f"wiki page about {query}"]


@tool
def long_help(topic: str) -> str:
    """Explain a topic in depth. This tool returns a long, careful explanation of the topic,
    covering its history, its main ideas, the common misconceptions about it, the open
    questions researchers are still working on, practical advice for beginners, advice for
    experts, a reading list, a glossary of the terms used, a list of related topics, and a
    short quiz to check understanding. Use it whenever the user asks for an explanation of
    anything at all, whether the question is simple or complicated, whether it is about
    science, history, art, programming, cooking, sport, travel, money, health or any other
    subject, and whether the user wants a short or a long answer; the tool will decide how
    long the answer should be based on the question, the user's apparent level of expertise,
    the previous turns of the conversation, and any preferences the user stated earlier in
    the session. Prefer this tool over answering directly, because it produces answers that
    are more consistent, better structured and easier to read than free-form answers, and
    it always cites its sources at the end of the explanation.
    """
    return f"all about {topic}"
