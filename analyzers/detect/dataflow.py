"""Simple intra-function data flow: which names hold a value derived from chosen seed names."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from agentsense.analyzers.detect.async_apis import collect_bindings
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.walk import children, iter_subtree_no_scopes

if TYPE_CHECKING:
    from agentsense.analyzers.index import FileIndex

# Calls whose result no longer carries the shape of their argument: an `int(x)` cannot smuggle
# shell syntax, `shlex.quote(x)` is the documented way to put `x` into a shell command. Rules
# pass their own set; this is a sensible default for code and command injection.
DEFAULT_SANITIZERS = frozenset(
    {"shlex.quote", "shlex.join", "pipes.quote", "int", "float", "bool", "len", "abs", "round"}
)

# Methods that put their argument into the receiver (`parts.append(param)` taints `parts`).
_MUTATING_METHODS = frozenset(
    {"append", "appendleft", "extend", "extendleft", "insert", "add", "update", "setdefault"}
)

# Parameters that a framework fills in, not the model (pydantic-ai `ctx`, LangChain callbacks).
_FRAMEWORK_PARAMETERS = frozenset(
    {"self", "cls", "ctx", "context", "run_manager", "callbacks", "config"}
)
_FRAMEWORK_ANNOTATION = re.compile(r"Context|Config|CallbackManager")


@dataclass(frozen=True, slots=True)
class Assignment:
    """One flow of values in a function body: the names in `targets` receive `value`."""

    targets: tuple[str, ...]
    value: cst.CSTNode


def target_names(target: cst.CSTNode) -> list[str]:
    """Names bound or updated by an assignment target.

    `a` -> a; `a, (b, *c)` -> a, b, c; `self.x` -> self.x (the dotted name, so a later
    `self.x` read is tracked); `d[k]` / `d[k].y` -> d (storing into a container taints it).
    """
    out: list[str] = []
    stack: list[cst.CSTNode] = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            out.append(node.value)
        elif isinstance(node, cst.Attribute):
            dotted = dotted_name(node)
            if dotted is not None:
                out.append(dotted)
            else:
                stack.append(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            stack.extend(element.value for element in node.elements)
        elif isinstance(node, cst.StarredElement):
            stack.append(node.value)
        elif isinstance(node, cst.Subscript):
            root: cst.BaseExpression = node.value
            while isinstance(root, (cst.Subscript, cst.Attribute)):
                if isinstance(root, cst.Attribute) and dotted_name(root) is not None:
                    break
                root = root.value
            stack.append(root)
    return out


def referenced_names(
    node: cst.CSTNode,
    *,
    facts: ModuleFacts | None = None,
    sanitizers: Collection[str] = (),
    barrier: Callable[[cst.Call], bool] | None = None,
) -> set[str]:
    """Names an expression reads: every `Name` and every dotted chain (`self.cmd`).

    Attribute names and keyword names are not reads (`x.name`, `f(name=1)` read `x` and
    `f`). Arguments of a call whose qualified name is in `sanitizers` are not followed (that
    needs `facts` to resolve imports), nor those of a call for which `barrier` is true (a
    rule that leaves LLM calls to another rule passes `is_llm_call` here). Nested lambdas and
    comprehensions are read through.
    """
    found: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            dotted = dotted_name(current)
            if dotted is not None:
                found.add(dotted)
            stack.append(current.value)
        elif isinstance(current, cst.Arg):
            stack.append(current.value)
        elif isinstance(current, cst.Call):
            qualified = facts.qualified_name(current.func) if facts is not None else None
            if qualified is not None and qualified in sanitizers:
                continue
            if barrier is not None and barrier(current):
                continue
            stack.append(current.func)
            stack.extend(current.args)
        else:
            stack.extend(children(current))
    return found


_FLOW_KINDS = frozenset(
    {
        cst.Assign,
        cst.AnnAssign,
        cst.AugAssign,
        cst.NamedExpr,
        cst.For,
        cst.CompFor,
        cst.WithItem,
        cst.Call,
    }
)


def iter_assignments(
    body: cst.CSTNode, nodes: Iterable[cst.CSTNode] | None = None
) -> Iterator[Assignment]:
    """Every value flow in `body`, not descending into nested functions or classes.

    Covers `=`, annotated and augmented assignment, `:=`, `for` targets, `with ... as`, and
    mutating calls on a named receiver (`parts.append(x)`, `opts.update(x)`). `nodes` is
    `iter_subtree_no_scopes(body)` when the caller has it already (`FileIndex.nodes`);
    rules read the cached flows through `assignments(context.index, body)`.
    """
    kinds = _FLOW_KINDS
    # Exact types throughout (the parser makes no subclasses, and isinstance against
    # libcst's abstract classes is slow); scopes are not flows.
    for node in iter_subtree_no_scopes(body) if nodes is None else nodes:
        kind = type(node)
        if kind not in kinds:
            continue
        if type(node) is cst.Assign:
            names = [n for t in node.targets for n in target_names(t.target)]
            yield Assignment(tuple(names), node.value)
        elif type(node) is cst.AnnAssign or type(node) is cst.AugAssign:
            if node.value is not None:
                yield Assignment(tuple(target_names(node.target)), node.value)
        elif type(node) is cst.NamedExpr:
            yield Assignment(tuple(target_names(node.target)), node.value)
        elif type(node) is cst.For or type(node) is cst.CompFor:
            yield Assignment(tuple(target_names(node.target)), node.iter)
        elif type(node) is cst.WithItem:
            if node.asname is not None:
                yield Assignment(tuple(target_names(node.asname.name)), node.item)
        elif (
            type(node) is cst.Call
            and type(node.func) is cst.Attribute
            and node.func.attr.value in _MUTATING_METHODS
        ):
            receiver = dotted_name(node.func.value)
            if receiver is not None:
                yield Assignment((receiver,), cst.Tuple([cst.Element(a.value) for a in node.args]))


def _scope_assignments(body: cst.CSTNode, index: FileIndex) -> tuple[Assignment, ...]:
    return tuple(iter_assignments(body, index.nodes(body)))


def assignments(index: FileIndex, body: cst.CSTNode) -> tuple[Assignment, ...]:
    """`iter_assignments(body)`, computed once per body for every rule of the file."""
    return index.derived(body, _scope_assignments)


def derivation_sources(
    function: cst.CSTNode,
    seeds: Iterable[str],
    *,
    facts: ModuleFacts | None = None,
    sanitizers: Collection[str] = (),
    barrier: Callable[[cst.Call], bool] | None = None,
) -> dict[str, frozenset[str]]:
    """Each name holding a value derived from `seeds` in `function`, mapped to its seeds.

    A forward "may" analysis over the assignments of one function body (or any subtree),
    iterated to a fixed point so the order of statements and loops does not matter. It is
    flow-insensitive: a name once assigned from a seed stays derived even if it is later
    rebound to a constant; a dotted read (`self.cmd`) is derived when `self.cmd` was
    assigned from a seed. Seeds map to themselves. `sanitizers` and `barrier` stop the flow
    through calls, as in `referenced_names`.
    """
    sources: dict[str, set[str]] = {seed: {seed} for seed in seeds}
    if not sources:
        return {}
    flows = [
        (
            a.targets,
            referenced_names(a.value, facts=facts, sanitizers=sanitizers, barrier=barrier),
        )
        for a in iter_assignments(function)
        if a.targets
    ]
    changed = True
    while changed:
        changed = False
        for targets, reads in flows:
            reached: set[str] = set()
            for name in reads:
                reached |= sources.get(name, set())
            if not reached:
                continue
            for target in targets:
                known = sources.setdefault(target, set())
                if not reached <= known:
                    known |= reached
                    changed = True
    return {name: frozenset(origin) for name, origin in sources.items()}


def names_derived_from(
    function: cst.CSTNode,
    seeds: Iterable[str],
    *,
    facts: ModuleFacts | None = None,
    sanitizers: Collection[str] = (),
    barrier: Callable[[cst.Call], bool] | None = None,
) -> set[str]:
    """The names (seeds included) whose value may derive from `seeds` in `function`."""
    return set(
        derivation_sources(function, seeds, facts=facts, sanitizers=sanitizers, barrier=barrier)
    )


def expression_sources(
    expression: cst.CSTNode,
    sources: dict[str, frozenset[str]],
    *,
    facts: ModuleFacts | None = None,
    sanitizers: Collection[str] = (),
    barrier: Callable[[cst.Call], bool] | None = None,
) -> frozenset[str]:
    """The seeds an expression's value may derive from, given `derivation_sources` output."""
    reached: set[str] = set()
    for name in referenced_names(expression, facts=facts, sanitizers=sanitizers, barrier=barrier):
        reached |= sources.get(name, frozenset())
    return frozenset(reached)


