"""Async API tables and name resolution through scopes, shared by the AGT5xx rules."""

from __future__ import annotations

import weakref
from collections.abc import Collection, Container, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import libcst as cst

from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.walk import iter_subtree_no_scopes

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentsense.analyzers.context import FileContext
    from agentsense.analyzers.index import FileIndex

# Blocking module-level functions (qualified names) -> what to use instead in async code.
_HTTP_ADVICE = (
    "use an async HTTP client (httpx.AsyncClient, aiohttp) or `await asyncio.to_thread(...)`"
)
_SUBPROCESS_ADVICE = "use `asyncio.create_subprocess_exec` or `await asyncio.to_thread(...)`"
BLOCKING_FUNCTIONS: dict[str, str] = {
    "time.sleep": "use `await asyncio.sleep(...)`",
    "urllib.request.urlopen": _HTTP_ADVICE,
    "subprocess.run": _SUBPROCESS_ADVICE,
    "subprocess.call": _SUBPROCESS_ADVICE,
    "subprocess.check_call": _SUBPROCESS_ADVICE,
    "subprocess.check_output": _SUBPROCESS_ADVICE,
    "os.system": _SUBPROCESS_ADVICE,
    "os.popen": _SUBPROCESS_ADVICE,
    "input": "use `await asyncio.to_thread(input, ...)`",
    "getpass.getpass": "use `await asyncio.to_thread(getpass.getpass, ...)`",
}
# rich's prompts read the terminal like `input()` does.
BLOCKING_FUNCTIONS.update(
    {
        f"rich.prompt.{kind}.ask": f"use `await asyncio.to_thread({kind}.ask, ...)`"
        for kind in ("Prompt", "Confirm", "IntPrompt", "FloatPrompt")
    }
)
HTTP_METHODS = frozenset({"get", "post", "put", "delete", "patch", "head", "options", "request"})
BLOCKING_FUNCTIONS.update({f"requests.{method}": _HTTP_ADVICE for method in HTTP_METHODS})
BLOCKING_FUNCTIONS.update({f"httpx.{method}": _HTTP_ADVICE for method in HTTP_METHODS})

# Classes whose instances make blocking requests: HTTP sessions (methods called on the
# instance itself) and LLM clients (`.create(` through a resource: `client.messages.create`).
SYNC_HTTP_SESSIONS = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client"}
)
SYNC_LLM_CLIENTS = frozenset(
    {
        "openai.OpenAI",
        "openai.AzureOpenAI",
        "anthropic.Anthropic",
        "anthropic.AnthropicBedrock",
        "anthropic.AnthropicVertex",
    }
)
ASYNC_LLM_CLIENTS = frozenset(
    {
        "openai.AsyncOpenAI",
        "openai.AsyncAzureOpenAI",
        "anthropic.AsyncAnthropic",
        "anthropic.AsyncAnthropicBedrock",
        "anthropic.AsyncAnthropicVertex",
    }
)
# Async HTTP clients -> their coroutine methods.
ASYNC_HTTP_CLIENTS: dict[str, frozenset[str]] = {
    "httpx.AsyncClient": HTTP_METHODS | {"send", "aclose"},
    "aiohttp.ClientSession": HTTP_METHODS | {"ws_connect", "close"},
}
# Functions that return an awaitable which does nothing useful unless awaited.
KNOWN_ASYNC_FUNCTIONS = frozenset(
    {
        "asyncio.sleep",
        "asyncio.wait_for",
        "asyncio.wait",
        "asyncio.gather",
        "asyncio.to_thread",
        "asyncio.open_connection",
        "asyncio.start_server",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
    }
)
TASK_SPAWNERS = frozenset(
    {
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.tasks.create_task",
        "asyncio.tasks.ensure_future",
    }
)
GATHER = frozenset({"asyncio.gather", "asyncio.tasks.gather"})
TASK_GROUPS = frozenset({"asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup"})
LOOP_FACTORIES = frozenset(
    {
        "asyncio.get_event_loop",
        "asyncio.get_running_loop",
        "asyncio.new_event_loop",
        "asyncio.events.get_event_loop",
        "asyncio.events.get_running_loop",
        "asyncio.events.new_event_loop",
    }
)
# Decorators that leave an `async def` a coroutine function (anything else may wrap it).
TRANSPARENT_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "abc.abstractmethod",
        "functools.wraps",
        "typing.override",
        "typing_extensions.override",
    }
)

