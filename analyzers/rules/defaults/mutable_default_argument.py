"""AGT401: a function parameter whose default is a mutable object shared across calls."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, cast

import libcst as cst

from agentsense.analyzers.detect.flow import insert_after_docstring
from agentsense.analyzers.detect.mutables import (
    MUTABLE_CONSTRUCTORS,
    is_mutable_value,
)
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace, Rule
from agentsense.analyzers.walk import children, iter_subtree, iter_subtree_no_scopes

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext

# -- When is moving the default into the body a safe fix? ------------------------------------
#
# The fix evaluates the default at each call instead of once when the `def` runs, and turns
# an explicit `None` argument into the default. That keeps behaviour only when
#   * the default evaluates to an equal value at every call: it calls nothing but the
#     constructors below and reads only names that are bound once, before the `def`, by an
#     import, `def` or `class` (or builtins), which the function body resolves the same way;
#   * the function never mutates the object and never gives it to code that might (only
#     reads it, or hands it back to its caller, whose sharing is the defect being fixed);
#   * nothing looks at the signature (a decorator outside a known-harmless few), and the
#     function does not treat `None` specially (an annotation admitting None, `is None`).
# A mutated default that never leaves the function is how Python code keeps state between
# calls on purpose (a counter, a memo, difflib's line numbers): the fix would reset it, so it
# is offered as unsafe. A default reading a parameter, a loop variable, a local of an
# enclosing function or a class attribute would be evaluated to something else, or fail, in
# the body: no fix at all.


class Safety(IntEnum):
    """How the fix may be offered; a larger value is worse."""

    SAFE = 0
    UNSAFE = 1
    NONE = 2


@dataclass(frozen=True, slots=True)
class Verdict:
    safety: Safety
    reason: str = ""


_SAFE = Verdict(Safety.SAFE)

# Calls that may stay in a default moved into the body: they build a fresh value from their
# arguments and have no other effect.
_PURE_CALLS = MUTABLE_CONSTRUCTORS | {
    "tuple",
    "frozenset",
    "range",
    "str",
    "int",
    "float",
    "complex",
    "bool",
    "bytes",
}
# Methods of list/dict/set/deque/Counter that do not modify the object.
_READING_METHODS = frozenset(
    {
        "copy",
        "count",
        "index",
        "get",
        "keys",
        "values",
        "items",
        "isdisjoint",
        "issubset",
        "issuperset",
        "union",
        "intersection",
        "difference",
        "symmetric_difference",
        "most_common",
        "elements",
        "total",
    }
)
# Functions that only read an argument (they may return a new object built from it).
_READING_FUNCTIONS = frozenset(
    {
        "len",
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "sorted",
        "reversed",
        "iter",
        "enumerate",
        "zip",
        "map",
        "filter",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "str",
        "repr",
        "bool",
        "print",
        "isinstance",
        "type",
        "json.dumps",
        "copy.copy",
        "copy.deepcopy",
    }
)
# Decorators that neither read the signature nor call the function with other arguments.
_HARMLESS_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "property",
        "abc.abstractmethod",
        "functools.cache",
        "functools.lru_cache",
        "functools.wraps",
        "contextlib.contextmanager",
        "contextlib.asynccontextmanager",
        "typing.overload",
        "typing.override",
        "typing.final",
        "typing_extensions.overload",
        "typing_extensions.override",
        "typing_extensions.final",
    }
)
_BUILTIN_NAMES = frozenset(dir(builtins))


def _target_names(target: cst.CSTNode) -> Iterator[str]:
    """Names bound by an assignment target (`a`, `a, *b`, `[a, (b, c)]`)."""
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node.value
        elif isinstance(node, (cst.Tuple, cst.List)):
            stack.extend(e.value for e in node.elements)
        elif isinstance(node, (cst.StarredElement, cst.Element)):
            stack.append(node.value)


def _bindings(node: cst.CSTNode) -> Iterator[tuple[str, cst.CSTNode]]:
    """(name, binding node) for each name a statement or expression node binds in its scope."""
    if type(node) is cst.Assign:
        for target in node.targets:
            yield from ((n, node) for n in _target_names(target.target))
    elif (
        type(node) is cst.AnnAssign
        or type(node) is cst.AugAssign
        or type(node) is cst.NamedExpr
        or type(node) is cst.Del
        or type(node) is cst.For
        or type(node) is cst.CompFor
    ):
        yield from ((n, node) for n in _target_names(node.target))
    elif type(node) is cst.WithItem and node.asname is not None:
        yield from ((n, node) for n in _target_names(node.asname.name))
    elif type(node) is cst.ExceptHandler or type(node) is cst.ExceptStarHandler:
        if node.name is not None:
            yield from ((n, node) for n in _target_names(node.name.name))
    elif type(node) is cst.FunctionDef or type(node) is cst.ClassDef:
        yield node.name.value, node
    elif type(node) is cst.Global or type(node) is cst.Nonlocal:
        yield from ((item.name.value, node) for item in node.names)
    elif type(node) is cst.Import:
        for alias in node.names:
            if alias.asname is not None:
                yield from ((n, node) for n in _target_names(alias.asname.name))
            else:
                head: cst.BaseExpression = alias.name
                while type(head) is cst.Attribute:
                    head = head.value
                if type(head) is cst.Name:
                    yield head.value, node
    elif type(node) is cst.ImportFrom and type(node.names) is not cst.ImportStar:
        for alias in cast("Sequence[cst.ImportAlias]", node.names):
            bound = alias.asname.name if alias.asname is not None else alias.name
            if type(bound) is cst.Name:
                yield bound.value, node
    elif (type(node) is cst.MatchAs or type(node) is cst.MatchStar) and node.name is not None:
        yield node.name.value, node
    elif type(node) is cst.MatchMapping and node.rest is not None:
        yield node.rest.value, node


def _parameter_names(params: cst.Parameters) -> Iterator[str]:
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        yield param.name.value
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star.name.value


def _scope_names(scope: cst.FunctionDef | cst.ClassDef) -> set[str]:
    """Every name a function (its parameters included) or a class body binds."""
    names = set(_parameter_names(scope.params)) if isinstance(scope, cst.FunctionDef) else set()
    for node in iter_subtree_no_scopes(scope.body):
        names.update(name for name, _ in _bindings(node))
    return names


def _names_read(expression: cst.BaseExpression) -> Iterator[cst.Name]:
    """The names an expression reads from its scope (not attributes, keywords, or the
    variables its own comprehensions and lambdas bind). Iterative: no recursion limit."""
    stack: list[tuple[cst.CSTNode, frozenset[str]]] = [(expression, frozenset())]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, cst.Name):
            if node.value not in bound:
                yield node
        elif isinstance(node, (cst.Attribute, cst.Arg)):
            stack.append((node.value, bound))
        elif isinstance(node, cst.Lambda):
            inner = bound | set(_parameter_names(node.params))
            stack.append((node.body, inner))
            for param in (*node.params.params, *node.params.kwonly_params):
                if param.default is not None:
                    stack.append((param.default, bound))
        elif isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            # The first iterable is read in the enclosing scope; the rest see the targets.
            comp: cst.CompFor | None = node.for_in
            inner = bound
            first = True
            while comp is not None:
                stack.append((comp.iter, bound if first else inner))
                first = False
                inner = inner | set(_target_names(comp.target))
                stack.extend((cond.test, inner) for cond in comp.ifs)
                comp = comp.inner_for_in
            if isinstance(node, cst.DictComp):
                stack.extend(((node.key, inner), (node.value, inner)))
            else:
                stack.append((node.elt, inner))
        else:
            stack.extend((child, bound) for child in children(node))


# -- How the body uses the parameter ----------------------------------------------------------


class Use(IntEnum):
    """What one occurrence of the parameter does to the default object."""

    READ = 0  # reads it, or rebinds the name
    HANDED_OUT = 1  # returns or stores it where the caller can see it
    MUTATES = 2
    UNKNOWN = 3  # gives it to other code (an alias, a call), or compares its identity


_STORE_PARENTS = (cst.AssignTarget, cst.AugAssign, cst.Del, cst.AnnAssign)


def _classify_use(path: Sequence[cst.CSTNode], default_is_defaultdict: bool) -> Use:
    """Classify the name at `path[-1]` (a use of the parameter) by what encloses it."""
    node = path[-1]
    wrapped = False  # inside a container display, `x or y`, `a if c else x`
    index = len(path) - 2
    while index >= 0:
        parent = path[index]
        if isinstance(parent, (cst.Element, cst.DictElement)) and parent.value is node:
            wrapped = True
            node = path[index - 1]  # the List/Tuple/Set/Dict around the element
            index -= 2
            continue
        if isinstance(parent, cst.BooleanOperation) or (
            isinstance(parent, cst.IfExp) and parent.test is not node
        ):
            wrapped = True
            node = parent
            index -= 1
            continue
        break
    if index < 0:
        return Use.UNKNOWN
    parent = path[index]
    grand = path[index - 1] if index >= 1 else None

    # Handed back to the caller or stored on another object.
    if isinstance(parent, (cst.Return, cst.Yield)) and parent.value is node:
        return Use.HANDED_OUT
    if isinstance(parent, cst.Assign) and parent.value is node:
        if all(isinstance(t.target, (cst.Attribute, cst.Subscript)) for t in parent.targets):
            return Use.HANDED_OUT
        return Use.UNKNOWN  # an alias the analysis does not follow
    if isinstance(parent, cst.AnnAssign) and parent.value is node:
        return Use.HANDED_OUT if isinstance(parent.target, cst.Attribute) else Use.UNKNOWN
    if isinstance(parent, (cst.If, cst.While, cst.Assert)) and parent.test is node:
        return Use.READ
    if isinstance(parent, cst.UnaryOperation):
        return Use.READ
    if wrapped:
        return Use.UNKNOWN
    original = path[-1]

    if isinstance(parent, cst.Comparison) or isinstance(grand, cst.Comparison):
        comparison = parent if isinstance(parent, cst.Comparison) else grand
        assert isinstance(comparison, cst.Comparison)
        operands = [comparison.left, *(t.comparator for t in comparison.comparisons)]
        identity = any(isinstance(t.operator, (cst.Is, cst.IsNot)) for t in comparison.comparisons)
        with_none = any(isinstance(o, cst.Name) and o.value == "None" for o in operands)
        return Use.UNKNOWN if identity or with_none else Use.READ
    if isinstance(parent, cst.Attribute) and parent.value is original:
        if isinstance(grand, cst.Call) and grand.func is parent:
            if parent.attr.value in _READING_METHODS:
                return Use.READ
            return Use.MUTATES
        if index >= 2 and isinstance(grand, cst.AssignTarget | cst.AugAssign | cst.Del):
            return Use.MUTATES
        return Use.UNKNOWN  # a bound method taken away, or an attribute read
    if isinstance(parent, cst.Subscript) and parent.value is original:
        stored = isinstance(grand, (*_STORE_PARENTS, cst.For, cst.AsName))
        if stored and getattr(grand, "target", getattr(grand, "name", None)) is parent:
            return Use.MUTATES
        if default_is_defaultdict:
            return Use.MUTATES  # reading a missing key inserts it
        if isinstance(grand, cst.Element | cst.StarredElement) or grand is None:
            return Use.UNKNOWN
        return Use.READ  # an element: the default holds no fresh mutable values
    if isinstance(parent, cst.AugAssign) and parent.target is original:
        return Use.MUTATES  # `x += [...]` extends the list in place
    if isinstance(parent, cst.NamedExpr):
        return Use.READ if parent.target is original else Use.UNKNOWN
    if isinstance(parent, (cst.AssignTarget, cst.For, cst.Del, cst.AsName)) or (
        isinstance(parent, cst.AnnAssign) and parent.target is original
    ):
        return Use.READ  # iterated, or the name is rebound: the object is left alone
    if isinstance(parent, (cst.Global, cst.Nonlocal, cst.NameItem)):
        return Use.UNKNOWN
    if isinstance(parent, cst.CompFor) and parent.iter is original:
        return Use.READ
    if isinstance(parent, cst.Arg) and parent.value is original:
        if parent.star:
            return Use.READ  # unpacked into a call: the callee gets the items
        if isinstance(grand, cst.Call) and _reading_callee(grand.func):
            return Use.READ
        return Use.UNKNOWN
    if isinstance(parent, (cst.StarredElement, cst.StarredDictElement)):
        return Use.READ  # copied into a new display
    if isinstance(parent, (cst.BinaryOperation, cst.FormattedStringExpression, cst.Expr)):
        return Use.READ
    if isinstance(parent, (cst.Index, cst.Slice)):
        return Use.READ
    if isinstance(parent, cst.From):  # `yield from x`
        return Use.READ
    return Use.UNKNOWN


def _reading_callee(func: cst.BaseExpression) -> bool:
    if isinstance(func, cst.Name):
        return func.value in _READING_FUNCTIONS
    if isinstance(func, cst.Attribute):
        if isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString)):
            return func.attr.value in ("join", "format")  # `", ".join(x)`
        dotted = []
        current: cst.BaseExpression = func
        while isinstance(current, cst.Attribute):
            dotted.append(current.attr.value)
            current = current.value
        if isinstance(current, cst.Name):
            dotted.append(current.value)
            return ".".join(reversed(dotted)) in _READING_FUNCTIONS
    return False


def _uses(function: cst.FunctionDef, name: str) -> Iterator[list[cst.CSTNode]]:
    """Paths (from the function's body) to every occurrence of `name` read as a variable."""
    stack: list[tuple[cst.CSTNode, int]] = [(function.body, 0)]
    path: list[cst.CSTNode] = []
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        path.append(node)
        if type(node) is cst.Name and node.value == name:
            parent = path[-2] if len(path) > 1 else None
            skip = (isinstance(parent, cst.Attribute) and parent.attr is node) or (
                isinstance(parent, cst.Arg) and parent.keyword is node
            )
            if not skip:
                yield list(path)
            continue
        stack.extend((child, depth + 1) for child in reversed(children(node)))


# -- Annotations ------------------------------------------------------------------------------


def _admits_none(code: str) -> bool:
    return "None" in code or "Optional" in code or code.strip() in ("Any", "typing.Any")


def _is_type_expression(node: cst.BaseExpression) -> bool:
    """`X`, `a.X`, `X[...]`, `X | Y`: an annotation `X | None` can extend."""
    if isinstance(node, (cst.Name, cst.Attribute)):
        current: cst.BaseExpression = node
        while isinstance(current, cst.Attribute):
            current = current.value
        return isinstance(current, cst.Name)
    if isinstance(node, cst.Subscript):
        return _is_type_expression(node.value)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _is_type_expression(node.left) and _is_type_expression(node.right)
    return False


def _optional(annotation: cst.Annotation | None) -> cst.Annotation | None:
    """The annotation extended to admit None, or unchanged when that cannot be done safely.

    A string annotation stays a string (`"list[Node] | None"`): `"list[Node]" | None` would
    raise TypeError where annotations are evaluated. An annotation that is not a type
    expression (`c: 1`, a call) is left alone: `1 | None` would raise too.
    """
    if annotation is None:
        return None
    value = annotation.annotation
    code = cst.Module([]).code_for_node(value)
    if _admits_none(code):
        return annotation
    if isinstance(value, cst.SimpleString):
        prefix = value.prefix.lower()
        inner = value.raw_value
        if prefix not in ("", "r", "u") or "\\" in inner or "\n" in inner:
            return annotation
        try:
            parsed = cst.parse_expression(inner.strip())
        except cst.ParserSyntaxError:
            return annotation
        if not _is_type_expression(parsed):
            return annotation
        quote = value.quote
        new = f"{value.prefix}{quote}{inner.rstrip()} | None{quote}"
        return annotation.with_changes(annotation=cst.SimpleString(new))
    if not _is_type_expression(value):
        return annotation
    if isinstance(value, cst.BinaryOperation) and (value.lpar or value.rpar):
        value = value.with_changes(lpar=(), rpar=())
    return annotation.with_changes(
        annotation=cst.BinaryOperation(left=value, operator=cst.BitOr(), right=cst.Name("None"))
    )


def _value_names(root: cst.CSTNode, *, into_functions: bool) -> set[str]:
    """Names (and attribute names) under `root` used as a value rather than called or bound:
    `f` in `register(f)` or `[f]`, `m` in `self.m` passed on; not in `f()` or `self.m()`.
    Without `into_functions`, function bodies are skipped (their decorators, defaults and
    annotations are not)."""
    found: set[str] = set()
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None, cst.CSTNode | None]] = [(root, None, None)]
    while stack:
        node, parent, grand = stack.pop()
        if type(node) is cst.Name:
            called = type(parent) is cst.Call and parent.func is node
            if type(parent) is cst.Attribute and parent.attr is node:
                called = type(grand) is cst.Call and grand.func is parent
            binding = type(parent) in (
                cst.FunctionDef,
                cst.ClassDef,
                cst.Param,
                cst.ImportAlias,
                cst.AsName,
            ) or (type(parent) is cst.Arg and parent.keyword is node)
            if not called and not binding:
                found.add(node.value)
            continue
        if type(node) is cst.FunctionDef and not into_functions and node is not root:
            kids: list[cst.CSTNode] = [*node.decorators, node.params]
            if node.returns is not None:
                kids.append(node.returns)
        else:
            kids = children(node)
        stack.extend((child, node, parent) for child in kids)
    return found


