"""AGT204 reads a function's `fn = tools[name]` assignments once, not once per call in it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import libcst as cst
import pytest

from agentsense.analyzers.rules.tools import unhandled_tool_failure
from tests.helpers import lint_with


def test_a_long_function_is_walked_once_for_its_assignments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walked: list[cst.CSTNode] = []
    real = unhandled_tool_failure.iter_subtree_no_scopes

    def counting(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        walked.append(node)
        return real(node)

    monkeypatch.setattr(unhandled_tool_failure, "iter_subtree_no_scopes", counting)
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
    function_bodies = [node for node in walked if isinstance(node, cst.IndentedBlock)]
    assert len(function_bodies) <= 2
