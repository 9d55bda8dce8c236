"""AGT401: a function parameter whose default is a mutable object shared across calls."""

from __future__ import annotations

import libcst as cst

from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace, Rule

# Calls that build a fresh mutable container (qualified names after import resolution).
MUTABLE_CONSTRUCTORS = frozenset(
    {
        "list",
        "dict",
        "set",
        "bytearray",
        "collections.defaultdict",
        "collections.OrderedDict",
        "collections.Counter",
        "collections.deque",
    }
)


def is_mutable_value(node: cst.BaseExpression, qualified: str | None) -> bool:
    """A literal, comprehension or constructor call that creates a mutable container."""
    if isinstance(node, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
        return True
    return isinstance(node, cst.Call) and qualified in MUTABLE_CONSTRUCTORS


def _optional(annotation: cst.Annotation | None) -> cst.Annotation | None:
    """`X | None` for an annotation `X` (unchanged when it already admits None)."""
    if annotation is None:
        return None
    code = cst.Module([]).code_for_node(annotation.annotation)
    if "None" in code or "Optional" in code or code == "Any":
        return annotation
    return annotation.with_changes(
        annotation=cst.BinaryOperation(
            left=annotation.annotation,
            operator=cst.BitOr(),
            right=cst.Name("None"),
        )
    )


def _body_with_guard(body: cst.BaseSuite, guard: cst.BaseStatement) -> cst.BaseSuite:
    """Insert `guard` as the first statement after the docstring."""
    if isinstance(body, cst.SimpleStatementSuite):
        statements: list[cst.BaseStatement] = [
            guard,
            cst.SimpleStatementLine(body=list(body.body)),
        ]
        return cst.IndentedBlock(body=statements)
    assert isinstance(body, cst.IndentedBlock)
    items = list(body.body)
    first = items[0] if items else None
    has_docstring = (
        isinstance(first, cst.SimpleStatementLine)
        and len(first.body) == 1
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
    at = 1 if has_docstring else 0
    return body.with_changes(body=[*items[:at], guard, *items[at:]])


class MutableDefaultArgument(Rule):
    code = "AGT401"
    name = "mutable-default-argument"
    summary = "A parameter default is a mutable object created once and shared by every call."
    rationale = (
        "Python evaluates a default once, when the `def` runs. A list or dict default is "
        "shared by every call, so an agent's `history=[]` or a tool's `cache={}` "
        "accumulates state across conversations: one user's messages leak into the next "
        "request, memory grows without bound, and tests pass alone but fail together."
    )
    fix_description = (
        "Safe: default to `None` and create the value in the body "
        "(`if x is None: x = []`), typed as `X | None` when annotated."
    )
    flagged = (
        Flagged(
            """
            def run_agent(question, history=[]):
                history.append(question)
                return history
            """,
            line=1,
            column=33,
            message="history",
            fixed="""
            def run_agent(question, history=None):
                if history is None:
                    history = []
                history.append(question)
                return history
            """,
        ),
        Flagged(
            '''
            class Memory:
                def remember(self, fact: str, store: dict[str, str] = {}) -> None:
                    """Remember a fact."""
                    store[fact] = fact
            ''',
            line=2,
            message="store",
            fixed='''
            class Memory:
                def remember(self, fact: str, store: dict[str, str] | None = None) -> None:
                    """Remember a fact."""
                    if store is None:
                        store = {}
                    store[fact] = fact
            ''',
        ),
        Flagged(
            """
            from collections import defaultdict as dd

            async def call_tools(calls, results=dd(list)): return results
            """,
            line=3,
            message="results",
            fixed="""
            from collections import defaultdict as dd

            async def call_tools(calls, results=None):
                if results is None:
                    results = dd(list)
                return results
            """,
        ),
        Flagged(
            """
            def collect(*, seen=set(), names=[n for n in "ab"]):
                return seen, names
            """,
            line=1,
            count=2,
            fixed="""
            def collect(*, seen=None, names=None):
                if names is None:
                    names = [n for n in "ab"]
                if seen is None:
                    seen = set()
                return seen, names
            """,
        ),
    )
    clean = (
        Clean("def run_agent(question, history=None):\n    return history or []\n"),
        Clean("def f(names=(), limit=10, label='x', frozen=frozenset()):\n    return names\n"),
        Clean(
            # A local function that happens to be called `list` is not the builtin.
            "def list():\n    return 1\n\ndef f(x=list()):\n    return x\n"
        ),
        Clean("lambda_default = lambda x=None: x\n"),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        mutable = [
            p
            for p in (*params.posonly_params, *params.params, *params.kwonly_params)
            if p.default is not None
            and is_mutable_value(
                p.default,
                self.context.qualified_name(p.default.func)
                if isinstance(p.default, cst.Call)
                else None,
            )
        ]
        for param in mutable:
            assert param.default is not None
            name = param.name.value
            value = cst.Module([]).code_for_node(param.default)
            guard = cst.parse_statement(f"if {name} is None:\n    {name} = {value}\n")
            assert isinstance(guard, cst.If)
            new_param = param.with_changes(
                default=cst.Name("None"), annotation=_optional(param.annotation)
            )
            new_function = node.deep_replace(param, new_param)
            assert isinstance(new_function, cst.FunctionDef)
            new_function = new_function.with_changes(
                body=_body_with_guard(new_function.body, guard)
            )
            self.report(
                param.default,
                f"mutable default for `{name}` is shared between calls",
                fix=FixPlan(
                    f"Default `{name}` to None and create it per call",
                    (Replace(node, new_function),),
                ),
            )