class ValueReferences:
    """Which names a module passes around as values, per top-level statement (per file)."""

    def __init__(self, context: FileContext) -> None:
        self._module = context.module
        self._outside_functions: set[str] | None = None
        self._statements: dict[int, set[str]] = {}

    def in_statement(self, statement: cst.CSTNode) -> set[str]:
        """Names used as values in `statement` (all of it), or anywhere in the module outside
        function bodies (module-level code and class bodies: what the editor's incremental
        engine re-lints every statement for when it changes)."""
        if self._outside_functions is None:
            self._outside_functions = _value_names(self._module, into_functions=False)
        inside = self._statements.get(id(statement))
        if inside is None:
            inside = self._statements[id(statement)] = _value_names(statement, into_functions=True)
        return self._outside_functions | inside


@dataclass(frozen=True, slots=True)
class Binding:
    """One module-level binding of a name."""

    node: cst.CSTNode  # the statement or clause that binds it
    index: int  # its top-level statement's index in the module body
    direct: bool  # the top-level statement itself (not inside an `if`/`try`/`with`)
    in_loop: bool  # inside a `for`/`while` (or its target): it changes between iterations


@dataclass(frozen=True, slots=True)
class ModuleNames:
    """How the module binds its global names (built once per file, on first need)."""

    bindings: dict[str, tuple[Binding, ...]]
    declared_global: frozenset[str]  # reassigned from functions through `global`
    star_import: bool

    @staticmethod
    def build(context: FileContext) -> ModuleNames:
        table: dict[str, list[Binding]] = {}
        declared: set[str] = set()
        star = False
        for index, stmt in enumerate(context.module.body):
            loops: set[int] = set()
            for node in iter_subtree_no_scopes(stmt):
                if type(node) in (cst.For, cst.While):
                    loops.update(id(n) for n in iter_subtree_no_scopes(node) if n is not node)
                    if isinstance(node, cst.For):
                        loops.add(id(node))
                if type(node) is cst.ImportFrom and type(node.names) is cst.ImportStar:
                    star = True
                direct = node is stmt or (
                    type(stmt) is cst.SimpleStatementLine and node in stmt.body
                )
                for name, binding in _bindings(node):
                    table.setdefault(name, []).append(
                        Binding(binding, index, direct, id(node) in loops)
                    )
            for node in iter_subtree(stmt):
                if type(node) is cst.Global:
                    declared.update(item.name.value for item in node.names)
        return ModuleNames(
            {name: tuple(found) for name, found in table.items()}, frozenset(declared), star
        )


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
        "Safe: default to `None` and create the value in the body (`if x is None: x = []`), "
        "typed as `X | None` when annotated (inside the quotes of a string annotation; an "
        "annotation that is not a type is left alone), when the function only reads the "
        "value or hands it back to its caller. Unsafe when the function mutates it (state "
        "kept between calls on purpose, such as a counter or a cache, would reset), passes "
        "it on, compares it with `None`, is decorated, or when the default calls a function "
        "or reads a module-level variable (evaluated at every call instead). No fix when the "
        "default reads a parameter, a local or loop variable, or a class attribute, which the "
        "body would see differently."
    )
    flagged = (
        Flagged(
            """
            def run_agent(question, history=[]):
                return [*history, question]
            """,
            line=1,
            column=33,
            message="history",
            fixed="""
            def run_agent(question, history=None):
                if history is None:
                    history = []
                return [*history, question]
            """,
        ),
        Flagged(
            '''
            class Memory:
                def recall(self, fact: str, store: dict[str, str] = {}) -> str | None:
                    """Recall a fact."""
                    return store.get(fact)
            ''',
            line=2,
            message="store",
            fixed='''
            class Memory:
                def recall(self, fact: str, store: dict[str, str] | None = None) -> str | None:
                    """Recall a fact."""
                    if store is None:
                        store = {}
                    return store.get(fact)
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
        Flagged(
            # Deliberate state (difflib numbers lines this way): the fix is offered as unsafe.
            """
            def counter(state=[0]):
                state[0] += 1
                return state[0]
            """,
            line=1,
            message="state",
            fixed="""
            def counter(state=None):
                if state is None:
                    state = [0]
                state[0] += 1
                return state[0]
            """,
        ),
        Flagged(
            # The default captures the enclosing `lnum`: in the body it would read itself.
            """
            def make_reader(lnum):
                def reader(lnum=[lnum]):
                    return lnum[0]
                return reader
            """,
            line=2,
            message="reads `lnum`",
        ),
        Flagged(
            # A loop variable: every function would see its last value.
            """
            for i in range(3):
                def f(acc=[i]):
                    return acc[0]
            """,
            line=2,
            message="reads `i`",
        ),
        Flagged(
            """
            class Node:
                def add(self, children: "list[Node]" = []) -> int:
                    return len(children)
                # the end of the class
            """,
            line=2,
            message="children",
            fixed="""
            class Node:
                def add(self, children: "list[Node] | None" = None) -> int:
                    if children is None:
                        children = []
                    return len(children)
                # the end of the class
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
                if type(p.default) is cst.Call
                else None,
            )
        ]
        for param in mutable:
            assert param.default is not None
            name = param.name.value
            message = f"mutable default for `{name}` is shared between calls"
            verdict = self._verdict(node, param)
            if verdict.safety is Safety.NONE:
                self.report(param.default, f"{message} (no automatic fix: {verdict.reason})")
                continue
            value = cst.Module([]).code_for_node(param.default)
            guard = cst.parse_statement(f"if {name} is None:\n    {name} = {value}\n")
            assert isinstance(guard, cst.If)
            new_param = param.with_changes(
                default=cst.Name("None"), annotation=_optional(param.annotation)
            )
            # Only the parameters are rebuilt: `deep_replace` on the function copied its whole
            # body, node by node (~20 ms for a long function, on every lint).
            new_params = node.params.deep_replace(param, new_param)
            assert isinstance(new_params, cst.Parameters)
            new_function = node.with_changes(
                params=new_params, body=insert_after_docstring(node.body, guard)
            )
            title = f"Default `{name}` to None and create it per call"
            applicability = Applicability.SAFE
            if verdict.safety is Safety.UNSAFE:
                title = f"{title} ({verdict.reason})"
                applicability = Applicability.UNSAFE
            self.report(
                param.default,
                message,
                fix=FixPlan(title, (Replace(node, new_function),), applicability),
            )

    # -- the verdict ----------------------------------------------------------------------

    def _verdict(self, function: cst.FunctionDef, param: cst.Param) -> Verdict:
        assert param.default is not None
        default = param.default
        verdicts = [self._default_verdict(function, default)]
        if verdicts[0].safety is Safety.NONE:
            return verdicts[0]
        verdicts.append(self._signature_verdict(function, param))
        verdicts.append(self._use_verdict(function, param.name.value, default))
        return max(verdicts, key=lambda v: v.safety)

    def _default_verdict(self, function: cst.FunctionDef, default: cst.BaseExpression) -> Verdict:
        """Whether evaluating the default in the body gives the value the `def` gave."""
        for node in iter_subtree(default):
            if isinstance(node, (cst.NamedExpr, cst.Yield, cst.Await)):
                return Verdict(Safety.NONE, "the default has an effect on its scope")
        reads = [read.value for read in _names_read(default)]
        own: set[str] = set()
        class_names: set[str] = set()
        enclosing_names: set[str] = set()
        if reads:
            own = _scope_names(function)
            scopes = [
                a for a in self.context.ancestors if isinstance(a, (cst.FunctionDef, cst.ClassDef))
            ]
            if scopes and isinstance(scopes[-1], cst.ClassDef):
                class_names = _scope_names(scopes[-1])  # the scope the default is evaluated in
            for scope in scopes:
                if isinstance(scope, cst.FunctionDef):
                    enclosing_names |= _scope_names(scope)
        worst = _SAFE
        for name in reads:
            if name in own:
                return Verdict(Safety.NONE, f"the default reads `{name}`, bound in the function")
            if name in class_names:
                return Verdict(Safety.NONE, f"the default reads `{name}`, a class attribute")
            if name in enclosing_names:
                return Verdict(
                    Safety.NONE, f"the default reads `{name}`, a variable of the enclosing function"
                )
            found = self._module_name_verdict(name)
            if found.safety is Safety.NONE:
                return found
            if found.safety > worst.safety:
                worst = found
        callees = {id(n.func) for n in iter_subtree(default) if isinstance(n, cst.Call)}
        for node in iter_subtree(default):
            if isinstance(node, cst.Call):
                if self.context.qualified_name(node.func) not in _PURE_CALLS:
                    return Verdict(Safety.UNSAFE, "unsafe: the default's calls would run per call")
            elif isinstance(node, cst.Attribute) and id(node) not in callees:
                return Verdict(Safety.UNSAFE, "unsafe: the default reads an attribute per call")
        return worst

    def _module_name_verdict(self, name: str) -> Verdict:
        """Whether a module-level (or builtin) name has the same value at every call."""
        names = self.context.shared(ModuleNames.build)
        bindings = names.bindings.get(name, ())
        if name in names.declared_global:
            return Verdict(Safety.NONE, f"the default reads `{name}`, which functions reassign")
        if not bindings:
            if name in _BUILTIN_NAMES and not names.star_import:
                return _SAFE
            return Verdict(Safety.UNSAFE, f"unsafe: the default reads `{name}` per call")
        if any(b.in_loop or isinstance(b.node, cst.AugAssign) for b in bindings):
            return Verdict(Safety.NONE, f"the default reads `{name}`, a loop variable")
        if len(bindings) == 1:
            only = bindings[0]
            definition = (cst.Import, cst.ImportFrom, cst.FunctionDef, cst.ClassDef)
            is_definition = isinstance(only.node, definition) and only.direct
            if is_definition and only.index < self._top_level_index():
                return _SAFE
        return Verdict(Safety.UNSAFE, f"unsafe: the default reads the variable `{name}` per call")

    def _top_level_index(self) -> int:
        """Index in the module body of the statement being visited."""
        stack = self.context.path_stack
        if len(stack) > 1:
            for index, stmt in enumerate(self.context.module.body):
                if stmt is stack[1]:
                    return index
        return len(self.context.module.body)

    def _signature_verdict(self, function: cst.FunctionDef, param: cst.Param) -> Verdict:
        """Whether anything could notice the new default or an explicit None argument."""
        for decorator in function.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Call):
                expression = expression.func
            if self.context.qualified_name(expression) not in _HARMLESS_DECORATORS:
                return Verdict(Safety.UNSAFE, "unsafe: a decorator may read the signature")
        if param.annotation is not None:
            code = cst.Module([]).code_for_node(param.annotation.annotation)
            if _admits_none(code):
                return Verdict(Safety.UNSAFE, "unsafe: the annotation admits None")
        stack = self.context.path_stack
        statement = stack[1] if len(stack) > 1 else function
        references = self.context.shared(ValueReferences)
        if function.name.value in references.in_statement(statement):
            # `inspect.signature(f)`, `tools=[search]`, `command=self.on_click`: whoever
            # receives the function may read its signature (a tool schema, a test).
            return Verdict(Safety.UNSAFE, "unsafe: the function is passed around as a value")
        return _SAFE

    def _use_verdict(
        self, function: cst.FunctionDef, name: str, default: cst.BaseExpression
    ) -> Verdict:
        """Whether the function keeps the default unchanged between calls."""
        for node in iter_subtree(default):
            if node is default or not isinstance(node, cst.BaseExpression):
                continue
            qualified = (
                self.context.qualified_name(node.func) if isinstance(node, cst.Call) else None
            )
            if is_mutable_value(node, qualified):
                # `[[]]`: an element could be changed through a read (`x[0].append`).
                return Verdict(Safety.UNSAFE, "unsafe: the default holds mutable values")
        defaultdict = isinstance(default, cst.Call) and (
            self.context.qualified_name(default.func) == "collections.defaultdict"
        )
        uses = {_classify_use(path, defaultdict) for path in _uses(function, name)}
        if Use.UNKNOWN in uses:
            return Verdict(
                Safety.UNSAFE, "unsafe: the function passes the value on or compares its identity"
            )
        if Use.MUTATES in uses and Use.HANDED_OUT in uses:
            return Verdict(
                Safety.UNSAFE, "unsafe: later calls no longer see what earlier ones added"
            )
        if Use.MUTATES in uses:
            return Verdict(
                Safety.UNSAFE, "unsafe: the function mutates it, maybe as state kept between calls"
            )
        return _SAFE
