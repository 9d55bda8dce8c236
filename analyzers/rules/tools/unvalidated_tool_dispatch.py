"""AGT202: a tool looked up by a model-chosen name and called with unchecked model arguments."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from agentsense.analyzers.detect.dataflow import referenced_names
from agentsense.analyzers.detect.names import words_of
from agentsense.analyzers.detect.tool_dispatch import (
    Lookup,
    is_tool_container,
    lookup_of,
    shown_lookup,
)
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import AddImport, Clean, FixPlan, Flagged, Replace, Rule, RuleOptions
from agentsense.analyzers.walk import find_path, iter_subtree_no_scopes

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext

# Words of a lookup key or an argument mapping that make a lookup look like tool dispatch.
_KEY_WORDS = frozenset({"tool", "function", "action"})
_ARGUMENT_WORDS = frozenset({"arguments", "params", "parameters"})
_ARGUMENT_NAMES = frozenset(
    {
        "tool_input",
        "tool_args",
        "tool_kwargs",
        "tool_arguments",
        "action_input",
        "action_args",
        "function_args",
        "function_arguments",
    }
)
# Exceptions whose handler means "the name was not there" (or anything went wrong).
_LOOKUP_ERRORS = frozenset(
    {"KeyError", "LookupError", "AttributeError", "Exception", "BaseException"}
)
_VALIDATION_CALLS = frozenset({"TypeAdapter", "parse_obj", "parse_obj_as", "parse_raw"})
_RUNTIME_VALIDATE_CALL = (
    "agentsense.runtime.validate_call",
    "agentsense.runtime.contract.validate_call",
)
_RUNTIME_SPEC_FROM_FUNCTION = (
    "agentsense.runtime.spec_from_function",
    "agentsense.runtime.contract.spec_from_function",
)


def _exits(branch: cst.CSTNode | None) -> bool:
    """Whether a branch raises, returns, continues or breaks somewhere."""
    if branch is None:
        return False
    return any(
        isinstance(n, (cst.Raise, cst.Return, cst.Continue, cst.Break))
        for n in iter_subtree_no_scopes(branch)
    )


def _has_membership_test(test: cst.CSTNode) -> bool:
    for node in iter_subtree_no_scopes(test):
        if isinstance(node, cst.Comparison) and any(
            isinstance(t.operator, (cst.In, cst.NotIn)) for t in node.comparisons
        ):
            return True
        if isinstance(node, cst.Call) and dotted_name(node.func) in ("hasattr", "callable"):
            return True
    return False


def _handles_lookup_error(handler: cst.ExceptHandler) -> bool:
    caught = handler.type
    if caught is None:
        kinds: list[cst.BaseExpression] = []
    elif isinstance(caught, cst.Tuple):
        kinds = [e.value for e in caught.elements]
    else:
        kinds = [caught]
    if caught is not None and not any(
        (dotted_name(k) or "").rsplit(".", 1)[-1] in _LOOKUP_ERRORS for k in kinds
    ):
        return False
    body = handler.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    only_reraise = len(statements) == 1 and all(
        isinstance(s, cst.Raise) and s.exc is None
        for s in iter_subtree_no_scopes(statements[0])
        if isinstance(s, cst.BaseSmallStatement)
    )
    return not only_reraise


def _protected_by_try(path: list[cst.CSTNode]) -> bool:
    """Whether the last node of `path` sits in a `try` body whose handler handles lookups."""
    for index, node in enumerate(path[:-1]):
        if (
            isinstance(node, cst.Try)
            and path[index + 1] is node.body
            and any(_handles_lookup_error(h) for h in node.handlers)
        ):
            return True
    return False


class _Scope:
    """What one function (or the module) does around its dispatches, computed once."""

    def __init__(self, root: cst.CSTNode, facts: ModuleFacts) -> None:
        self.root = root
        self.facts = facts

    @cached_property
    def nodes(self) -> list[cst.CSTNode]:
        return list(iter_subtree_no_scopes(self.root))

    @cached_property
    def validates_somewhere(self) -> bool:
        """A schema validation or signature binding anywhere in the scope."""
        for node in self.nodes:
            if not isinstance(node, cst.Call):
                continue
            # Through imports: `from agentsense.runtime.contract import validate_call as check`.
            name = self.facts.qualified_name(node.func) or (
                node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
            )
            last = name.rsplit(".", 1)[-1]
            if "validat" in last.lower() or last in _VALIDATION_CALLS:
                return True
            if (
                last in ("bind", "bind_partial")
                and isinstance(node.func, cst.Attribute)
                and isinstance(node.func.value, cst.Call)
                and (dotted_name(node.func.value.func) or "").endswith("signature")
            ):
                return True
        return False

    @cached_property
    def lookups(self) -> dict[str, tuple[Lookup, cst.CSTNode]]:
        """`fn` -> its lookup and assignment, for `fn = TOOLS[name]` (the two-step form)."""
        found: dict[str, tuple[Lookup, cst.CSTNode]] = {}
        for node in self.nodes:
            target: cst.BaseExpression
            if type(node) is cst.Assign and len(node.targets) == 1:
                target = node.targets[0].target
            elif (
                type(node) is cst.AnnAssign or type(node) is cst.NamedExpr
            ) and node.value is not None:
                target = node.target
            else:
                continue
            if type(target) is not cst.Name or node.value is None:
                continue
            value = node.value.expression if type(node.value) is cst.Await else node.value
            lookup = lookup_of(value)
            if lookup is not None:
                found[target.value] = (lookup, node)
        return found

    def checks_in_branch(self, names: set[str], lookup_vars: set[str]) -> bool:
        """An `if`/`assert` on the name or the looked-up value with an error branch."""
        for node in self.nodes:
            if isinstance(node, cst.If):
                test: cst.CSTNode = node.test
                if not (_exits(node.body) or _exits(node.orelse)):
                    continue
            elif isinstance(node, cst.Assert):
                test = node.test
            else:
                continue
            reads = referenced_names(test)
            if reads & lookup_vars:
                return True  # `if tool is None: return ...`, `if not callable(fn): raise`
            if reads & names and _has_membership_test(test):
                return True
        return False


class UnvalidatedToolDispatch(Rule):
    code = "AGT202"
    name = "unvalidated-tool-dispatch"
    summary = (
        "A tool looked up by a model-chosen name is called with the model's arguments, "
        "with neither checked."
    )
    rationale = (
        "The tool name and the arguments of a tool call are text the model generated: it "
        "hallucinates tool names, drops required arguments and sends strings where numbers "
        "belong. `TOOLS[name](**args)` turns each of those into a `KeyError` or `TypeError` "
        "that ends the agent run, or worse, into a tool running with wrong-typed arguments "
        "(and `getattr(obj, name)` lets the model call any method, not only tools). Check "
        "that the name is a registered tool and validate the arguments against the tool's "
        "schema first, and return the problem to the model so it can correct its call."
    )
    fix_description = (
        "Unsafe, when the module imports `validate_call` from the reference runtime: "
        "`TOOLS[name](**args)` becomes "
        "`TOOLS[name](**validate_call(spec_from_function(TOOLS[name]), args))` (adding "
        "`from agentsense.runtime.contract import spec_from_function`): the arguments are checked "
        "against the schema the runtime derives from the tool's signature, and a bad call "
        "raises `ToolCallError` listing every problem. Like `@tool` at registration, "
        "`spec_from_function` raises `ContractError` for a callee that is not a valid tool "
        "(no docstring, a name providers reject). Offered when `**args` is the only "
        "argument."
    )
    flagged = (
        Flagged(
            """
            import json

            def get_weather(city: str) -> str:
                return f"sunny in {city}"

            available_functions = {"get_weather": get_weather}

            def run_tool_call(tool_call):
                function_name = tool_call.function.name
                function_args = json.loads(tool_call.function.arguments)
                return available_functions[function_name](**function_args)
            """,
            line=11,
            column=12,
            message="`available_functions[function_name]`",
        ),
        Flagged(
            """
            class Executor:
                def __init__(self, tools):
                    self.tools = {tool.name: tool for tool in tools}

                async def run(self, calls):
                    results = []
                    for call in calls:
                        results.append(await self.tools[call.name].execute(**call.arguments))
                    return results
            """,
            line=8,
            message="validate",
        ),
        Flagged(
            """
            class Toolbox:
                def search(self, query: str) -> str:
                    return query

            def act(toolbox: Toolbox, action: str, params: dict) -> str:
                return getattr(toolbox, action)(**params)
            """,
            line=6,
            message="`getattr(toolbox, action)`",
        ),
        Flagged(
            """
            from agentsense.runtime.contract import validate_call

            def search(query: str) -> str:
                \"\"\"Search the web.\"\"\"
                return query

            TOOLS = {"search": search}

            def dispatch(name: str, args: dict) -> str:
                fn = TOOLS[name]
                print("calling", name)
                return fn(**args)
            """,
            line=12,
            message="`TOOLS[name]`",
            fixed="""
            from agentsense.runtime.contract import validate_call
            from agentsense.runtime.contract import spec_from_function

            def search(query: str) -> str:
                \"\"\"Search the web.\"\"\"
                return query

            TOOLS = {"search": search}

            def dispatch(name: str, args: dict) -> str:
                fn = TOOLS[name]
                print("calling", name)
                return fn(**validate_call(spec_from_function(fn), args))
            """,
        ),
        Flagged(
            """
            from agentsense.runtime.contract import spec_from_function, validate_call as check

            def handle(registry, message):
                for tool_call in message.tool_calls:
                    yield registry[tool_call.name](**tool_call.args)
            """,
            line=5,
            fixed="""
            from agentsense.runtime.contract import spec_from_function, validate_call as check

            def handle(registry, message):
                for tool_call in message.tool_calls:
                    yield registry[tool_call.name](**check(spec_from_function(registry[tool_call.name]), tool_call.args))
            """,
        ),
        Flagged(
            # A tool class looked up by name and instantiated.
            """
            from agentsense.runtime.registry import TOOL_REGISTRY

            def run_tool(tool_name: str, tool_input: dict):
                return TOOL_REGISTRY[tool_name]().execute(**tool_input)
            """,
            line=4,
            message="`TOOL_REGISTRY[tool_name]`",
        ),
        Flagged(
            # A `.get` lookup whose `None` is never checked fails with a `TypeError`.
            """
            def call_tool(tools: dict, name: str, arguments: dict):
                tool = tools.get(name)
                return tool.run(**arguments)
            """,
            line=3,
        ),
    )
    clean = (
        # A membership test with an error branch, fed back to the model.
        Clean(
            """
            def dispatch(name: str, args: dict) -> dict:
                if name not in TOOLS:
                    return {"error": f"unknown tool {name!r}; available: {sorted(TOOLS)}"}
                return {"result": TOOLS[name](**args)}
            """
        ),
        # The arguments validated against a schema before the call.
        Clean(
            """
            def dispatch(tools, name: str, args: dict):
                tool = tools[name]
                params = tool.args_schema.model_validate(args)
                return tool.fn(**params.model_dump())
            """
        ),
        # The arguments bound to the signature first.
        Clean(
            """
            import inspect

            def dispatch(name: str, args: dict):
                fn = FUNCTIONS[name]
                bound = inspect.signature(fn).bind(**args)
                return fn(*bound.args, **bound.kwargs)
            """
        ),
        # A try/except KeyError around the lookup that answers the model.
        Clean(
            """
            def dispatch(name: str, args: dict):
                try:
                    fn = TOOLS[name]
                except KeyError:
                    return f"no tool named {name}"
                return fn(**args)
            """
        ),
        # `.get` with a `None` check; a call guarded by a positive membership test.
        Clean(
            """
            def dispatch(tools, name, arguments):
                tool = tools.get(name)
                if tool is None:
                    raise LookupError(name)
                return tool.execute(**arguments)

            def maybe(tools, name, arguments):
                if name in tools:
                    result = tools[name](**arguments)
                else:
                    result = None
                return result
            """
        ),
        # A static key, and event handlers (not tools) dispatched by event type.
        Clean(
            """
            def on_event(handlers, event, args):
                handlers[event.type](**event.payload)
                TOOLS["search"](**args)
            """
        ),
        # Already wrapped in the runtime's validate_call.
        Clean(
            """
            from agentsense.runtime.contract import validate_call

            def dispatch(name: str, args: dict):
                return TOOLS[name](**validate_call(SPECS[name], args))
            """
        ),
    )

    def __init__(self, context: FileContext, options: RuleOptions) -> None:
        super().__init__(context, options)
        self._scopes: dict[cst.CSTNode, _Scope] = {}

    def _scope(self) -> _Scope:
        root: cst.CSTNode = self.context.enclosing_function() or self.context.module
        scope = self._scopes.get(root)
        if scope is None:
            scope = self._scopes[root] = _Scope(root, self.context.facts)
        return scope

    def visit_Call(self, node: cst.Call) -> None:
        if not any(arg.star for arg in node.args):
            return
        scope: _Scope | None = None
        lookup = lookup_of(node.func)
        lookup_vars: set[str] = set()
        assignment: cst.CSTNode | None = None
        if lookup is None:
            head = node.func.value if isinstance(node.func, cst.Attribute) else node.func
            if not isinstance(head, cst.Name):
                return
            scope = self._scope()
            found = scope.lookups.get(head.value)
            if found is None:
                return
            lookup, assignment = found
            lookup_vars.add(head.value)
        if not self._looks_like_tool_dispatch(lookup, node):
            return
        scope = scope or self._scope()
        if scope.validates_somewhere:
            return
        # `self` alone says nothing about the lookup: `if x in self.cache` is no name check.
        names = (referenced_names(lookup.key) | referenced_names(lookup.container)) - {
            "self",
            "cls",
        }
        if scope.checks_in_branch(names, lookup_vars):
            return
        if self._guarded_here(names, lookup_vars):
            return
        if assignment is not None:
            path = find_path(scope.root, assignment)
            if path is not None and _protected_by_try(path):
                return
        shown = shown_lookup(lookup, self.context.module)
        self.report(
            node,
            f"tool `{shown}` is looked up by a model-chosen name and called with the model's "
            "arguments unchecked: check the name is a registered tool and validate the "
            "arguments against its schema first, returning any problem to the model",
            # Deriving the spec from `REGISTRY[name]().execute` would build a second instance.
            fix=None if lookup.instantiates and assignment is None else self._fix(node),
        )

    def _looks_like_tool_dispatch(self, lookup: Lookup, call: cst.Call) -> bool:
        """The container is named like a tool registry, or the key and arguments are."""
        if is_tool_container(lookup):
            return True
        if not words_of(referenced_names(lookup.key)) & _KEY_WORDS:
            return False
        for arg in call.args:
            if not arg.star:
                continue
            reads = referenced_names(arg.value)
            if (
                words_of(reads) & _ARGUMENT_WORDS
                or {r.rsplit(".", 1)[-1].lower() for r in reads} & _ARGUMENT_NAMES
            ):
                return True
            if any(
                isinstance(n, cst.Call) and self.context.qualified_name(n.func) == "json.loads"
                for n in iter_subtree_no_scopes(arg.value)
            ):
                return True
        return False

    def _guarded_here(self, names: set[str], lookup_vars: set[str]) -> bool:
        """Inside a `try` that handles lookup errors, or an `if` that tests the name."""
        ancestors = list(self.context.path_stack)
        if _protected_by_try(ancestors):
            return True
        for node in ancestors:
            if isinstance(node, (cst.If, cst.IfExp)):
                reads = referenced_names(node.test)
                if reads & lookup_vars or (reads & names and _has_membership_test(node.test)):
                    return True
        return False

    def _fix(self, call: cst.Call) -> FixPlan | None:
        """Wrap the `**arguments` in the runtime's `validate_call` (when it is imported)."""
        imports = self.context.facts.imports
        validate = next((k for k, v in imports.items() if v in _RUNTIME_VALIDATE_CALL), None)
        if validate is None or len(call.args) != 1 or call.args[0].star != "**":
            return None
        spec = next((k for k, v in imports.items() if v in _RUNTIME_SPEC_FROM_FUNCTION), None)
        changes: list[AddImport | Replace] = []
        if spec is None:
            spec = "spec_from_function"
            if spec in imports or spec in self.context.facts.local_definitions:
                return None
            changes.append(AddImport("agentsense.runtime.contract", spec))
        arg = call.args[0]
        wrapped = cst.Call(
            func=cst.Name(validate),
            args=[
                cst.Arg(cst.Call(func=cst.Name(spec), args=[cst.Arg(call.func.deep_clone())])),
                cst.Arg(arg.value),
            ],
        )
        new = call.with_changes(args=[arg.with_changes(value=wrapped)])
        changes.insert(0, Replace(call, new))
        return FixPlan(
            "Validate the arguments with the runtime's `validate_call`",
            tuple(changes),
            Applicability.UNSAFE,
        )
