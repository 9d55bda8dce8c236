"""Tool and agent registrations found in the CST, and the contract problems each would raise."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import libcst as cst

from agentsense.analyzers.detect.frameworks.agent_tools import agent_tool_lists
from agentsense.analyzers.detect.frameworks.agno import toolkit_methods
from agentsense.analyzers.detect.frameworks.base import DecoratedTool
from agentsense.analyzers.detect.frameworks.langchain import required_fields
from agentsense.analyzers.detect.profiles import (
    PROFILES,
    FrameworkProfile,
    profile_for_base,
    profile_for_decorator,
    profile_for_factory,
    profile_for_factory_call,
)
from agentsense.analyzers.detect.static import (
    MISSING,
    UNKNOWN,
    BasesValue,
    ClassIndex,
    ClassInfo,
    ClassValue,
    Env,
    Evaluator,
    External,
    FunctionValue,
    HookInterpreter,
    HookRun,
    KwargsValue,
    NamespaceValue,
    Opaque,
    OwnerValue,
    Raised,
    Store,
    has_raise,
    has_store,
    is_primitive,
)
from agentsense.analyzers.facts import ModuleFacts, call_binding
from agentsense.analyzers.project_model import RUNTIME_AGENTS, RUNTIME_TOOLS
from agentsense.analyzers.walk import iter_subtree_no_scopes
from agentsense.runtime.contract import (
    ContractProblem,
    ParamSpec,
    json_type_for_type_name,
    spec_problems,
)
from agentsense.runtime.contract import doc_summary as _runtime_doc_summary
from agentsense.runtime.registry import DuplicateToolError

__all__ = [
    "RUNTIME_AGENTS",
    "RUNTIME_TOOLS",
    "Known",
    "Registration",
    "RegistryProblem",
    "ToolParameter",
    "build_registration",
    "candidate_problems",
    "doc_summary",
    "find_registrations",
    "kind_label",
    "known_registrations",
    "registrations_by_definition",
    "registrations_extracted",
    "registrations_of",
    "registry_label",
    "runtime_duplicate_message",
    "tool_entries",
]

Kind = Literal["tool", "agent"]

RUNTIME_TOOL_DECORATOR = "agentsense.runtime.registry.tool"
RUNTIME_TOOL_META = "agentsense.runtime.registry.ToolMeta"
RUNTIME_AGENT = "agentsense.runtime.registry.Agent"
RUNTIME_TOOL_KEYWORDS = frozenset({"name", "description", "parameters"})

# Keywords of user-defined decorators that carry an explicit parameters schema.
SCHEMA_KEYWORDS = frozenset(
    {"parameters", "schema", "input_schema", "parameters_schema", "args_schema", "json_schema"}
)
# Class attributes of user-defined registries that carry one.
SCHEMA_ATTRIBUTES = ("parameters", "input_schema", "args_schema", "inputs", "schema")
# Methods whose signature gives a class-based tool's parameters, in order of preference.
CLASS_TOOL_METHODS = ("execute", "run", "__call__", "forward", "_run", "invoke")
# Words in a user registry's names that say what it holds.
_TOOL_WORDS = frozenset({"tool", "tools"})
_AGENT_WORDS = frozenset({"agent", "agents"})
# Top-level packages whose classes can be registrations (the runtime's and frameworks' bases).
_CLASS_BASE_ROOTS = frozenset(
    {"agentsense"} | {base.split(".")[0] for p in PROFILES for base in p.class_bases}
)
# Class decorators that return the class they are given (a registry decorator above still
# receives the class itself).
_IDENTITY_CLASS_DECORATORS = frozenset(
    {"dataclasses.dataclass", "functools.total_ordering", "typing.final", "enum.unique"}
)
# Top-level packages with calls that make a tool from a function (`from_function`).
_FACTORY_CALLS = frozenset(
    call for p in PROFILES for call in (*p.factory_calls, *p.tool_list_calls)
)
_FACTORY_CALL_ROOTS = frozenset(call.split(".")[0] for call in _FACTORY_CALLS)
_TOOLKIT_BASES = {base: p for p in PROFILES for base in p.toolkit_bases}
# The pseudo-statement whose "branches" are function bodies (see Registration.branch).
FUNCTION_SCOPE = 0
# Values of names and descriptions the linter judges (anything else is left unjudged).
# A description we cannot read statically: stands in so only known values are judged.
_UNKNOWN_DESCRIPTION = "(not static)"


@dataclass(frozen=True, slots=True)
class Known:
    """A value the linter knows statically (it may be None: `description=None`)."""

    value: object


@dataclass(frozen=True, slots=True, eq=False)
class ToolParameter:
    """A parameter the model fills in (self/cls, *args/**kwargs and injected context excluded)."""

    name: str
    annotation: str | None  # the annotation as written, None when there is none
    has_default: bool
    node: cst.Param


@dataclass(frozen=True, slots=True, eq=False)
class RegistryProblem:
    """A reason the registry refuses the registration before the ToolSpec contract runs.

    `origin` "registry": the reference runtime's or a framework's own check (AGT211);
    "guard": a `raise` in a user-defined metaclass / `__init_subclass__` (AGT216).
    """

    origin: Literal["registry", "guard"]
    message: str
    node: cst.CSTNode
    related: tuple[tuple[cst.CSTNode, str], ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Registration:
    """One registration of a tool or agent, as the registry it targets would see it."""

    kind: Kind
    # runtime-decorator, runtime-basetool, runtime-agent, user-decorator, user-metaclass,
    # user-init-subclass, framework:<name>
    source: str
    definition: cst.FunctionDef | cst.ClassDef
    node: cst.CSTNode  # where findings about the registration as a whole go (its name)
    name_value: Known | None  # None: not static
    name_node: cst.CSTNode  # the literal giving the name, else the def/class name
    name_is_literal: bool  # the name is a plain string literal (a fix may edit it)
    description_value: Known | None  # None: not static
    description_node: cst.CSTNode | None
    parameters: tuple[ToolParameter, ...] | None  # None: the signature is not known
    accepts_var_keyword: bool
    is_async: bool
    registry: str | None  # which registry; None when names never clash in it
    refuses_duplicates: bool  # the registry raises on a taken name (else replaces silently)
    schema_node: cst.Dict | None  # an explicit literal parameters schema
    has_schema: bool  # an explicit schema in any form (literal or not) gives the types
    tool_contract: bool  # the ToolSpec contract applies (reference runtime, frameworks, tools)
    checks_name_pattern: bool
    label: str  # prefix naming the framework in messages ("" for the runtime and users)
    problems: tuple[RegistryProblem, ...] = ()
    contract_problems: tuple[ContractProblem, ...] = ()
    # The function a model's call runs: the decorated function, or the class's `execute`
    # (`forward`, `_run`, ...) when this module defines it.
    entry: cst.FunctionDef | None = None
    # Where it runs: (branching statement, branch) pairs from the module down, with
    # (FUNCTION_SCOPE, id) for each enclosing function. Only compared within one file.
    branch: tuple[tuple[int, int], ...] = ()

    @property
    def name(self) -> str | None:
        value = self.name_value.value if self.name_value is not None else None
        return value if isinstance(value, str) else None

    @property
    def description(self) -> str | None:
        value = self.description_value.value if self.description_value is not None else None
        return value if isinstance(value, str) else None

    @property
    def display_name(self) -> str:
        name = self.name
        if name is not None:
            return name
        definition = self.definition
        return definition.name.value

    def message(self, text: str) -> str:
        """A message about this registration, naming the framework when there is one."""
        return f"{self.label}: {text}" if self.label else text

    def nodes(self) -> Iterator[cst.CSTNode]:
        """Every node it refers to; some may lie in other statements (a base class's
        attributes or method, a registry hook's `raise`)."""
        yield self.definition
        yield self.node
        yield self.name_node
        for optional in (self.description_node, self.schema_node, self.entry):
            if optional is not None:
                yield optional
        for param in self.parameters or ():
            yield param.node
        for problem in self.problems:
            yield problem.node
            for node, _ in problem.related:
                yield node

    @property
    def in_function(self) -> bool:
        """Defined in a function body: it registers only when (and each time) that runs."""
        return any(node == FUNCTION_SCOPE for node, _ in self.branch)

    def exclusive_with(self, other: Registration) -> bool:
        """Whether the two can never both run: other branches of one if/try/match, or
        different function bodies."""
        mine = dict(self.branch)
        return any(node in mine and mine[node] != arm for node, arm in other.branch)

    @property
    def registers(self) -> bool:
        """Whether the registry accepts it (refused registrations never take a name)."""
        if self.problems:
            return False
        return not (self.source.startswith("runtime-") and self.contract_problems)


def registry_label(registry: str) -> str:
    """How messages name a registry: `TOOLS`, `mcp`, `the runtime's tool registry`."""
    if registry == RUNTIME_TOOLS:
        return "the runtime's tool registry"
    if registry == RUNTIME_AGENTS:
        return "the runtime's agent registry"
    return registry.rsplit("::", 1)[-1].removeprefix("local:")


def kind_label(kind: Kind, registry: str | None) -> str:
    return "agent type" if kind == "agent" and registry == RUNTIME_AGENTS else kind


def doc_summary(doc: str) -> str:
    """The docstring's first paragraph, lines joined: the description the runtime derives."""
    # The runtime's own helper, so a docstring-derived description cannot differ.
    return _runtime_doc_summary(doc)


class _StandIn:
    """Base of the stand-ins `_stand_in` makes (the only non-primitive Known values)."""


def _stand_in(type_name: str, text: str) -> object:
    """An object whose type is called type_name: messages name the type of a bad value."""
    stand_in_type = type(type_name, (_StandIn,), {"__repr__": lambda self: text})
    return stand_in_type()


def _shown(value: Known | None) -> Known | None:
    """A Known value only when messages may show it: plain data or a stand-in. Anything
    else (an internal value of the interpreter) becomes "not static"."""
    if value is None or is_primitive(value.value) or isinstance(value.value, _StandIn):
        return value
    return None


def build_registration(
    *,
    kind: Kind,
    source: str,
    definition: cst.FunctionDef | cst.ClassDef,
    node: cst.CSTNode | None = None,
    name_value: Known | None = None,
    name_node: cst.CSTNode | None = None,
    name_is_literal: bool = False,
    description_value: Known | None = None,
    description_node: cst.CSTNode | None = None,
    parameters: tuple[ToolParameter, ...] | None = None,
    accepts_var_keyword: bool = False,
    is_async: bool = False,
    registry: str | None = None,
    refuses_duplicates: bool = False,
    schema_node: cst.Dict | None = None,
    has_schema: bool = False,
    tool_contract: bool = False,
    checks_name_pattern: bool = True,
    label: str = "",
    problems: tuple[RegistryProblem, ...] = (),
    entry: cst.FunctionDef | None = None,
) -> Registration:
    """The one way a Registration is made (every extractor, runtime, user or framework).

    Defaults: it is placed on the definition's name; unknown name and description; no
    registry (names never clash). Values an interpreter produced but that are not plain
    data never reach a Registration, so they can never reach a message.
    """
    node = node if node is not None else definition.name
    return Registration(
        kind=kind,
        source=source,
        definition=definition,
        node=node,
        name_value=_shown(name_value),
        name_node=name_node if name_node is not None else node,
        name_is_literal=name_is_literal,
        description_value=_shown(description_value),
        description_node=description_node,
        parameters=parameters,
        accepts_var_keyword=accepts_var_keyword,
        is_async=is_async,
        registry=registry,
        refuses_duplicates=refuses_duplicates,
        schema_node=schema_node,
        has_schema=has_schema,
        tool_contract=tool_contract,
        checks_name_pattern=checks_name_pattern,
        label=label,
        problems=problems,
        entry=entry,
    )


def candidate_problems(reg: Registration) -> list[ContractProblem]:
    """What `agentsense.runtime.contract.spec_problems` says about the registration's ToolSpec candidate.

    Nothing when the registry refuses it earlier (reg.problems) or the contract does not
    apply; problems about values the linter cannot know statically are left out.
    """
    if not reg.tool_contract or reg.problems:
        return []
    name = reg.name_value.value if reg.name_value is not None else None
    description = (
        reg.description_value.value if reg.description_value is not None else _UNKNOWN_DESCRIPTION
    )
    params = [
        ParamSpec(
            name=param.name,
            json_type=None
            if param.annotation is None
            else json_type_for_type_name(param.annotation),
            required=not param.has_default,
        )
        for param in reg.parameters or ()
    ]
    problems = spec_problems(name, description, params, reg.is_async)
    if reg.name_value is None or not reg.checks_name_pattern:
        problems = [
            p
            for p in problems
            if p.field != "name" or (reg.name_value is not None and not isinstance(name, str))
        ]
    return problems


def runtime_duplicate_message(kind: Kind, name: str) -> str:
    """The reference runtime's own message for a second registration under a taken name."""
    error = DuplicateToolError(name, kind="agent type" if kind == "agent" else "tool")
    return error.problems[0].message


@dataclass(frozen=True, slots=True, eq=False)
class RuntimeReader:
    """The reference runtime's registry module, parsed: its hooks run in this interpreter."""

    classes: ClassIndex
    evaluator: Evaluator


@functools.cache
def runtime_reader() -> RuntimeReader | None:
    """runtime/registry.py read as source (never executed for a user's class), once."""
    import agentsense.runtime.registry as registry_module

    try:
        source = Path(registry_module.__file__ or "").read_text(encoding="utf-8")
        module = cst.parse_module(source)
    except (OSError, cst.ParserSyntaxError):
        return None
    facts = ModuleFacts(module)
    classes = ClassIndex(module, facts)
    return RuntimeReader(classes, Evaluator(facts, classes))


def _literal_schema(arg: cst.Arg | None) -> cst.Dict | None:
    """The schema keyword's value when it is a dict literal (the only kind a fix can rewrite)."""
    return arg.value if arg is not None and isinstance(arg.value, cst.Dict) else None


def registrations_of(facts: ModuleFacts) -> tuple[Registration, ...]:
    """The tool and agent registrations of the facts' module, extracted once per module."""
    return facts.derived(_extract)


def registrations_extracted(facts: ModuleFacts) -> bool:
    """Whether something asked for the module's registrations already."""
    return facts.has_derived(_extract)


def known_registrations(facts: ModuleFacts) -> Mapping[int, tuple[Registration, ...]]:
    """Registrations of top-level statements (by `id()`) that cannot have changed since an
    earlier version of the module: an incremental caller provides them
    (`facts.provide(known_registrations, ...)`); none otherwise."""
    return {}


def registrations_by_definition(facts: ModuleFacts) -> dict[int, tuple[Registration, ...]]:
    """`id()` of a def or class -> the registrations it makes (most make one or none)."""
    return facts.derived(_by_definition)


def tool_entries(facts: ModuleFacts) -> frozenset[int]:
    """`id()`s of the functions a registered tool runs (asked once per visited `def`)."""
    return facts.derived(_tool_entries)


def _extract(facts: ModuleFacts) -> tuple[Registration, ...]:
    return find_registrations(facts.module, facts, facts.derived(known_registrations))


def _by_definition(facts: ModuleFacts) -> dict[int, tuple[Registration, ...]]:
    table: dict[int, list[Registration]] = {}
    for reg in registrations_of(facts):
        table.setdefault(id(reg.definition), []).append(reg)
    return {key: tuple(regs) for key, regs in table.items()}


def _tool_entries(facts: ModuleFacts) -> frozenset[int]:
    return frozenset(
        id(r.entry) for r in registrations_of(facts) if r.kind == "tool" and r.entry is not None
    )


def _call_bindings(
    statements: tuple[cst.BaseStatement, ...],
) -> tuple[tuple[str, cst.Call, bool], ...]:
    """`name = factory(...)` in a top-level statement's `statements_in`, at any depth: the
    name, the call, and whether it is the module-level statement itself (the first)."""
    out: list[tuple[str, cst.Call, bool]] = []
    for inner in statements:
        if type(inner) is cst.SimpleStatementLine:
            for small in inner.body:
                binding = call_binding(small)
                if binding is not None:
                    out.append((*binding, inner is statements[0]))
    return tuple(out)


def find_registrations(
    module: cst.Module,
    facts: ModuleFacts,
    known: Mapping[int, tuple[Registration, ...]] | None = None,
) -> tuple[Registration, ...]:
    """Every registration in the module, in source order. Never imports or runs user code.

    `known` maps `id()`s of top-level statements to their registrations from an earlier
    version of the module (the incremental engine's): those statements are not looked at
    again, unless a call elsewhere registers one of their functions anew. The caller
    guarantees that nothing else they depend on outside themselves changed.
    """
    try:
        return tuple(_Extractor(module, facts).run(known or {}))
    except RecursionError:
        return ()


# -- extraction ------------------------------------------------------------------------


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _agent_type_problem(
    keyword: object, declared: object, given: object, abstract_left: frozenset[str]
) -> str | None:
    """Why `Agent.__init_subclass__` refuses the class, in its words; None when it accepts."""
    if keyword is not None and declared is not None and keyword != declared:
        return f"agent_type is given twice, as {keyword!r} and {declared!r}"
    if given is None:
        return (
            "no agent_type: pass agent_type=... or set agent_type in the class body, "
            "or set abstract = True on an intermediate base"
        )
    if not isinstance(given, str) or not given.strip():
        return "agent_type must be a non-empty string"
    if abstract_left:
        return f"abstract method(s) {', '.join(sorted(abstract_left))} are not implemented"
    return None


def _is_plain_string(node: cst.CSTNode | None) -> bool:
    if not isinstance(node, cst.SimpleString):
        return False
    return "b" not in node.prefix.lower() and "f" not in node.prefix.lower()


def _docstring_node(body: cst.BaseSuite) -> cst.BaseExpression | None:
    first: cst.CSTNode
    if isinstance(body, cst.IndentedBlock):
        if not body.body:
            return None
        first = body.body[0]
    else:
        assert isinstance(body, cst.SimpleStatementSuite)
        first = cst.SimpleStatementLine(body.body)
    if (
        isinstance(first, cst.SimpleStatementLine)
        and first.body
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    ):
        return first.body[0].value
    return None


_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def _words(*names: str | None) -> set[str]:
    """The words of identifiers: `ToolRegistry`, `_TOOLS`, `register_tool` -> tool, ..."""
    return {word.lower() for name in names if name for word in _WORD.findall(name)}


def _kind_of(*names: str | None) -> tuple[Kind, bool]:
    """A user registry's kind from its names, and whether the tool contract applies to it."""
    words = _words(*names)
    if words & _TOOL_WORDS:
        return "tool", True
    if words & _AGENT_WORDS:
        return "agent", False
    return "tool", False


def _annotation_head_names(annotation: str) -> set[str]:
    """Every dotted-name part in an annotation (`Annotated[str, InjectedToolArg]`)."""
    out: set[str] = set()
    token: list[str] = []
    for char in annotation + " ":
        if char.isalnum() or char == "_":
            token.append(char)
        else:
            if token:
                out.add("".join(token))
            token = []
    return out


def _model_parameters(
    function: cst.FunctionDef,
    *,
    context_annotations: Sequence[str] = (),
    context_first: bool = False,
    is_method: bool | None = None,
    injected_names: Sequence[str] = (),
) -> tuple[tuple[ToolParameter, ...], bool]:
    """The parameters a model fills in, as the runtime's `parameters_from_function` sees them.

    The first parameter is skipped when it is `self`/`cls` (as the runtime does) or when the
    framework passes its run context there; *args/**kwargs and parameters annotated with a
    framework's injected types are never the model's.
    """
    params = function.params
    ordered = [*params.posonly_params, *params.params, *params.kwonly_params]
    out: list[ToolParameter] = []
    for index, param in enumerate(ordered):
        name = param.name.value
        if index == 0 and (name in ("self", "cls") if is_method is None else is_method):
            continue
        if index == 0 and context_first:
            continue
        if name in injected_names:
            continue
        annotation = _code(param.annotation.annotation) if param.annotation is not None else None
        if annotation is not None and _annotation_head_names(annotation) & set(context_annotations):
            continue
        out.append(ToolParameter(name, annotation, param.default is not None, param))
    return tuple(out), params.star_kwarg is not None


@dataclass(frozen=True, slots=True, eq=False)
class _DecoratorHook:
    """A user-defined decorator that stores the decorated function into a registry."""

    name: str  # as used: `register`, `registry.tool`
    outer: cst.FunctionDef  # the decorator (or decorator factory)
    inner: cst.FunctionDef | None  # the function a factory returns (`@register(...)`)
    bound_self: str | None  # the instance name for a method of a registry object


class _Extractor:
    def __init__(self, module: cst.Module, facts: ModuleFacts) -> None:
        self.module = module
        self.facts = facts
        self.classes = ClassIndex(module, facts)
        self.evaluator = Evaluator(facts, self.classes)
        self.instances: dict[str, str] = {}  # module-level name -> qualified class it makes
        self.local_instances: dict[str, ClassInfo] = {}
        self.nested_instances: set[str] = set()
        self._store_cache: dict[int, bool] = {}
        self._raise_cache: dict[int, bool] = {}
        # id() of a top-level function -> the framework calls that make it a tool.
        self.factory_calls: dict[int, list[tuple[cst.Call, FrameworkProfile]]] = {}
        # id() of a function listed in `Agent(tools=[...])` / a Toolkit method -> its profile.
        self.listed_tools: dict[int, tuple[FrameworkProfile, bool]] = {}
        # id() of a decorated function in one agent's tools list -> that list's registry.
        self.agent_registries: dict[int, tuple[str, FrameworkProfile]] = {}
        self._find_instances()
        self._find_agent_lists()
        self._find_factory_calls()
        self._find_toolkits()

    def _find_toolkits(self) -> None:
        """Toolkit subclasses (agno): the methods their `__init__` lists are tools."""
        if not _TOOLKIT_BASES:
            return
        for info in self.classes.all:
            for base in info.bases:
                profile = _TOOLKIT_BASES.get(self.facts.qualified_name(base) or "")
                if profile is not None:
                    for method in toolkit_methods(info.node):
                        self.listed_tools[id(method)] = (profile, True)
                    break

    def _find_agent_lists(self) -> None:
        """Functions listed in an agent's `tools=[...]` take names in that list; one listed
        by several agents has no single registry (left out)."""
        seen: dict[int, set[str]] = defaultdict(set)
        for listing in agent_tool_lists(self.facts):
            for function in listing.functions:
                seen[id(function)].add(listing.registry)
                self.agent_registries[id(function)] = (listing.registry, listing.profile)
        for key, registries in seen.items():
            if len(registries) > 1:
                del self.agent_registries[key]

    def _find_factory_calls(self) -> None:
        """`StructuredTool.from_function(func=f)` and the like, on this module's functions."""
        functions = self.facts.top_level_functions
        # Both kinds of call name a module-level function of this module as an argument:
        # without one, no call needs resolving (and no statement walking).
        if not functions or not self._may_call_factory():
            return
        for stmt in self.facts.statements:
            if type(stmt) is not cst.SimpleStatementLine:
                continue
            for node in iter_subtree_no_scopes(stmt):
                if type(node) is not cst.Call:
                    continue
                call = node
                func = call.func.value if type(call.func) is cst.Subscript else call.func
                qualified = self.facts.qualified_name(func)  # `marvin.Task[int](...)` too
                lister = next((p for p in PROFILES if qualified in p.tool_list_calls), None)
                if lister is not None:
                    self._note_listed_functions(call, lister, functions)
                    continue
                profile = profile_for_factory_call(qualified)
                if profile is None:
                    continue
                arg = self._keyword(call, (profile.factory_function_keyword,))
                if arg is None:
                    arg = next((a for a in call.args if a.keyword is None and not a.star), None)
                if arg is None or not isinstance(arg.value, cst.Name):
                    continue
                function = functions.get(arg.value.value)
                if function is not None:
                    self.factory_calls.setdefault(id(function), []).append((call, profile))

    def _may_call_factory(self) -> bool:
        """Whether some call of the module can resolve to a factory or tool-list call
        (`facts.qualified_name`): an import names it whole, or binds a prefix of it, or its
        name is spelled out in full from a package the module imports; in the last two cases
        the call's text spells the name's last part, so a source without that word makes
        no call of it. When none can, no statement needs walking."""
        table = dict(self.facts.imports.items())
        bound = set(table.values())
        roots = {qualified.split(".")[0] for qualified in bound}
        if not roots & _FACTORY_CALL_ROOTS:
            return False
        source = self.facts.source
        for call in _FACTORY_CALLS:
            if call in bound:
                return True
            if source is not None and call.rpartition(".")[2] not in source:
                continue
            if any(call.startswith(prefix + ".") for prefix in bound):
                return True
            head = call.partition(".")[0]
            if head in roots and head not in table and head not in self.facts.local_definitions:
                return True
        return False

    def _helpers_called(self, function: cst.FunctionDef) -> list[cst.FunctionDef]:
        """The function and the module-level helpers it calls, transitively (bounded)."""
        found: list[cst.FunctionDef] = [function]
        index = 0
        while index < len(found) and len(found) < 16:
            for node in iter_subtree_no_scopes(found[index]):
                if type(node) is cst.Call and type(node.func) is cst.Name:
                    helper = self.evaluator.helper(node.func.value)
                    if helper is not None and all(helper is not f for f in found):
                        found.append(helper)
            index += 1
        return found

    def _stores(self, function: cst.FunctionDef) -> bool:
        """`has_store` of it or a helper it calls, once per function."""
        found = self._store_cache.get(id(function))
        if found is None:
            found = self._store_cache[id(function)] = any(
                has_store(f) for f in self._helpers_called(function)
            )
        return found

    def _is_hook(self, function: cst.FunctionDef) -> bool:
        """A metaclass `__new__` / `__init_subclass__` worth running: it stores or raises
        (itself or in a module-level helper it calls)."""
        if self._stores(function):
            return True
        found = self._raise_cache.get(id(function))
        if found is None:
            found = self._raise_cache[id(function)] = any(
                has_raise(f) for f in self._helpers_called(function)
            )
        return found

    def _find_instances(self) -> None:
        """Names bound to framework servers/agents and to this module's registry objects.

        A framework instance made inside a function (`mcp = MCPServer(...)` in a factory) is
        recognised too, but only module-level ones get a registry identity: names in
        different functions are different servers.
        """
        bindings: dict[str, set[str | None]] = defaultdict(set)
        found = (
            binding
            for stmt in self.module.body
            for binding in self.facts.of_statements(stmt, _call_bindings)
        )
        for name, value, module_level in found:
            qualified = self.facts.qualified_name(value.func)
            bindings[name].add(qualified)
            if not module_level:
                self.nested_instances.add(name)
                continue
            if isinstance(value.func, cst.Name):
                info = self.classes.top_level.get(value.func.value)
                if info is not None:
                    self.local_instances[name] = info
        for name, made_by in bindings.items():
            only = next(iter(made_by)) if len(made_by) == 1 else None
            if only is not None:
                self.instances[name] = only

    def _classes_may_register(self) -> bool:
        """Whether any class here can be a registration: some hook or known base is around.

        Classes register through a metaclass `__new__` or an `__init_subclass__` of this
        module, or through the runtime's / a framework's bases; without any of them, no MRO
        needs computing.
        """
        if any(
            "__init_subclass__" in info.attrs or "__new__" in info.attrs or info.node.decorators
            for info in self.classes.all
        ):
            return True
        roots = {qualified.split(".")[0] for qualified in self.facts.imports.values()}
        return bool(roots & _CLASS_BASE_ROOTS)

    @staticmethod
    def _branches(roots: Sequence[cst.CSTNode]) -> dict[int, tuple[tuple[int, int], ...]]:
        """The branch path (see Registration.branch) of every def and class statement under
        the given top-level statements."""
        out: dict[int, tuple[tuple[int, int], ...]] = {}
        stack: list[tuple[cst.CSTNode, tuple[tuple[int, int], ...]]] = [
            (root, ()) for root in roots
        ]
        while stack:
            node, path = stack.pop()
            # Exact types (the parser makes no subclasses; isinstance against libcst's
            # abstract classes is slow).
            kind = type(node)
            if kind is cst.FunctionDef or kind is cst.ClassDef:
                out[id(node)] = path
                if kind is cst.FunctionDef:
                    path = (*path, (FUNCTION_SCOPE, id(node)))
                stack.append((node.body, path))  # type: ignore[attr-defined]
            elif type(node) is cst.If:
                stack.append((node.body, (*path, (id(node), 0))))
                if node.orelse is not None:
                    stack.append((node.orelse, (*path, (id(node), 1))))
            elif type(node) is cst.Try or type(node) is cst.TryStar:
                stack.append((node.body, (*path, (id(node), 0))))
                if node.orelse is not None:
                    stack.append((node.orelse, (*path, (id(node), 0))))
                handlers: Sequence[cst.ExceptHandler | cst.ExceptStarHandler] = node.handlers
                for index, handler in enumerate(handlers):
                    stack.append((handler.body, (*path, (id(node), index + 1))))
                if node.finalbody is not None:
                    stack.append((node.finalbody, path))
            elif type(node) is cst.Match:
                for index, case in enumerate(node.cases):
                    stack.append((case.body, (*path, (id(node), index))))
            elif kind is cst.Module or kind is cst.IndentedBlock or kind is cst.Else:
                inner = node.body  # type: ignore[attr-defined]
                if type(inner) is list or type(inner) is tuple:
                    stack.extend((child, path) for child in inner)
                else:
                    stack.append((inner, path))
            elif type(node) is cst.For or type(node) is cst.While or type(node) is cst.With:
                stack.append((node.body, path))
                orelse = getattr(node, "orelse", None)
                if orelse is not None:
                    stack.append((orelse, path))
        return out

    def run(self, known: Mapping[int, tuple[Registration, ...]]) -> list[Registration]:
        """Registrations in source order, those of `known` top-level statements reused."""
        out: list[Registration] = []
        classes = self._classes_may_register()
        top_level = self.facts.top_level_ids
        reused: tuple[Registration, ...] | None = None
        found: list[Registration] = []
        roots: list[cst.BaseStatement] = []

        def flush() -> None:
            if found:
                branches = self._branches(roots)
                out.extend(
                    replace(
                        reg,
                        branch=branches.get(id(reg.definition), ()),
                        contract_problems=tuple(candidate_problems(reg)),
                    )
                    for reg in found
                )
                found.clear()
            roots.clear()

        for stmt in self.facts.statements:
            if id(stmt) in top_level:
                reused = known.get(id(stmt))
                if reused is not None and self._registered_anew(stmt, reused):
                    reused = None
                if reused is not None:
                    flush()
                    out.extend(reused)
                    continue
                roots.append(stmt)
            if reused is not None:
                continue
            # Exact types: asked of every statement (the parser makes no subclasses, and
            # isinstance against libcst's abstract classes is slow).
            if type(stmt) is cst.FunctionDef:
                if stmt.decorators:
                    found.extend(self._function_registrations(stmt))
                if id(stmt) in self.listed_tools:
                    found.append(self._listed_registration(stmt, *self.listed_tools[id(stmt)]))
                if id(stmt) in self.factory_calls:
                    found.extend(
                        self._factory_call_registration(stmt, call, profile)
                        for call, profile in self.factory_calls[id(stmt)]
                    )
            elif type(stmt) is cst.SimpleStatementLine:
                if id(stmt) in top_level:
                    found.extend(self._explicit_registrations(stmt))
            elif classes and type(stmt) is cst.ClassDef:
                info = self.classes.by_node.get(stmt)
                if info is not None:
                    found.extend(self._class_registrations(info))
        flush()
        return out

    def _registered_anew(self, stmt: cst.BaseStatement, reused: Sequence[Registration]) -> bool:
        """Whether a call in another statement registers this function in a way `reused`
        does not hold (`StructuredTool.from_function(func=f)` typed in a function body, a
        `tools=[f]` list added or removed): its registrations depend on that call."""
        if not isinstance(stmt, cst.FunctionDef):
            return False
        made_by = {id(reg.node) for reg in reused}
        if any(id(call.func) not in made_by for call, _ in self.factory_calls.get(id(stmt), ())):
            return True
        # A listed function's registration is made of the function and the lister's profile.
        by_listing = {
            reg.source for reg in reused if reg.node is stmt.name and reg.registry is None
        }
        listed = self.listed_tools.get(id(stmt))
        if listed is None:
            return bool(by_listing)
        return f"framework:{listed[0].name}" not in by_listing

    # -- functions -----------------------------------------------------------------------
    def _function_registrations(self, function: cst.FunctionDef) -> Iterator[Registration]:
        for decorator in function.decorators:
            expr = decorator.decorator
            call = expr if isinstance(expr, cst.Call) else None
            callee = call.func if call is not None else expr
            qualified = self.facts.qualified_name(callee)
            if qualified == RUNTIME_TOOL_DECORATOR:
                yield self._runtime_function(function, call)
                continue
            profile = profile_for_decorator(qualified)
            if profile is not None:
                yield self._framework_function(function, call, profile, None, None)
                continue
            if isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name):
                owner = callee.value.value
                method = callee.attr.value
                factory = profile_for_factory(self.instances.get(owner))
                if factory is not None and method in factory.instance_methods:
                    yield self._framework_function(function, call, factory, owner, method)
                    continue
            hook = self._decorator_hook(callee)
            if hook is not None:
                reg = self._user_function(function, call, hook)
                if reg is not None:
                    yield reg

    def _keyword(self, call: cst.Call | None, names: Sequence[str]) -> cst.Arg | None:
        if call is None:
            return None
        return next(
            (a for a in call.args if a.keyword is not None and a.keyword.value in names), None
        )

    def _static(self, node: cst.BaseExpression, env: Mapping[str, object] | None = None) -> object:
        try:
            return self.evaluator.value(node, env or {})
        except Raised:
            return UNKNOWN

    def _name_from(
        self, node: cst.BaseExpression | None, fallback: cst.Name
    ) -> tuple[Known | None, cst.CSTNode, bool]:
        """Name value, node and literal-ness from an explicit argument, else the def name."""
        if node is None:
            return Known(fallback.value), fallback, False
        value = self._static(node)
        if value is None:
            return Known(fallback.value), fallback, False
        if not is_primitive(value):  # UNKNOWN, or an internal value: never judged or shown
            return None, node, False
        return Known(value), node, _is_plain_string(node)

    def _description_from(
        self, node: cst.BaseExpression | None, function: cst.FunctionDef
    ) -> tuple[Known | None, cst.CSTNode | None]:
        if node is not None:
            value = self._static(node)
            if not is_primitive(value):  # UNKNOWN, or an internal value: never judged or shown
                return None, node
            if value is not None:
                return Known(value), node
        doc = function.get_docstring(clean=True)
        return Known(doc_summary(doc or "")), _docstring_node(function.body)

    def _has_star_args(self, call: cst.Call | None) -> bool:
        return call is not None and any(a.star for a in call.args)

    def _runtime_function(self, function: cst.FunctionDef, call: cst.Call | None) -> Registration:
        problems: list[RegistryProblem] = []
        if call is not None:
            for arg in call.args:
                if arg.star:
                    continue
                if arg.keyword is None:
                    problems.append(
                        RegistryProblem(
                            "registry",
                            "tool() takes the name and description as keywords: "
                            f"@tool(name={_code(arg.value)}); a positional argument is taken "
                            "for the function and the import fails",
                            arg.value,
                        )
                    )
                elif arg.keyword.value not in RUNTIME_TOOL_KEYWORDS:
                    problems.append(
                        RegistryProblem(
                            "registry",
                            f"tool() got an unexpected keyword argument {arg.keyword.value!r}",
                            arg.keyword,
                        )
                    )
        name_arg = self._keyword(call, ("name",))
        description_arg = self._keyword(call, ("description",))
        schema_arg = self._keyword(call, ("parameters",))
        name_value, name_node, literal = self._name_from(
            name_arg.value if name_arg else None, function.name
        )
        description_value, description_node = self._description_from(
            description_arg.value if description_arg else None, function
        )
        if self._has_star_args(call):
            if name_arg is None:
                name_value = None
            if description_arg is None:
                description_value = None
        parameters, var_keyword = _model_parameters(function)
        return build_registration(
            kind="tool",
            source="runtime-decorator",
            definition=function,
            entry=function,
            node=function.name,
            name_value=name_value,
            name_node=name_node,
            name_is_literal=literal,
            description_value=description_value,
            description_node=description_node,
            parameters=parameters,
            accepts_var_keyword=var_keyword,
            is_async=function.asynchronous is not None,
            registry=RUNTIME_TOOLS,
            refuses_duplicates=True,
            schema_node=_literal_schema(schema_arg),
            has_schema=schema_arg is not None,
            tool_contract=True,
            checks_name_pattern=True,
            label="",
            problems=tuple(problems),
        )

    def _framework_function(
        self,
        function: cst.FunctionDef,
        call: cst.Call | None,
        profile: FrameworkProfile,
        owner: str | None,
        method: str | None,
    ) -> Registration:
        problems: list[RegistryProblem] = []
        if profile.requires_call and call is None:
            problems.append(
                RegistryProblem(
                    "registry",
                    f"{profile.label} raises TypeError at import: The @tool decorator was used "
                    "incorrectly. Did you forget to call it? Use @tool() instead of @tool",
                    function.name,
                )
            )
        name_node_expr: cst.BaseExpression | None = None
        if profile.name_positional and call is not None:
            first = next((a for a in call.args if a.keyword is None and not a.star), None)
            if first is not None:
                name_node_expr = first.value
        name_arg = self._keyword(call, profile.name_keywords)
        if name_arg is not None:
            name_node_expr = name_arg.value
        name_value, name_node, literal = self._name_from(name_node_expr, function.name)
        description_arg = self._keyword(call, profile.description_keywords)
        description_value, description_node = self._description_from(
            description_arg.value if description_arg else None, function
        )
        if self._has_star_args(call):
            name_value = None if name_arg is None else name_value
            description_value = None if description_arg is None else description_value
        schema_arg = self._keyword(call, profile.schema_keywords)
        parameters, var_keyword = _model_parameters(
            function,
            context_annotations=profile.context_annotations,
            context_first=method is not None and method in profile.context_first_methods,
            injected_names=profile.injected_names,
        )
        tool = DecoratedTool(function, call, method, tuple(p.node for p in parameters))
        problems.extend(
            RegistryProblem("registry", found.message, found.node)
            for check in profile.function_checks
            for found in check(tool)
        )
        registry = None
        listed = self.agent_registries.get(id(function))
        if listed is not None and listed[1] is profile and owner is None:
            registry = listed[0]
        if (
            profile.per_instance_registry
            and owner is not None
            and owner not in self.nested_instances
        ):
            registry = f"local:{owner}"
            version = self._keyword(call, (profile.version_keyword or "",))
            if version is not None:
                # Versions of one name coexist (fastmcp's `name@version`).
                value = self._static(version.value)
                registry = f"{registry} version {value}" if isinstance(value, str) else None
        return build_registration(
            kind="tool",
            source=f"framework:{profile.name}",
            definition=function,
            entry=function,
            node=function.name,
            name_value=name_value,
            name_node=name_node,
            name_is_literal=literal,
            description_value=description_value,
            description_node=description_node,
            parameters=parameters,
            accepts_var_keyword=var_keyword,
            is_async=function.asynchronous is not None,
            registry=registry,
            refuses_duplicates=False,
            schema_node=_literal_schema(schema_arg),
            has_schema=schema_arg is not None,
            tool_contract=True,
            checks_name_pattern=profile.checks_name_pattern,
            label=profile.label,
            problems=tuple(problems),
        )

    def _note_listed_functions(
        self, call: cst.Call, profile: FrameworkProfile, functions: Mapping[str, cst.FunctionDef]
    ) -> None:
        """Plain functions named in `tools=[...]` (decorated ones are registered already)."""
        arg = self._keyword(call, ("tools",))
        if arg is None or not isinstance(arg.value, (cst.List, cst.Tuple)):
            return
        for element in arg.value.elements:
            if isinstance(element.value, cst.Name):
                function = functions.get(element.value.value)
                if function is not None and not function.decorators:
                    self.listed_tools[id(function)] = (profile, False)

    def _listed_registration(
        self, function: cst.FunctionDef, profile: FrameworkProfile, is_method: bool
    ) -> Registration:
        """A function that a framework takes as a tool as it is (named by its own name,
        described by its docstring)."""
        description_value, description_node = self._description_from(None, function)
        parameters, var_keyword = _model_parameters(
            function,
            context_annotations=profile.context_annotations,
            is_method=is_method,
            injected_names=profile.injected_names,
        )
        return build_registration(
            kind="tool",
            source=f"framework:{profile.name}",
            definition=function,
            entry=function,
            node=function.name,
            name_value=Known(function.name.value),
            name_node=function.name,
            name_is_literal=False,
            description_value=description_value,
            description_node=description_node,
            parameters=parameters,
            accepts_var_keyword=var_keyword,
            is_async=function.asynchronous is not None,
            registry=None,
            refuses_duplicates=False,
            schema_node=None,
            has_schema=False,
            tool_contract=True,
            checks_name_pattern=profile.checks_name_pattern,
            label=profile.label,
        )

    def _factory_call_registration(
        self, function: cst.FunctionDef, call: cst.Call, profile: FrameworkProfile
    ) -> Registration:
        """A tool made by a call on a function (`StructuredTool.from_function(func=f)`).

        Findings about the tool as a whole go on the call: that is what raises.
        """
        name_arg = self._keyword(call, profile.name_keywords)
        name_value, name_node, literal = self._name_from(
            name_arg.value if name_arg else None, function.name
        )
        description_arg = self._keyword(call, profile.description_keywords)
        description_value, description_node = self._description_from(
            description_arg.value if description_arg else None, function
        )
        if profile.describes_by_signature and description_value == Known(""):
            description_value = None
        if self._has_star_args(call):
            name_value = None if name_arg is None else name_value
            description_value = None if description_arg is None else description_value
        schema_arg = self._keyword(call, profile.schema_keywords)
        parameters, var_keyword = _model_parameters(
            function,
            context_annotations=profile.context_annotations,
            injected_names=profile.injected_names,
        )
        return build_registration(
            kind="tool",
            source=f"framework:{profile.name}",
            definition=function,
            entry=function,
            node=call.func,
            name_value=name_value,
            name_node=name_node if name_arg is not None else call.func,
            name_is_literal=literal,
            description_value=description_value,
            description_node=description_node if description_arg is not None else None,
            parameters=parameters,
            accepts_var_keyword=var_keyword,
            is_async=function.asynchronous is not None,
            registry=None,
            refuses_duplicates=False,
            schema_node=_literal_schema(schema_arg),
            has_schema=schema_arg is not None,
            tool_contract=True,
            checks_name_pattern=profile.checks_name_pattern,
            label=profile.label,
        )

    # -- user-defined decorators ---------------------------------------------------------
    def _decorator_hook(self, callee: cst.BaseExpression) -> _DecoratorHook | None:
        if isinstance(callee, cst.Name):
            function = self.facts.top_level_functions.get(callee.value)
            if function is None or callee.value in self.facts.imports:
                return None
            return self._hook_for(callee.value, function, None)
        if isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name):
            info = self.local_instances.get(callee.value.value)
            if info is None:
                return None
            found = self.classes.lookup(info, callee.attr.value)
            if not isinstance(found, tuple) or found[1].function is None:
                return None
            return self._hook_for(
                f"{callee.value.value}.{callee.attr.value}", found[1].function, callee.value.value
            )
        return None

    def _hook_for(
        self, name: str, function: cst.FunctionDef, bound_self: str | None
    ) -> _DecoratorHook | None:
        if self._stores(function):
            return _DecoratorHook(name, function, None, bound_self)
        inner = _returned_function(function)
        if inner is not None and self._stores(inner):
            return _DecoratorHook(name, function, inner, bound_self)
        return None

    def _bind_call(
        self,
        function: cst.FunctionDef,
        call: cst.Call | None,
        env: Env,
        skip: int,
    ) -> bool:
        """Bind a function's parameters from a call (defaults when absent); False if unclear."""
        params = [*function.params.posonly_params, *function.params.params][skip:]
        kwonly = list(function.params.kwonly_params)
        args = list(call.args) if call is not None else []
        if any(a.star for a in args):
            return False
        positional = [a for a in args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in args if a.keyword is not None}
        if len(positional) > len(params) and function.params.star_arg is None:
            return False
        for index, param in enumerate([*params, *kwonly]):
            name = param.name.value
            if index < len(params) and index < len(positional):
                env[name] = self._static(positional[index].value)
            elif name in keywords:
                env[name] = self._static(keywords.pop(name))
            elif param.default is not None:
                env[name] = self._static(param.default)
            else:
                return False
        if keywords and function.params.star_kwarg is None:
            return False
        if isinstance(function.params.star_kwarg, cst.Param):
            values = {k: self._static(v) for k, v in keywords.items()}
            env[function.params.star_kwarg.name.value] = KwargsValue(values)
        return True

    def _run_decorator(
        self, hook: _DecoratorHook, call: cst.Call | None, subject: object
    ) -> HookRun | None:
        """What `@hook` / `@hook(...)` (or `hook(subject)`) does with the subject."""
        skip = 1 if hook.bound_self is not None else 0
        env: Env = {}
        if hook.bound_self is not None:
            first = [*hook.outer.params.posonly_params, *hook.outer.params.params]
            if not first:
                return None
            env[first[0].name.value] = OwnerValue(hook.bound_self)
        if hook.inner is None:
            if call is not None:
                return None  # `@register(...)` on a plain decorator: not what it expects
            params = [*hook.outer.params.posonly_params, *hook.outer.params.params][skip:]
            if not params:
                return None
            env[params[0].name.value] = subject
            for param in params[1:]:
                if param.default is None:
                    return None
                env[param.name.value] = self._static(param.default)
            return HookInterpreter(self.evaluator, subject).run(hook.outer, env)
        if call is None or not self._bind_call(hook.outer, call, env, skip):
            return None
        # Run the factory's body first: it may rebind its arguments or return early.
        outer = HookInterpreter(self.evaluator, UNKNOWN).run(hook.outer, env)
        returned = outer.return_node.value if outer.return_node is not None else None
        if (
            outer.status != "returned"
            or not isinstance(returned, cst.Name)
            or returned.value != hook.inner.name.value
        ):
            return None
        inner_params = [*hook.inner.params.posonly_params, *hook.inner.params.params]
        if not inner_params:
            return None
        env[inner_params[0].name.value] = subject
        return HookInterpreter(self.evaluator, subject).run(hook.inner, env)

    def _user_function(
        self, function: cst.FunctionDef, call: cst.Call | None, hook: _DecoratorHook
    ) -> Registration | None:
        subject = FunctionValue(function, function.get_docstring(clean=True))
        run = self._run_decorator(hook, call, subject)
        if run is None:
            return None
        return self._function_hook_registration(function, call, run, hook.name)

    def _function_hook_registration(
        self, function: cst.FunctionDef, call: cst.Call | None, run: HookRun, hook_name: str
    ) -> Registration | None:
        """What a registry hook's run on a function (decorator or explicit call) registers."""
        if run.status == "unknown":
            return None
        if run.status == "raised":
            return self._refused_function(function, run, hook_name)
        if not run.stores:
            return None
        store = run.stores[0]
        kind, tool_contract = _kind_of(store.container, hook_name)
        key = store.key
        name_value: Known | None = Known(key) if isinstance(key, str) else None
        description_arg = self._keyword(call, ("description",))
        description_value, description_node = self._description_from(
            description_arg.value if description_arg else None, function
        )
        schema_arg = self._keyword(call, tuple(SCHEMA_KEYWORDS))
        parameters, var_keyword = _model_parameters(function)
        name_node: cst.CSTNode = function.name
        literal = False
        name_arg = self._keyword(call, ("name",))
        if (
            name_arg is not None
            and name_value is not None
            and self._static(name_arg.value) == name_value.value
        ):
            name_node, literal = name_arg.value, _is_plain_string(name_arg.value)
        return build_registration(
            kind=kind,
            source="user-decorator",
            definition=function,
            entry=function,
            node=function.name,
            name_value=name_value,
            name_node=name_node,
            name_is_literal=literal,
            description_value=description_value,
            description_node=description_node,
            parameters=parameters,
            accepts_var_keyword=var_keyword,
            is_async=function.asynchronous is not None,
            registry=store.container if store.key is not None else None,
            refuses_duplicates=run.refuses_duplicates,
            schema_node=_literal_schema(schema_arg),
            has_schema=schema_arg is not None,
            tool_contract=tool_contract,
            checks_name_pattern=True,
            label="",
        )

    def _refused_function(
        self, function: cst.FunctionDef, run: HookRun, hook_name: str
    ) -> Registration:
        """A function its registry decorator refuses: the decorator raises at import."""
        assert run.raise_node is not None
        message = run.message or (
            f"function {function.name.value!r} is refused by @{hook_name}: it raises "
            f"{run.exception} when the module is imported"
        )
        kind, _ = _kind_of(hook_name)
        return build_registration(
            kind=kind,
            source="user-decorator",
            definition=function,
            node=function.name,
            problems=(
                RegistryProblem(
                    "guard",
                    message,
                    function.name,
                    ((run.raise_node, f"the check in {hook_name}"),),
                ),
            ),
        )

    # -- explicit registrations at module level ----------------------------------------
    def _explicit_registrations(self, stmt: cst.SimpleStatementLine) -> Iterator[Registration]:
        """`register(Search)`, `registry.add(Search)` and `TOOLS["search"] = Search` run at
        import, on a class or function of this module."""
        for small in stmt.body:
            if type(small) is cst.Expr and type(small.value) is cst.Call:
                call = small.value
                args = call.args
                if len(args) != 1 or args[0].keyword is not None or args[0].star:
                    continue
                subject = self._module_definition(args[0].value)
                hook = self._decorator_hook(call.func)
                if subject is None or hook is None or hook.inner is not None:
                    continue
                yield from self._explicit_run(
                    subject, hook, self._run_decorator(hook, None, self._subject_value(subject))
                )
            elif type(small) is cst.Assign and len(small.targets) == 1:
                target = small.targets[0].target
                subject = self._module_definition(small.value)
                if (
                    subject is None
                    or not isinstance(target, cst.Subscript)
                    or not isinstance(target.value, cst.Name)
                    or target.value.value not in self.evaluator.containers
                    or len(target.slice) != 1
                    or not isinstance(target.slice[0].slice, cst.Index)
                ):
                    continue
                key = self._static(target.slice[0].slice.value)
                container = f"local:{target.value.value}"
                run = HookRun("returned", (Store(container, key, target),))
                yield from self._explicit_run(subject, None, run, container)

    def _explicit_run(
        self,
        subject: ClassInfo | cst.FunctionDef,
        hook: _DecoratorHook | None,
        run: HookRun | None,
        name: str | None = None,
    ) -> Iterator[Registration]:
        if run is None:
            return
        hook_name = hook.name if hook is not None else (name or "")
        if isinstance(subject, ClassInfo):
            function = hook.outer if hook is not None else None
            reg = self._class_hook_registration(
                subject, run, "user-explicit", hook_name, function, (hook_name,)
            )
        else:
            reg = self._function_hook_registration(subject, None, run, hook_name)
            if reg is not None:
                reg = replace(reg, source="user-explicit")
        if reg is not None:
            yield reg

    def _module_definition(self, node: cst.BaseExpression) -> ClassInfo | cst.FunctionDef | None:
        """The module-level class or function a plain name refers to (bound once)."""
        if not isinstance(node, cst.Name) or node.value in self.facts.imports:
            return None
        if node.value in self.evaluator.constants:
            return None
        info = self.classes.top_level.get(node.value)
        if info is not None:
            return info
        return self.facts.top_level_functions.get(node.value)

    @staticmethod
    def _subject_value(subject: ClassInfo | cst.FunctionDef) -> object:
        if isinstance(subject, ClassInfo):
            return ClassValue(subject)
        return FunctionValue(subject, subject.get_docstring(clean=True))

    # -- classes -------------------------------------------------------------------------
    def _class_decorator_registrations(self, info: ClassInfo) -> Iterator[Registration]:
        """`@register` / `@registry.add(...)` on a class: the decorator runs on the class."""
        for decorator in reversed(info.node.decorators):
            expr = decorator.decorator
            call = expr if isinstance(expr, cst.Call) else None
            callee = call.func if call is not None else expr
            hook = self._decorator_hook(callee)
            if hook is None:
                if self.facts.qualified_name(callee) in _IDENTITY_CLASS_DECORATORS:
                    continue
                return  # an unknown decorator below may replace the class
            run = self._run_decorator(hook, call, ClassValue(info))
            if run is not None:
                reg = self._class_hook_registration(
                    info,
                    run,
                    "user-decorator",
                    f"@{hook.name}",
                    hook.inner or hook.outer,
                    (hook.name,),
                )
                if reg is not None:
                    yield reg
            return  # what the decorator returns is not followed: later ones are not read

    def _class_registrations(self, info: ClassInfo) -> Iterator[Registration]:
        yield from self._class_decorator_registrations(info)
        meta = self.classes.metaclass(info)
        if isinstance(meta, External) and meta.qualified == RUNTIME_TOOL_META:
            reg = self._runtime_class(info)
            if reg is not None:
                yield reg
        elif isinstance(meta, ClassInfo) and self.classes.is_metaclass(meta):
            reg = self._metaclass_registration(info, meta)
            if reg is not None:
                yield reg
        owner = self.classes.init_subclass_owner(info)
        if isinstance(owner, External) and owner.qualified == RUNTIME_AGENT:
            reg = self._runtime_agent(info)
            if reg is not None:
                yield reg
        elif isinstance(owner, ClassInfo):
            reg = self._init_subclass_registration(info, owner)
            if reg is not None:
                yield reg
        mro = self.classes.mro(info)
        if mro is not None:
            for entry in mro[1:]:
                if isinstance(entry, External):
                    profile = profile_for_base(entry.qualified)
                    if profile is not None:
                        reg = self._framework_class(info, profile)
                        if reg is not None:
                            yield reg
                        break

    def _attribute(
        self, info: ClassInfo, name: str
    ) -> tuple[Known | None, cst.CSTNode | None, bool] | None:
        """A class attribute's value, node and literal-ness; None when certainly missing."""
        found = self.classes.lookup(info, name)
        if found is MISSING:
            return None
        if not isinstance(found, tuple):
            return None, None, False
        owner, definition = found
        if definition.kind == "function":
            return Known(_stand_in("function", f"<function {owner.name}.{name}>")), None, False
        if definition.kind == "property":
            return Known(_stand_in("property", "<property object>")), None, False
        value = self.evaluator.attr_value(owner, definition)
        node = definition.value if definition.value is not None else definition.node
        if not is_primitive(value):  # UNKNOWN, or an internal value: never judged or shown
            return None, node, False
        if not isinstance(value, (str, int, float, bool, type(None), tuple, list, dict, set)):
            return None, node, False
        return Known(value), node, _is_plain_string(definition.value)

    def _method(self, info: ClassInfo, names: Sequence[str]) -> cst.FunctionDef | bool | None:
        """The first of `names` defined along the MRO; False when we cannot tell."""
        for name in names:
            found = self.classes.lookup(info, name)
            if isinstance(found, tuple):
                return found[1].function
            if found is not MISSING:
                return False
        return None

    def _runtime_class(self, info: ClassInfo) -> Registration | None:
        """A BaseTool subclass, as `ToolMeta.__new__` registers it (or refuses it): the
        metaclass is read from the runtime's own source and run by the same interpreter."""
        reader = runtime_reader()
        meta = reader.classes.top_level.get("ToolMeta") if reader is not None else None
        found = meta.attrs.get("__new__") if meta is not None else None
        hook = found.function if found is not None else None
        if reader is None or meta is None or hook is None:
            return None
        subject = ClassValue(info, home=self.evaluator)
        bound = self._bind_hook(
            hook,
            [
                OwnerValue(meta.name, meta),
                info.name,
                BasesValue(len(info.bases)),
                NamespaceValue(info, home=self.evaluator),
            ],
            self._class_keywords(info, ("metaclass",)),
            info.has_star_keywords,
            "ToolMeta.__new__",
        )
        if bound is None:
            return None
        if isinstance(bound, HookRun):
            run = bound
        else:
            bound["__class_being_created__"] = subject
            run = HookInterpreter(reader.evaluator, subject).run(hook, bound)
        if run.status == "unknown" or (run.status == "returned" and not run.stores):
            return None  # unknown, or an abstract base / intermediate class: not registered
        problems = tuple(
            RegistryProblem("registry", message, info.node.name)
            for message in (run.problems if run.status == "raised" else ())
        )
        if run.status == "raised" and not problems:
            return None  # raised by the contract (build_spec): the contract problems say why
        name = self._attribute(info, "name") or (None, None, False)
        description = self._attribute(info, "description") or (None, None, False)
        execute = self._method(info, ("execute",))
        parameters: tuple[ToolParameter, ...] | None = None
        var_keyword = False
        is_async = False
        if isinstance(execute, cst.FunctionDef):
            parameters, var_keyword = _model_parameters(execute)
            is_async = execute.asynchronous is not None
        return build_registration(
            kind="tool",
            source="runtime-basetool",
            definition=info.node,
            entry=execute if isinstance(execute, cst.FunctionDef) else None,
            node=info.node.name,
            name_value=name[0],
            name_node=name[1] or info.node.name,
            name_is_literal=name[2],
            description_value=description[0],
            description_node=description[1],
            parameters=parameters,
            accepts_var_keyword=var_keyword,
            is_async=is_async,
            registry=RUNTIME_TOOLS,
            refuses_duplicates=True,
            schema_node=None,
            has_schema=False,
            tool_contract=True,
            checks_name_pattern=True,
            label="",
            problems=problems,
        )

    def _runtime_agent(self, info: ClassInfo) -> Registration | None:
        """An `Agent` subclass, as `Agent.__init_subclass__` registers it (or refuses it).

        Its type comes from the `agent_type=` class keyword or an `agent_type = ...` in its own
        body; a class with `abstract = True` in its body, or with abstract methods left and no
        type, is an intermediate base; any other class without a type is refused.
        """
        if not info.complete or info.has_star_keywords:
            return None
        abstract_flag = info.attrs.get("abstract")
        if abstract_flag is not None:
            flag = self.evaluator.attr_value(info, abstract_flag)
            if flag is UNKNOWN or isinstance(flag, Opaque) or bool(flag):
                return None
        keyword = info.keywords.get("agent_type")
        declared: cst.BaseExpression | None = None
        if "agent_type" in info.attrs:
            declared = info.attrs["agent_type"].value
            if info.attrs["agent_type"].kind != "value" or declared is None:
                return None  # a method or property named agent_type: not what the hook reads
        keyword_value = None if keyword is None else self._static(keyword)
        declared_value = None if declared is None else self._static(declared)
        if any(
            value is not None and not is_primitive(value)
            for value in (keyword_value, declared_value)
        ):
            return self._agent_registration(info, None, keyword or declared or info.node.name, ())
        # The keyword wins over the body, as in the runtime (a disagreement is refused below).
        given, node = (
            (keyword_value, keyword) if keyword_value is not None else (declared_value, declared)
        )
        abstract_left = self.classes.abstract_methods(info)
        if abstract_left is UNKNOWN:
            if given is None:
                return None  # perhaps an ABC-style base
            abstract_left = frozenset()
        assert isinstance(abstract_left, frozenset)
        if abstract_left and given is None:
            return None  # an ABC-style intermediate base
        problem = _agent_type_problem(keyword_value, declared_value, given, abstract_left)
        name_node = node or info.node.name
        problems = (
            ()
            if problem is None
            else (RegistryProblem("registry", f"agent class {info.name!r}: {problem}", name_node),)
        )
        return self._agent_registration(
            info, None if given is None else Known(given), name_node, problems
        )

    def _agent_registration(
        self,
        info: ClassInfo,
        name_value: Known | None,
        name_node: cst.CSTNode,
        problems: tuple[RegistryProblem, ...],
    ) -> Registration:
        return build_registration(
            kind="agent",
            source="runtime-agent",
            definition=info.node,
            node=info.node.name,
            name_value=name_value,
            name_node=name_node,
            name_is_literal=_is_plain_string(name_node),
            description_value=None,
            description_node=None,
            parameters=None,
            accepts_var_keyword=False,
            is_async=False,
            registry=RUNTIME_AGENTS,
            refuses_duplicates=True,
            schema_node=None,
            has_schema=False,
            tool_contract=False,
            checks_name_pattern=False,
            label="",
            problems=problems,
        )

    def _framework_class(self, info: ClassInfo, profile: FrameworkProfile) -> Registration | None:
        """A subclass of a framework's tool base that names itself (`name = "..."`)."""
        naming, describing = profile.name_attribute, profile.description_attribute
        if not (naming in info.attrs or describing in info.attrs) or not info.complete:
            return None
        name = self._local_attribute(info, naming, profile)
        description = self._local_attribute(info, describing, profile)
        if name is False or description is False:
            return None
        if profile.pydantic_fields:
            # `name: str = ""`: a field the toolkit or the caller fills in, not a value;
            # `description: str` alone: a required field, given when the tool is made.
            name = _unless_placeholder(name)
            description = _unless_placeholder(description)
            given_later = required_fields(info.node)
            if name is None and naming in given_later:
                name = (None, None, False)
            if description is None and describing in given_later:
                description = (None, None, False)
        problems = tuple(
            RegistryProblem("registry", found.message, found.node)
            for check in profile.class_checks
            for found in check(info.node)
        )
        method = self._local_method(info, profile.class_methods, profile)
        parameters: tuple[ToolParameter, ...] | None = None
        var_keyword = is_async = False
        if isinstance(method, cst.FunctionDef):
            parameters, var_keyword = _model_parameters(
                method, context_annotations=profile.context_annotations
            )
            is_async = method.asynchronous is not None
        schema = self._local_attribute_node(info, profile.schema_attributes, profile)
        has_schema = any(
            name in entry.attrs
            for entry in self._local_entries(info, profile) or []
            for name in profile.schema_attributes
        )
        return build_registration(
            kind="tool",
            source=f"framework:{profile.name}",
            definition=info.node,
            entry=method if isinstance(method, cst.FunctionDef) else None,
            node=info.node.name,
            name_value=name[0] if name else None,
            name_node=(name[1] if name else None) or info.node.name,
            name_is_literal=bool(name and name[2]),
            description_value=description[0] if description else Known(None),
            description_node=description[1] if description else None,
            parameters=parameters,
            accepts_var_keyword=var_keyword,
            is_async=is_async,
            registry=None,
            refuses_duplicates=False,
            schema_node=schema,
            has_schema=has_schema,
            tool_contract=True,
            checks_name_pattern=profile.checks_name_pattern,
            label=profile.label,
            problems=problems,
        )

    def _local_entries(self, info: ClassInfo, profile: FrameworkProfile) -> list[ClassInfo] | None:
        """This module's classes along the MRO up to the framework base; None if unclear."""
        mro = self.classes.mro(info)
        if mro is None:
            return None
        out: list[ClassInfo] = []
        for entry in mro:
            if isinstance(entry, External):
                if entry.qualified in profile.class_bases:
                    return out
                return None
            if not entry.complete:
                return None
            out.append(entry)
        return out

    def _local_attribute(
        self, info: ClassInfo, name: str, profile: FrameworkProfile
    ) -> tuple[Known | None, cst.CSTNode | None, bool] | Literal[False] | None:
        """An attribute set by this module's classes above the framework base.

        None when none sets it (the framework's default applies), False when unclear.
        """
        entries = self._local_entries(info, profile)
        if entries is None:
            return False
        for entry in entries:
            definition = entry.attrs.get(name)
            if definition is None:
                continue
            if definition.kind != "value" or definition.value is None:
                return None, definition.node, False
            value = self._static(definition.value)
            if value is UNKNOWN or not isinstance(value, (str, int, float, bool, type(None))):
                return None, definition.value, False
            return Known(value), definition.value, _is_plain_string(definition.value)
        return None

    def _local_method(
        self, info: ClassInfo, names: Sequence[str], profile: FrameworkProfile
    ) -> cst.FunctionDef | None:
        for entry in self._local_entries(info, profile) or []:
            for name in names:
                definition = entry.attrs.get(name)
                if definition is not None and definition.function is not None:
                    return definition.function
        return None

    def _local_attribute_node(
        self, info: ClassInfo, names: Sequence[str], profile: FrameworkProfile
    ) -> cst.Dict | None:
        for entry in self._local_entries(info, profile) or []:
            for name in names:
                definition = entry.attrs.get(name)
                if definition is not None and isinstance(definition.value, cst.Dict):
                    return definition.value
        return None

    # -- user-defined class registries ---------------------------------------------------
    def _class_keywords(self, info: ClassInfo, skip: Sequence[str]) -> dict[str, object]:
        return {k: self._static(v) for k, v in info.keywords.items() if k not in skip}

    def _bind_hook(
        self,
        hook: cst.FunctionDef,
        positional: Sequence[object],
        keywords: dict[str, object],
        star_keywords: bool,
        where: str,
    ) -> Env | HookRun | None:
        """Bind a hook's parameters: positional values in order, then class keywords.

        A required parameter that no class keyword fills is Python's own TypeError (a
        "raised" HookRun with its message); None when the binding is not clear.
        """
        params = [*hook.params.posonly_params, *hook.params.params]
        env: Env = {}
        if len(params) < len(positional) and hook.params.star_arg is None:
            return None
        for param, value in zip(params, positional, strict=False):
            env[param.name.value] = value
        remaining = dict(keywords)
        missing: dict[str, list[str]] = {"positional": [], "keyword-only": []}
        rest = params[len(positional) :]
        for param in [*rest, *hook.params.kwonly_params]:
            name = param.name.value
            if name in remaining and param not in hook.params.posonly_params:
                env[name] = remaining.pop(name)
            elif star_keywords:
                env[name] = UNKNOWN
            elif param.default is not None:
                env[name] = self._static(param.default)
            else:
                missing["positional" if param in rest else "keyword-only"].append(name)
        for kind, names in missing.items():
            if names and not remaining:
                quoted = [repr(n) for n in names]
                listed = (
                    quoted[0]
                    if len(quoted) == 1
                    else " and ".join(quoted)
                    if len(quoted) == 2
                    else ", ".join(quoted[:-1]) + ", and " + quoted[-1]
                )
                plural = "argument" if len(names) == 1 else "arguments"
                message = f"{where}() missing {len(names)} required {kind} {plural}: {listed}"
                return HookRun("raised", (), "TypeError", message, hook.name)
            if names:
                return None
        if isinstance(hook.params.star_kwarg, cst.Param):
            env[hook.params.star_kwarg.name.value] = KwargsValue(remaining, star_keywords)
        elif remaining or star_keywords:
            return None
        if isinstance(hook.params.star_arg, cst.Param):
            env[hook.params.star_arg.name.value] = UNKNOWN
        return env

    def _metaclass_registration(self, info: ClassInfo, meta: ClassInfo) -> Registration | None:
        mro = self.classes.mro(meta)
        if mro is None or any(
            isinstance(entry, ClassInfo) and "__prepare__" in entry.attrs for entry in mro
        ):
            return None  # a custom namespace (`__prepare__`) is not the class body we read
        found = self.classes.lookup(meta, "__new__")
        if not isinstance(found, tuple) or found[1].function is None:
            return None
        owner, definition = found
        hook = definition.function
        assert hook is not None
        if not self._is_hook(hook):
            return None
        subject = ClassValue(info)
        params = [*hook.params.posonly_params, *hook.params.params]
        if len(params) < 4:
            return None  # not the (mcls, name, bases, namespace) signature we can follow
        env = self._bind_hook(
            hook,
            [
                OwnerValue(owner.name, owner),
                info.name,
                BasesValue(len(info.bases)),
                NamespaceValue(info),
            ],
            self._class_keywords(info, ("metaclass",)),
            info.has_star_keywords,
            f"{owner.name}.__new__",
        )
        if env is None:
            return None
        if isinstance(env, HookRun):
            run = env
        else:
            env["__class_being_created__"] = subject
            run = HookInterpreter(self.evaluator, subject).run(hook, env)
        return self._class_hook_registration(
            info, run, "user-metaclass", f"{owner.name}.__new__", hook, (meta.name,)
        )

    def _init_subclass_registration(self, info: ClassInfo, owner: ClassInfo) -> Registration | None:
        hook = owner.attrs["__init_subclass__"].function
        if hook is None or not self._is_hook(hook):
            return None
        meta = self.classes.metaclass(info)
        if meta is UNKNOWN or (
            isinstance(meta, ClassInfo)
            and any(
                isinstance(entry, ClassInfo) and "__prepare__" in entry.attrs
                for entry in self.classes.mro(meta) or ()
            )
        ):
            return None  # a metaclass we cannot see may rewrite the namespace (pydantic, enum)
        subject = ClassValue(info)
        env = self._bind_hook(
            hook,
            [subject],
            self._class_keywords(info, ("metaclass",)),
            info.has_star_keywords,
            f"{owner.name}.__init_subclass__",
        )
        if env is None:
            return None
        run = (
            env
            if isinstance(env, HookRun)
            else HookInterpreter(self.evaluator, subject).run(hook, env)
        )
        return self._class_hook_registration(
            info, run, "user-init-subclass", f"{owner.name}.__init_subclass__", hook, (owner.name,)
        )

    def _class_hook_registration(
        self,
        info: ClassInfo,
        run: HookRun,
        source: str,
        where: str,
        hook: cst.FunctionDef | None,
        names: Sequence[str],
    ) -> Registration | None:
        problems: tuple[RegistryProblem, ...] = ()
        if run.status == "unknown":
            return None
        if run.status == "raised":
            assert run.raise_node is not None
            message = run.message
            if not message:
                message = (
                    f"class {info.name!r} is refused by {where}: it raises {run.exception} "
                    "when the class is created"
                )
            problems = (
                RegistryProblem(
                    "guard",
                    message,
                    info.node.name,
                    ((run.raise_node, f"the check in {where}"),),
                ),
            )
        elif not run.stores:
            return None  # the hook skips this class (a base, an abstract class)
        stores = run.stores
        container = (
            stores[0].container
            if stores
            else _first_container(hook, self)
            if hook is not None
            else None
        )
        key = stores[0].key if stores else UNKNOWN
        kind, tool_contract = _kind_of(container, *names)
        name_value = Known(key) if isinstance(key, str) else None
        name_node: cst.CSTNode = info.node.name
        literal = False
        if isinstance(key, str) and key != info.name:
            for attr in ("name", "tool_name", "agent_name", "agent_type", "key", "id"):
                found = self._attribute(info, attr)
                if found is not None and found[0] is not None and found[0].value == key:
                    name_node = found[1] or name_node
                    literal = found[2]
                    break
        description: tuple[Known | None, cst.CSTNode | None, bool] | None = None
        parameters: tuple[ToolParameter, ...] | None = None
        var_keyword = is_async = False
        schema: cst.Dict | None = None
        has_schema = False
        method = self._method(info, CLASS_TOOL_METHODS) if kind == "tool" else None
        if tool_contract:
            description = self._attribute(info, "description")
            if description is None:
                doc_node = _docstring_node(info.node.body)
                description = (Known(doc_summary(info.docstring or "")), doc_node, False)
            if isinstance(method, cst.FunctionDef):
                parameters, var_keyword = _model_parameters(method)
                is_async = method.asynchronous is not None
            for attr in SCHEMA_ATTRIBUTES:
                located = self.classes.lookup(info, attr)
                if isinstance(located, tuple):
                    has_schema = True
                    if isinstance(located[1].value, cst.Dict):
                        schema = located[1].value
                    break
        return build_registration(
            kind=kind,
            source=source,
            definition=info.node,
            entry=method if isinstance(method, cst.FunctionDef) else None,
            node=info.node.name,
            name_value=name_value,
            name_node=name_node,
            name_is_literal=literal,
            description_value=description[0] if description else None,
            description_node=description[1] if description else None,
            parameters=parameters,
            accepts_var_keyword=var_keyword,
            is_async=is_async,
            registry=container if stores and key is not None else None,
            refuses_duplicates=run.refuses_duplicates,
            schema_node=schema,
            has_schema=has_schema,
            tool_contract=tool_contract,
            checks_name_pattern=True,
            label="",
            problems=problems,
        )


def _unless_placeholder(
    found: tuple[Known | None, cst.CSTNode | None, bool] | None,
) -> tuple[Known | None, cst.CSTNode | None, bool] | None:
    """An empty-string field default is filled in at instantiation: not statically known."""
    if found is not None and found[0] is not None and found[0].value == "":
        return None, found[1], False
    return found


def _returned_function(function: cst.FunctionDef) -> cst.FunctionDef | None:
    """The nested def a decorator factory returns (`def deco(fn): ...; return deco`)."""
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    nested = {s.name.value: s for s in body.body if isinstance(s, cst.FunctionDef)}
    for stmt in body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if (
                    isinstance(small, cst.Return)
                    and isinstance(small.value, cst.Name)
                    and small.value.value in nested
                ):
                    return nested[small.value.value]
    return None


def _first_container(hook: cst.FunctionDef, extractor: _Extractor) -> str | None:
    """The registry a hook stores into, read from its first store statement."""
    for node in iter_subtree_no_scopes(hook):
        target: cst.BaseExpression | None = None
        if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Subscript):
            target = node.target.value
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ("append", "add", "setdefault", "update")
        ):
            target = node.func.value
        if target is None:
            continue
        if isinstance(target, cst.Name) and target.value in extractor.evaluator.containers:
            return f"local:{target.value}"
        if isinstance(target, cst.Attribute):
            return f"local:{_code(target)}"
    return None