# Context managers of test frameworks that expect the code inside to raise or warn: code
# there misuses an API on purpose (`with pytest.raises(RuntimeError): asyncio.gather()`).
EXPECTATION_MANAGERS = frozenset(
    {
        "raises",
        "warns",
        "assertRaises",
        "assertRaisesRegex",
        "assertWarns",
        "assertWarnsRegex",
        "check_warnings",
    }
)
# Calls whose arguments are being checked, not used (`self.assertIs(get_event_loop(), loop)`).
ASSERTION_PREFIXES = ("assert", "fail")

Scope = (
    cst.Module | cst.FunctionDef | cst.Lambda | cst.ListComp | cst.SetComp | cst.DictComp
) | cst.GeneratorExp
_SCOPE_NODES = (
    cst.FunctionDef,
    cst.Lambda,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
)


_SCOPE_KINDS: frozenset[type[cst.CSTNode]] = frozenset(_SCOPE_NODES)


@dataclass(frozen=True, slots=True)
class Binding:
    """One way a name gets bound in a scope.

    `kind` is "value" (`name = expr`, `name: T = expr`, `name := expr`: `value` is the
    expression, `annotation` any annotation), "with" (`with expr as name`), "param",
    "def" (`node` is the FunctionDef) or "other" (imports, loops, unpacking, globals...).
    An absolute import also records what it binds: `imported` is `asyncio` for
    `import asyncio` (or `import asyncio as aio`), `asyncio.sleep` for
    `from asyncio import sleep`.
    """

    kind: str
    value: cst.BaseExpression | None = None
    annotation: cst.BaseExpression | None = None
    node: cst.CSTNode | None = None
    imported: str | None = None


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    """Names bound by an assignment/loop target (inside tuples and lists, starred too)."""
    stack: list[cst.BaseExpression] = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node.value
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                stack.append(element.value)
        elif isinstance(node, cst.StarredElement):
            stack.append(node.value)


