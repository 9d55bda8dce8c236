"""What counts as a call to a language model, and as a value that came back from one."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.facts import ModuleFacts, dotted_name

# Method names that send a request to a model (RULES.md AGT301/AGT303).
LLM_METHODS = frozenset(
    {
        "create",
        "acreate",
        "invoke",
        "ainvoke",
        "generate",
        "agenerate",
        "chat",
        "achat",
        "complete",
        "acomplete",
        "completion",
        "acompletion",
        "run",
        "arun",
        "stream",
        "astream",
        "predict",
        "generate_content",
        "generate_content_async",
        "send_message",
        "query",
    }
)
# Keyword arguments that carry prompt text to a model.
PROMPT_KEYWORDS = frozenset(
    {"messages", "prompt", "system", "system_prompt", "instructions", "input", "contents"}
)
# Receivers whose `.run(...)`, `.query(...)` etc. are not model calls.
_NON_LLM_ROOTS = frozenset(
    {"subprocess", "asyncio", "os", "loop", "executor", "pool", "db", "cursor", "conn", "session"}
)
# Module-level functions that call a model (qualified names).
LLM_FUNCTIONS = frozenset(
    {
        "litellm.completion",
        "litellm.acompletion",
        "openai.ChatCompletion.create",
        "ollama.chat",
        # LLM libraries whose functions return what the model wrote, typed or not.
        *(
            f"marvin.{name}"
            for name in (
                "cast",
                "cast_async",
                "extract",
                "extract_async",
                "generate",
                "generate_async",
                "classify",
                "classify_async",
                "run",
                "run_async",
                "say",
                "say_async",
                "summarize",
                "summarize_async",
            )
        ),
        "controlflow.run",
        "controlflow.run_async",
    }
)


def call_method_name(call: cst.Call) -> str | None:
    """`create` for `client.chat.completions.create(...)`, `llm` for `llm(...)`."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def is_llm_call(call: cst.Call, facts: ModuleFacts) -> bool:
    """A call that plausibly sends a request to a model.

    A method named like a model request on some receiver (`client.messages.create`,
    `llm.invoke`, `agent.run`), unless the receiver is a well-known non-model API
    (`subprocess.run`, `loop.run_until_complete`); or a known client function.
    """
    qualified = facts.qualified_name(call.func)
    if qualified in LLM_FUNCTIONS:
        return True
    func = call.func
    if type(func) is not cst.Attribute or func.attr.value not in LLM_METHODS:
        return False
    receiver = dotted_name(func.value)
    if receiver is None:
        # `get_client().chat(...)`, `self.llm.invoke(...)` is dotted; calls on call
        # results are accepted only for the unambiguous request names.
        return func.attr.value in {"create", "acreate", "invoke", "ainvoke", "generate"}
    root = (facts.qualified_name(func.value) or receiver).split(".")[0]
    return root not in _NON_LLM_ROOTS and receiver.split(".")[0] not in _NON_LLM_ROOTS
