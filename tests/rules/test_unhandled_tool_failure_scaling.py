"""AGT204 reads a function's `fn = tools[name]` assignments once (from the file index), not
once per call in it."""

from __future__ import annotations

import textwrap

import pytest

from agentsense.analyzers.index import FileIndex
from tests.helpers import lint_with


def test_a_long_function_is_walked_once_for_its_assignments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[str] = []
    real = FileIndex._count

    def counting(self: FileIndex, fact: str) -> None:
        computed.append(fact)
        real(self, fact)

    monkeypatch.setattr(FileIndex, "_count", counting)
    # Forty calls through plain names: each used to walk the whole body looking for the
    # assignment of its name (quadratic in the function's size).
    other_calls = "\n".join(f"            log_{i}(call)" for i in range(40))
    source = textwrap.dedent(
        """
        def run_agent(llm, tools, messages):
            for _ in range(10):
                reply = llm.invoke(messages)
                for call in reply.tool_calls:
                    fn = tools[call.name]
                    result = fn(**call.args)
        {other_calls}
                    messages.append({{"role": "tool", "content": str(result)}})
        """
    ).format(other_calls=other_calls)
    findings = lint_with(source, ["AGT204"])
    assert [(f.code, f.span.start.row) for f in findings] == [("AGT204", 7)]
    # One table for the one function body, however many calls read it.
    assert computed.count("first_assignments") == 1