def _params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def collect_bindings(scope: Scope, index: FileIndex | None = None) -> dict[str, list[Binding]]:
    """Every name bound directly in `scope` (not in nested functions, lambdas or classes).

    With the file's `index`, the scope's nodes come from it (walked once for every rule).
    """
    table: dict[str, list[Binding]] = {}

    def add(name: str, binding: Binding) -> None:
        table.setdefault(name, []).append(binding)

    if isinstance(scope, (cst.FunctionDef, cst.Lambda)):
        for param in _params(scope.params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            add(param.name.value, Binding("param", annotation=annotation, node=param))
        roots: list[cst.CSTNode] = [scope.body]
    elif isinstance(scope, cst.Module):
        roots = [scope]
    else:
        # A comprehension binds only its own targets (walrus targets leak out of it).
        comp_for: cst.CompFor | None = scope.for_in
        while comp_for is not None:
            for name in _target_names(comp_for.target):
                add(name, Binding("other"))
            comp_for = comp_for.inner_for_in
        return table
    kinds = _BINDING_KINDS
    for root in roots:
        for node in iter_subtree_no_scopes(root) if index is None else index.nodes(root):
            if type(node) in kinds:  # exact types: most nodes bind nothing
                _collect_node(node, add)
    return table


# Every kind `_collect_node` looks at (exact types: the parser makes no subclasses).
_BINDING_KINDS = frozenset(
    {
        cst.Assign,
        cst.AnnAssign,
        cst.NamedExpr,
        cst.AugAssign,
        cst.For,
        cst.WithItem,
        cst.FunctionDef,
        cst.ClassDef,
        cst.Import,
        cst.ImportFrom,
        cst.ExceptHandler,
        cst.Global,
        cst.Nonlocal,
        cst.MatchAs,
        cst.MatchStar,
    }
)


def _collect_node(node: cst.CSTNode, add: Callable[[str, Binding], None]) -> None:
    if type(node) is cst.Assign:
        for target in node.targets:
            if type(target.target) is cst.Name:
                add(target.target.value, Binding("value", value=node.value))
            else:
                for name in _target_names(target.target):
                    add(name, Binding("other"))
    elif type(node) is cst.AnnAssign:
        if type(node.target) is cst.Name and node.value is not None:
            add(
                node.target.value,
                Binding("value", value=node.value, annotation=node.annotation.annotation),
            )
    elif type(node) is cst.NamedExpr:
        if type(node.target) is cst.Name:
            add(node.target.value, Binding("value", value=node.value))
    elif type(node) is cst.AugAssign or type(node) is cst.For:
        for name in _target_names(node.target):
            add(name, Binding("other"))
    elif type(node) is cst.WithItem:
        if node.asname is not None:
            if type(node.asname.name) is cst.Name:
                add(node.asname.name.value, Binding("with", value=node.item))
            else:
                for name in _target_names(node.asname.name):
                    add(name, Binding("other"))
    elif type(node) is cst.FunctionDef:
        add(node.name.value, Binding("def", node=node))
    elif type(node) is cst.ClassDef:
        add(node.name.value, Binding("other", node=node))
    elif type(node) is cst.Import or type(node) is cst.ImportFrom:
        _collect_import(node, add)
    elif type(node) is cst.ExceptHandler:
        if node.name is not None and type(node.name.name) is cst.Name:
            add(node.name.name.value, Binding("other"))
    elif type(node) is cst.Global or type(node) is cst.Nonlocal:
        for item in node.names:
            add(item.name.value, Binding("other"))
    elif (type(node) is cst.MatchAs or type(node) is cst.MatchStar) and node.name is not None:
        add(node.name.value, Binding("other"))


def _collect_import(node: cst.Import | cst.ImportFrom, add: Callable[[str, Binding], None]) -> None:
    if isinstance(node.names, cst.ImportStar):
        return
    module = None
    if isinstance(node, cst.ImportFrom):
        module = dotted_name(node.module) if node.module is not None and not node.relative else None
    for alias in node.names:
        full = dotted_name(alias.name) or ""
        if isinstance(node, cst.ImportFrom):
            imported = f"{module}.{full}" if module and full else None
        else:
            imported = full if alias.asname is not None else full.split(".")[0]
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            add(alias.asname.name.value, Binding("other", imported=imported or None))
        else:
            add(full.split(".")[0], Binding("other", imported=imported or None))


def is_generator(function: cst.FunctionDef) -> bool:
    """Whether the function's own body yields (an `async def` with `yield` is no coroutine)."""
    return any(isinstance(n, cst.Yield) for n in iter_subtree_no_scopes(function.body))


class ScopeIndex:
    """Name resolution for the node being visited, through the enclosing scopes.

    Bindings are computed once per scope and cached for the whole file.
    """

    def __init__(self, context: FileContext) -> None:
        # Weak: the context keeps this index in its shared table, and a strong reference back
        # would be a cycle holding the file's whole tree until a full garbage collection
        # (in a run over many files, ~14% of the time went to such collections).
        self._context = weakref.ref(context)
        self._bindings: dict[int, dict[str, list[Binding]]] = {}
        self._class_attrs: dict[tuple[int, str], list[Binding]] = {}

    @property
    def context(self) -> FileContext:
        context = self._context()
        assert context is not None, "a ScopeIndex outlived its file's context"
        return context

    def bindings(self, scope: Scope) -> dict[str, list[Binding]]:
        key = id(scope)
        table = self._bindings.get(key)
        if table is None:
            table = collect_bindings(scope, self.context.index)
            self._bindings[key] = table
        return table

    def scope_chain(self) -> list[Scope]:
        """Scopes visible from the current node, innermost first, the module last.

        Class bodies are skipped, as Python skips them for code in methods.
        """
        # Exact types: asked for most nodes of every file (the parser makes no subclasses,
        # and isinstance against libcst's abstract classes is slow).
        kinds = _SCOPE_KINDS
        stack = self.context.path_stack
        chain: list[Scope] = [
            cast(Scope, stack[index])
            for index in range(len(stack) - 2, -1, -1)
            if type(stack[index]) in kinds
        ]
        chain.append(self.context.module)
        return chain

    def lookup(self, name: str) -> tuple[Scope, list[Binding]] | None:
        """The innermost scope binding `name`, with all its bindings there."""
        for scope in self.scope_chain():
            if scope is self.context.module:
                self.context.facts.note_read(name)  # a module-level binding is read
            found = self.bindings(scope).get(name)
            if found:
                return scope, found
        return None

    def locally_bound(self, name: str) -> bool:
        """Whether a function, lambda or comprehension around the node binds `name`."""
        return any(name in self.bindings(scope) for scope in self.scope_chain()[:-1])

    def qualified_among(self, expr: cst.BaseExpression, names: Collection[str]) -> str | None:
        """The qualified name of `expr` when it is one of `names` and its head name is not
        rebound in an enclosing function (`async def f(time): time.sleep(1)`)."""
        if not self.context.index.may_name(names):
            return None  # no word of the file can make one of `names`: no scope walk
        dotted = dotted_name(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if self.locally_bound(head):
            # `import asyncio` inside the function: resolve through that import.
            imported = self.local_import(head)
            if imported is None:
                return None
            resolved = f"{imported}.{rest}" if rest else imported
            return resolved if resolved in names else None
        qualified = self.context.qualified_name(expr)
        if qualified is None or qualified not in names:
            return None
        return qualified

    def local_import(self, name: str) -> str | None:
        """What `name` names when the innermost function binding it binds it only by
        absolute imports of one thing (`import asyncio` in the function body)."""
        found = self.lookup(name)
        if found is None or found[0] is self.context.module:
            return None
        imported = {b.imported for b in found[1]}
        if len(imported) != 1:
            return None
        return imported.pop()

    def instance_class(
        self, expr: cst.BaseExpression, classes: frozenset[str], any_of: bool = False
    ) -> str | None:
        """Which of `classes` `expr` is an instance of, when every binding agrees; else None.

        Understood: `Cls(...)` itself, a name bound only to `Cls(...)` (by assignment or
        `with Cls(...) as name`, or `A(...) if c else B(...)`) or annotated `Cls`, and
        `self.attr` set only that way in the enclosing class. With `any_of`, bindings to
        different classes of `classes` (a client chosen in an `if`/`elif`) give the first
        of them in sorted order: the caller only needs "one of these".
        """
        if not self.context.index.may_name(classes):
            return None  # every answer comes from `qualified_among(..., classes)`
        if isinstance(expr, cst.Call):
            return self._constructed(expr, classes)
        if isinstance(expr, cst.Name):
            found = self.lookup(expr.value)
            if found is None:
                return None
            return self._agreed(found[1], classes, any_of)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            method = self.enclosing_method()
            if method is None:
                return None
            function, class_def = method
            if _first_param(function) != expr.value.value:
                return None
            return self._agreed(
                self.attribute_bindings(class_def, expr.attr.value), classes, any_of
            )
        return None

    def _constructed(self, expr: cst.BaseExpression, classes: frozenset[str]) -> str | None:
        if isinstance(expr, cst.IfExp):
            chosen = {
                self._constructed(expr.body, classes),
                self._constructed(expr.orelse, classes),
            }
            return chosen.pop() if len(chosen) == 1 else None
        if not isinstance(expr, cst.Call):
            return None
        return self.qualified_among(expr.func, classes)

    def _annotated(
        self, annotation: cst.BaseExpression | None, classes: frozenset[str]
    ) -> str | None:
        if annotation is None:
            return None
        return self.qualified_among(annotation, classes)

    def _agreed(
        self, bindings: Sequence[Binding], classes: frozenset[str], any_of: bool = False
    ) -> str | None:
        kinds: set[str] = set()
        for binding in bindings:
            if binding.kind in ("value", "param"):
                found = self._annotated(binding.annotation, classes)
                if found is None and binding.value is not None:
                    found = self._constructed(binding.value, classes)
            elif binding.kind == "with" and binding.value is not None:
                found = self._constructed(binding.value, classes)
            else:
                found = None
            if found is None:
                return None
            kinds.add(found)
        if any_of and kinds:
            return min(kinds)
        return kinds.pop() if len(kinds) == 1 else None

    def enclosing_method(self) -> tuple[cst.FunctionDef, cst.ClassDef] | None:
        """The innermost function when it is a method defined directly in a class body."""
        ancestors = self.context.ancestors
        # Exact types (the parser makes no subclasses; isinstance against libcst's
        # abstract classes is slow).
        for index in range(len(ancestors) - 1, -1, -1):
            node = ancestors[index]
            if type(node) is cst.Lambda:
                return None
            if type(node) is cst.FunctionDef:
                if index >= 2 and type(ancestors[index - 1]) is cst.IndentedBlock:
                    class_def = ancestors[index - 2]
                    if type(class_def) is cst.ClassDef:
                        return node, class_def
                return None
        return None

    def attribute_bindings(self, class_def: cst.ClassDef, attr: str) -> list[Binding]:
        """Bindings of `self.attr` in the class's methods and of `attr` in its body."""
        key = (id(class_def), attr)
        cached = self._class_attrs.get(key)
        if cached is not None:
            return cached
        found: list[Binding] = []
        body = class_def.body.body if isinstance(class_def.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                found.extend(_self_attribute_bindings(stmt, attr))
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.AnnAssign) and _is_name(small.target, attr):
                        found.append(
                            Binding(
                                "value", value=small.value, annotation=small.annotation.annotation
                            )
                        )
                    elif isinstance(small, cst.Assign) and any(
                        _is_name(t.target, attr) for t in small.targets
                    ):
                        found.append(Binding("value", value=small.value))
        self._class_attrs[key] = found
        return found


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _first_param(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _self_attribute_bindings(method: cst.FunctionDef, attr: str) -> list[Binding]:
    owner = _first_param(method)
    if owner is None:
        return []

    def is_target(node: cst.BaseExpression) -> bool:
        return (
            type(node) is cst.Attribute and node.attr.value == attr and _is_name(node.value, owner)
        )

    found: list[Binding] = []
    for node in iter_subtree_no_scopes(method.body):
        if type(node) is cst.Assign:
            if any(is_target(t.target) for t in node.targets):
                found.append(Binding("value", value=node.value))
            elif any(
                is_target(e.value)
                for t in node.targets
                if type(t.target) is cst.Tuple or type(t.target) is cst.List
                for e in t.target.elements
            ):
                found.append(Binding("other"))
        elif type(node) is cst.AnnAssign and is_target(node.target):
            found.append(Binding("value", value=node.value, annotation=node.annotation.annotation))
        elif (type(node) is cst.AugAssign or type(node) is cst.For) and is_target(node.target):
            found.append(Binding("other"))
        elif type(node) is cst.WithItem and node.asname is not None and is_target(node.asname.name):
            found.append(Binding("with", value=node.item))
    return found


def in_expected_failure(ancestors: Sequence[cst.CSTNode]) -> bool:
    """Whether the node sits in a `with pytest.raises(...)`/`self.assertRaises(...)`-style
    block of its function: test code that triggers an error or warning on purpose."""
    for node in reversed(ancestors):
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        if isinstance(node, cst.With):
            for item in node.items:
                manager = item.item
                if isinstance(manager, cst.Call):
                    manager = manager.func
                name = dotted_name(manager)
                if name is not None and name.split(".")[-1] in EXPECTATION_MANAGERS:
                    return True
    return False


def in_assertion(ancestors: Sequence[cst.CSTNode]) -> bool:
    """Whether the node is checked by an `assert` or a `self.assert*(...)` call argument."""
    for node in reversed(ancestors):
        if isinstance(node, cst.Assert):
            return True
        if isinstance(node, (cst.BaseStatement, cst.Lambda)):
            return False
        if isinstance(node, cst.Call):
            name = dotted_name(node.func)
            if name is not None and name.split(".")[-1].startswith(ASSERTION_PREFIXES):
                return True
    return False


def decorators_transparent(function: cst.FunctionDef, context: FileContext) -> bool:
    """Whether every decorator keeps an `async def` a plain coroutine function."""
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        qualified = context.qualified_name(expr)
        if qualified not in TRANSPARENT_DECORATORS:
            return False
    return True


def is_plain_coroutine_function(function: cst.FunctionDef, context: FileContext) -> bool:
    """An `async def` that, called, returns a coroutine (no yield, no wrapping decorator)."""
    return (
        function.asynchronous is not None
        and decorators_transparent(function, context)
        and not is_generator(function)
    )


def asyncio_reference(context: FileContext, scopes: ScopeIndex) -> tuple[str, bool] | None:
    """The name to write for the `asyncio` module, and whether `import asyncio` must be added.

    None when `asyncio` is taken by something else, so a fix would change its meaning.
    """
    imports = context.facts.imports
    if imports.get("asyncio") == "asyncio" and not scopes.locally_bound("asyncio"):
        return "asyncio", False
    for local, qualified in sorted(imports.items()):
        if qualified == "asyncio" and not scopes.locally_bound(local):
            return local, False
    if (
        "asyncio" in imports
        or "asyncio" in context.facts.local_definitions
        or scopes.locally_bound("asyncio")
    ):
        return None
    return "asyncio", True


def task_group_names(node: cst.With, context: FileContext) -> set[str]:
    """`group` for each `async with asyncio.TaskGroup() as group` item of `node`."""
    if node.asynchronous is None:
        return set()
    return {
        item.asname.name.value
        for item in node.items
        if isinstance(item.item, cst.Call)
        and context.qualified_name(item.item.func) in TASK_GROUPS
        and item.asname is not None
        and isinstance(item.asname.name, cst.Name)
    }


def task_group_spawns(body: cst.CSTNode, groups: Container[str]) -> Iterator[cst.Call]:
    """The `group.create_task(...)` calls in `body` (not in nested scopes) on one of `groups`."""
    for node in iter_subtree_no_scopes(body):
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "create_task"
            and dotted_name(node.func.value) in groups
        ):
            yield node