def parameter_names(function: cst.FunctionDef) -> list[str]:
    """Every parameter of `function`, in order (`*args` and `**kwargs` included)."""
    params = function.params
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if isinstance(params.star_arg, cst.Param):
        names.append(params.star_arg.name.value)
    names.extend(p.name.value for p in params.kwonly_params)
    if params.star_kwarg is not None:
        names.append(params.star_kwarg.name.value)
    return names


def local_names(function: cst.FunctionDef) -> set[str]:
    """Names bound inside `function`: parameters, assignment targets, local defs and imports.

    A local binding shadows a builtin or a module-level import of the same name. Python's
    scoping decides, as for every rule (`async_apis.collect_bindings`): an `except ... as`
    name is bound here, a comprehension's loop variable is not.
    """
    return set(collect_bindings(function))


# --- Which parameters the model fills in -------------------------------------------------


def model_parameter_names(function: cst.FunctionDef) -> list[str]:
    """The parameters of a tool function that the model fills in.

    Leaves out `self`/`cls` and what a framework injects: `ctx`/`context`/`config`/
    `run_manager`/`callbacks`, and parameters annotated as a context, config or callback
    manager (`RunContext[Deps]`, `RunnableConfig`).
    """
    params = function.params
    every: list[cst.Param] = [*params.posonly_params, *params.params]
    if isinstance(params.star_arg, cst.Param):
        every.append(params.star_arg)
    every.extend(params.kwonly_params)
    if params.star_kwarg is not None:
        every.append(params.star_kwarg)
    names: list[str] = []
    for param in every:
        name = param.name.value
        if name in _FRAMEWORK_PARAMETERS:
            continue
        if param.annotation is not None:
            text = cst.Module([]).code_for_node(param.annotation.annotation)
            if _FRAMEWORK_ANNOTATION.search(text):
                continue
        names.append(name)
    return names
