"""Static values from the CST: literals, module constants, classes along their MRO, registry hooks.

An abstract interpreter with UNKNOWN: unknown conditions are explored on both sides and the
paths merged, a verdict only where every path agrees. The semantics (values, the class
namespace, statements, inlining, merging) are written down in analyzers/detect/README.md.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, NoReturn

import libcst as cst

from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.walk import iter_subtree, iter_subtree_no_scopes


class _Unknown:
    """A value the linter cannot know without running the code."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


class _Missing:
    """An attribute that is certainly not defined anywhere along a class's MRO."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

# Bases whose attributes we know; anything else external makes attribute lookups unknown.
# Dunder names are never answered from this table (object defines many of them).
KNOWN_EXTERNAL_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "object": frozenset(),
    "builtins.object": frozenset(),
    "abc.ABC": frozenset(),
    "typing.Generic": frozenset(),
    "typing.Protocol": frozenset(),
    "typing_extensions.Protocol": frozenset(),
    "agentsense.runtime.registry.BaseTool": frozenset({"abstract", "execute"}),
    "agentsense.runtime.registry.Agent": frozenset({"abstract", "agent_type", "create"}),
    "type": frozenset({"mro"}),
    "builtins.type": frozenset({"mro"}),
    "abc.ABCMeta": frozenset({"mro", "register"}),
    "agentsense.runtime.registry.ToolMeta": frozenset({"mro", "register"}),
}
# Abstract methods that known external bases leave to subclasses.
KNOWN_EXTERNAL_ABSTRACT: Mapping[str, frozenset[str]] = {
    "agentsense.runtime.registry.BaseTool": frozenset({"execute"}),
}
# The reference runtime's problem record: its message is what the runtime shows.
CONTRACT_PROBLEM = "agentsense.runtime.contract.ContractProblem"
BUILD_SPEC = "agentsense.runtime.contract.build_spec"
ENUM_BASES = frozenset(
    {"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum"}
)
_BUILTIN_MIXINS = frozenset({"str", "int", "float", "bytes", "builtins.str", "builtins.int"})
ABSTRACT_DECORATORS = frozenset({"abc.abstractmethod", "abstractmethod"})
_METACLASS_ROOTS = frozenset({"type", "builtins.type", "abc.ABCMeta"})
_ABC_METACLASSES = frozenset({"abc.ABCMeta", "agentsense.runtime.registry.ToolMeta"})
_CONTAINER_FACTORIES = frozenset(
    {
        "dict",
        "list",
        "set",
        "collections.defaultdict",
        "collections.OrderedDict",
        "weakref.WeakValueDictionary",
    }
)
# Methods that put a value into a container.
STORE_METHODS = frozenset({"append", "add", "setdefault", "update", "__setitem__", "insert"})


# -- classes ---------------------------------------------------------------------------


AttrKind = Literal["value", "function", "abstract", "property", "class", "opaque"]


@dataclass(frozen=True, slots=True, eq=False)
class AttrDef:
    """One name a class body binds."""

    name: str
    kind: AttrKind
    node: cst.CSTNode = field(repr=False)  # the target Name (or the def/class name)
    value: cst.BaseExpression | None = field(default=None, repr=False)  # for "value"
    function: cst.FunctionDef | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, eq=False)
class ClassInfo:
    """A class statement as the linter sees it: its bases, keywords and own namespace."""

    node: cst.ClassDef = field(repr=False)
    name: str
    bases: tuple[cst.BaseExpression, ...] = field(repr=False)
    keywords: Mapping[str, cst.BaseExpression] = field(repr=False)
    attrs: Mapping[str, AttrDef]
    # False when the body binds names in ways we do not follow (if/for/try/del/star-args).
    complete: bool
    docstring: str | None
    has_star_keywords: bool  # `class C(Base, **options)`: the keywords are unknown
    has_star_bases: bool = False  # `class C(*bases)`: the bases are unknown
    # The body annotates a name (`name: str`): Python adds `__annotations__` to the namespace.
    annotated: bool = False

    @property
    def may_have_class_cell(self) -> bool:
        """A method says `super()` or `__class__`: Python may add `__classcell__`.

        Computed when asked (rarely: only a lookup of `__classcell__` needs it), not with
        every class: it walks the whole class body."""
        return any(
            type(inner) is cst.Name and inner.value in ("super", "__class__")
            for inner in iter_subtree(self.node.body)
        )


@dataclass(frozen=True, slots=True)
class External:
    """A base that is not a class of this module, by qualified name."""

    qualified: str


Base = ClassInfo | External


def _decorator_names(node: cst.FunctionDef, facts: ModuleFacts) -> list[str]:
    names: list[str] = []
    for decorator in node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        names.append(facts.qualified_name(expr) or "")
    return names


def _function_kind(node: cst.FunctionDef, facts: ModuleFacts) -> AttrKind:
    names = _decorator_names(node, facts)
    if any(name in ABSTRACT_DECORATORS for name in names):
        return "abstract"
    if any(name in ("property", "functools.cached_property") for name in names):
        return "property"
    if names and not all(name in ("staticmethod", "classmethod") for name in names):
        return "opaque"  # an unknown decorator may return anything
    return "function"


def _target_names(target: cst.BaseExpression) -> list[cst.Name] | None:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        found: list[cst.Name] = []
        for element in target.elements:
            inner = _target_names(element.value)
            if inner is None:
                return None
            found.extend(inner)
        return found
    return None


def _class_info(node: cst.ClassDef, facts: ModuleFacts) -> ClassInfo:
    attrs: dict[str, AttrDef] = {}
    complete = True
    annotated = False
    body = node.body
    for stmt in _body_statements(body):
        if type(stmt) is cst.FunctionDef:
            kind = _function_kind(stmt, facts)
            attrs[stmt.name.value] = AttrDef(stmt.name.value, kind, stmt.name, function=stmt)
        elif type(stmt) is cst.ClassDef:
            attrs[stmt.name.value] = AttrDef(stmt.name.value, "class", stmt.name)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if type(small) is cst.Assign:
                    for target in small.targets:
                        names = _target_names(target.target)
                        if names is None:
                            continue  # `x[k] = v` / `a.b = v` bind nothing in the namespace
                        single = len(small.targets) == 1 and isinstance(target.target, cst.Name)
                        for name in names:
                            attrs[name.value] = AttrDef(
                                name.value,
                                "value" if single else "opaque",
                                name,
                                value=small.value if single else None,
                            )
                elif isinstance(small, cst.AnnAssign):
                    annotated = annotated or isinstance(small.target, cst.Name)
                    # `name: str` alone binds nothing: only an annotation.
                    if small.value is not None and isinstance(small.target, cst.Name):
                        attrs[small.target.value] = AttrDef(
                            small.target.value, "value", small.target, value=small.value
                        )
                elif isinstance(small, cst.AugAssign):
                    if isinstance(small.target, cst.Name):
                        attrs[small.target.value] = AttrDef(
                            small.target.value, "opaque", small.target
                        )
                elif type(small) is cst.Import or type(small) is cst.ImportFrom:
                    if isinstance(small.names, cst.ImportStar):
                        complete = False
                        continue
                    for alias in small.names:
                        bound = alias.asname.name if alias.asname is not None else alias.name
                        if isinstance(bound, cst.Name):
                            attrs[bound.value] = AttrDef(bound.value, "opaque", bound)
                        else:
                            top = (dotted_name(bound) or "").split(".")[0]
                            if top:
                                attrs[top] = AttrDef(top, "opaque", alias.name)
                elif type(small) in (cst.Del, cst.Global, cst.Nonlocal):
                    complete = False
                elif isinstance(small, cst.Expr) and any(
                    type(n) is cst.NamedExpr for n in iter_subtree_no_scopes(small)
                ):
                    complete = False  # a walrus in the class body binds a name we do not track
        else:
            complete = False  # if/for/while/try/with/match may bind anything
    keywords: dict[str, cst.BaseExpression] = {}
    bases: list[cst.BaseExpression] = []
    star_keywords = False
    star_bases = False
    for arg in node.bases:
        if arg.star:
            star_bases = star_bases or arg.star == "*"
            star_keywords = star_keywords or arg.star == "**"
            continue
        bases.append(arg.value)
    for arg in node.keywords:
        if arg.keyword is not None:
            keywords[arg.keyword.value] = arg.value
        elif arg.star == "**":
            star_keywords = True
    return ClassInfo(
        node=node,
        name=node.name.value,
        bases=tuple(bases),
        keywords=keywords,
        attrs=attrs,
        complete=complete,
        docstring=node.get_docstring(clean=True),
        has_star_keywords=star_keywords,
        has_star_bases=star_bases,
        annotated=annotated,
    )


def class_info_cache(facts: ModuleFacts) -> dict[int, ClassInfo]:
    """`id()` of a class statement -> its `ClassInfo`, filled by `ClassIndex`. An incremental
    caller provides its own (`facts.provide(class_info_cache, ...)`), kept across versions
    of the module while the statement is (it drops the entries of re-parsed statements).
    Without one, a fresh table per module."""
    return {}


def _kinds_hold(info: ClassInfo, facts: ModuleFacts) -> bool:
    """Whether a kept `ClassInfo` still holds: all it reads of the rest of the module is
    what its methods' decorators resolve to (an import or definition may have changed)."""
    for attr in info.attrs.values():
        function = attr.function
        if (
            function is not None
            and function.decorators
            and _function_kind(function, facts) != attr.kind
        ):
            return False
    return True


class ClassIndex:
    """Every class of one module, with base resolution, MRO and attribute lookup."""

    def __init__(self, module: cst.Module, facts: ModuleFacts) -> None:
        self.facts = facts
        self.all: list[ClassInfo] = []
        self.by_node: dict[cst.ClassDef, ClassInfo] = {}
        self.top_level: dict[str, ClassInfo] = {}
        top_nodes = facts.top_level_ids
        cache = facts.derived(class_info_cache)
        for stmt in facts.statements:
            if type(stmt) is cst.ClassDef:
                info = cache.get(id(stmt))
                if info is None or info.node is not stmt or not _kinds_hold(info, facts):
                    info = cache[id(stmt)] = _class_info(stmt, facts)
                self.all.append(info)
                self.by_node[stmt] = info
                if id(stmt) in top_nodes:
                    self.top_level[info.name] = info
        self._mro: dict[int, tuple[Base, ...] | None] = {}

    def resolve(self, expr: cst.BaseExpression) -> Base | None:
        """The class a base expression names; None when it is not a plain (dotted) name."""
        if isinstance(expr, cst.Subscript):  # Generic[T], BaseTool[...]
            expr = expr.value
        if isinstance(expr, cst.Name) and expr.value in self.top_level:
            # A module-level class shadows an import of the same name only if bound once.
            if expr.value not in self.facts.imports:
                return self.top_level[expr.value]
            return None
        qualified = self.facts.qualified_name(expr)
        if qualified is None or qualified.startswith("<local>."):
            return None
        return External(qualified)

    def bases_of(self, info: ClassInfo) -> list[Base] | None:
        if info.has_star_bases:
            return None
        resolved: list[Base] = []
        for expr in info.bases:
            base = self.resolve(expr)
            if base is None:
                return None
            resolved.append(base)
        return resolved

    def mro(self, info: ClassInfo) -> tuple[Base, ...] | None:
        """C3 linearisation over this module's classes; externals are leaves. None if unknown."""
        key = id(info)
        if key in self._mro:
            return self._mro[key]
        self._mro[key] = None  # a cycle (`class A(A)`) resolves to unknown
        result = self._compute_mro(info)
        self._mro[key] = result
        return result

    def _compute_mro(self, info: ClassInfo) -> tuple[Base, ...] | None:
        bases = self.bases_of(info)
        if bases is None:
            return None
        sequences: list[list[Base]] = []
        for base in bases:
            if isinstance(base, External):
                sequences.append([base])
            else:
                inner = self.mro(base)
                if inner is None:
                    return None
                sequences.append(list(inner))
        sequences.append(list(bases))
        result: list[Base] = [info]
        while True:
            sequences = [seq for seq in sequences if seq]
            if not sequences:
                return tuple(result)
            for seq in sequences:
                head = seq[0]
                if not any(_same(head, other) for s in sequences for other in s[1:]):
                    break
            else:
                return None  # no consistent order: Python would raise TypeError
            result.append(head)
            for seq in sequences:
                if _same(seq[0], head):
                    del seq[0]

    def lookup(
        self, info: ClassInfo, name: str
    ) -> tuple[ClassInfo, AttrDef] | External | _Missing | _Unknown:
        """Where `getattr(cls, name)` comes from along the MRO (metaclass not consulted).

        A (class, definition) pair for this module's classes, the External base that
        certainly defines it, MISSING when nothing does, UNKNOWN when we cannot tell.
        """
        mro = self.mro(info)
        if mro is None:
            return (info, info.attrs[name]) if name in info.attrs else UNKNOWN
        for base in mro:
            if isinstance(base, External):
                known = KNOWN_EXTERNAL_ATTRIBUTES.get(base.qualified)
                if known is None or _is_dunder(name):
                    return UNKNOWN
                if name in known:
                    return base
                continue
            if name in base.attrs:
                return base, base.attrs[name]
            if not base.complete:
                return UNKNOWN
        return UNKNOWN if _is_dunder(name) else MISSING

    def has_attribute(self, info: ClassInfo, name: str) -> bool | _Unknown:
        """`hasattr(cls, name)`, consulting the MRO and then the metaclass."""
        found = self.lookup(info, name)
        if isinstance(found, (tuple, External)):
            return True
        if found is UNKNOWN:
            return UNKNOWN
        meta = self.metaclass(info)
        if meta is UNKNOWN:
            return UNKNOWN
        if meta is None:
            return False
        if isinstance(meta, External):
            known = KNOWN_EXTERNAL_ATTRIBUTES.get(meta.qualified)
            return UNKNOWN if known is None else name in known
        assert isinstance(meta, ClassInfo)
        on_meta = self.lookup(meta, name)
        if isinstance(on_meta, (tuple, External)):
            return True
        return UNKNOWN if on_meta is UNKNOWN else False

    def metaclass(self, info: ClassInfo) -> Base | _Unknown | None:
        """The metaclass: the `metaclass=` keyword, else the most derived of the bases'."""
        explicit = info.keywords.get("metaclass")
        if explicit is not None:
            return self.resolve(explicit) or UNKNOWN
        bases = self.bases_of(info)
        if bases is None:
            return UNKNOWN
        found: Base | None = None
        for base in bases:
            meta: Base | _Unknown | None
            if isinstance(base, External):
                meta = _external_metaclass(base.qualified)
            else:
                meta = self.metaclass(base) if id(base) != id(info) else UNKNOWN
            if meta is UNKNOWN:
                return UNKNOWN
            if meta is None:
                continue
            assert isinstance(meta, (ClassInfo, External))
            if found is None or self.is_subclass(meta, found) is True:
                found = meta
            elif self.is_subclass(found, meta) is not True:
                return UNKNOWN
        return found

    def is_subclass(self, cls: Base, base: Base) -> bool | _Unknown:
        if _same(cls, base):
            return True
        if isinstance(cls, External):
            return UNKNOWN
        mro = self.mro(cls)
        if mro is None:
            return UNKNOWN
        if any(_same(entry, base) for entry in mro):
            return True
        if any(
            isinstance(entry, External) and entry.qualified not in KNOWN_EXTERNAL_ATTRIBUTES
            for entry in mro
        ):
            return UNKNOWN
        return False

    def is_enum(self, info: ClassInfo) -> bool | _Unknown:
        """Whether the class derives from `enum.Enum` (its plain attributes are members)."""
        mro = self.mro(info)
        if mro is None:
            return UNKNOWN
        if any(isinstance(e, External) and e.qualified in ENUM_BASES for e in mro):
            return True
        if any(
            isinstance(e, External)
            and e.qualified not in KNOWN_EXTERNAL_ATTRIBUTES
            and e.qualified not in _BUILTIN_MIXINS
            for e in mro
        ):
            return UNKNOWN
        return False

    def is_metaclass(self, info: ClassInfo) -> bool:
        mro = self.mro(info)
        return mro is not None and any(
            isinstance(entry, External) and entry.qualified in _METACLASS_ROOTS | _ABC_METACLASSES
            for entry in mro
        )

    def abstract_methods(self, info: ClassInfo) -> frozenset[str] | _Unknown:
        """`cls.__abstractmethods__` as ABCMeta computes it (assuming an ABC metaclass)."""
        mro = self.mro(info)
        if mro is None:
            return UNKNOWN
        candidates: set[str] = set()
        for entry in mro:
            if isinstance(entry, External):
                if entry.qualified not in KNOWN_EXTERNAL_ATTRIBUTES:
                    return UNKNOWN
                candidates |= KNOWN_EXTERNAL_ABSTRACT.get(entry.qualified, frozenset())
            else:
                candidates |= {n for n, a in entry.attrs.items() if a.kind == "abstract"}
        left: set[str] = set()
        for name in candidates:
            found = self.lookup(info, name)
            if found is UNKNOWN:
                return UNKNOWN
            if isinstance(found, tuple):
                if found[1].kind == "abstract":
                    left.add(name)
            elif isinstance(found, External) and name in KNOWN_EXTERNAL_ABSTRACT.get(
                found.qualified, frozenset()
            ):
                left.add(name)
        return frozenset(left)

    def uses_abc_meta(self, info: ClassInfo) -> bool | _Unknown:
        meta = self.metaclass(info)
        if meta is UNKNOWN:
            return UNKNOWN
        if meta is None:
            return False
        if isinstance(meta, External):
            return meta.qualified in _ABC_METACLASSES or (
                UNKNOWN if meta.qualified not in KNOWN_EXTERNAL_ATTRIBUTES else False
            )
        assert isinstance(meta, ClassInfo)
        mro = self.mro(meta)
        if mro is None:
            return UNKNOWN
        return any(isinstance(e, External) and e.qualified in _ABC_METACLASSES for e in mro)

    def init_subclass_owner(self, info: ClassInfo) -> Base | _Unknown | None:
        """The class whose `__init_subclass__` runs when `info` is created (MRO after it)."""
        mro = self.mro(info)
        if mro is None:
            return UNKNOWN
        for entry in mro[1:]:
            if isinstance(entry, External):
                if entry.qualified == "agentsense.runtime.registry.Agent":
                    return entry
                if entry.qualified not in KNOWN_EXTERNAL_ATTRIBUTES:
                    return UNKNOWN
                continue
            if "__init_subclass__" in entry.attrs:
                return entry
            if not entry.complete:
                return UNKNOWN
        return None


def _same(a: Base, b: Base) -> bool:
    if isinstance(a, External) and isinstance(b, External):
        return a.qualified == b.qualified
    return a is b


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _external_metaclass(qualified: str) -> Base | _Unknown | None:
    if qualified in (
        "object",
        "builtins.object",
        "typing.Generic",
        "type",
        "builtins.type",
        "abc.ABCMeta",
        "agentsense.runtime.registry.ToolMeta",
    ):
        return None
    if qualified == "abc.ABC":
        return External("abc.ABCMeta")
    if qualified == "agentsense.runtime.registry.BaseTool":
        return External("agentsense.runtime.registry.ToolMeta")
    if qualified == "agentsense.runtime.registry.Agent":
        return None
    return UNKNOWN


# -- values ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class ClassValue:
    """The class being created, as seen by a registry hook."""

    info: ClassInfo
    # The evaluator of the module defining the class, when the hook runs in another module's
    # evaluator (the reference runtime's hooks, read from its source): attribute lookups and
    # the values of class attributes belong to the class's own module.
    home: Evaluator | None = None


@dataclass(frozen=True, slots=True, eq=False)
class SpecValue:
    """The ToolSpec `build_spec(name, ...)` returns: only its name is read."""

    name: object


@dataclass(frozen=True, slots=True, eq=False)
class ProblemValue:
    """`ContractProblem(field, message)` of the reference runtime (its message is shown)."""

    field: str
    message: str


@dataclass(frozen=True, slots=True, eq=False)
class NamespaceValue:
    """The class body's namespace (`namespace` in a metaclass, `cls.__dict__`)."""

    info: ClassInfo
    created: bool = False  # `cls.__dict__` (after type.__new__), not the body's namespace
    home: Evaluator | None = None  # the class's own module's evaluator (see ClassValue)


@dataclass(frozen=True, slots=True, eq=False)
class BasesValue:
    """The `bases` tuple a metaclass receives; only its length is known."""

    count: int


@dataclass(frozen=True, slots=True, eq=False)
class EnumMember:
    """A member of an Enum class of this module (`GitTools.STATUS`): `.value`, `.name`."""

    enum: str
    name: str
    value: object  # UNKNOWN when not static


@dataclass(frozen=True, slots=True, eq=False)
class FunctionValue:
    """A function being registered by a decorator."""

    node: cst.FunctionDef
    docstring: str | None


@dataclass(frozen=True, slots=True, eq=False)
class ContainerValue:
    """A registry container (a module-level dict/list, or a class/instance attribute)."""

    identity: str


@dataclass(frozen=True, slots=True, eq=False)
class OwnerValue:
    """The object whose attributes hold a registry: a metaclass, a base class, an instance."""

    label: str
    info: ClassInfo | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Opaque:
    """Something that certainly exists (a method, a property) with an unknown value."""

    truthy: bool | None = True
    is_callable: bool | None = None  # a method or a nested class: `callable()` says True


class Raised(Exception):
    """An exception the analysed code would raise, with the message Python would show."""

    def __init__(
        self,
        exception: str,
        message: str | None,
        node: cst.CSTNode,
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.exception = exception
        self.message = message
        self.node = node
        # The messages of the ContractProblems a `ContractError([...])` carries.
        self.problems = problems


_SAFE_STR_METHODS = frozenset(
    {
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "format",
        "join",
        "replace",
        "title",
        "capitalize",
        "casefold",
        "isidentifier",
        "isupper",
        "islower",
        "split",
        "removeprefix",
        "removesuffix",
    }
)
_TYPE_NAMES: Mapping[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (float,),
    "bool": (bool,),
    "list": (list,),
    "tuple": (tuple,),
    "dict": (dict,),
    "set": (set,),
    "frozenset": (frozenset,),
    "bytes": (bytes,),
}
_PRIMITIVES = (str, int, float, bool, type(None), bytes)
MAX_DEPTH = 60
MAX_SEQUENCE = 100_000  # `"x" * n` is evaluated only up to this length


def is_primitive(value: object) -> bool:
    if isinstance(value, _PRIMITIVES):
        return True
    if isinstance(value, (tuple, list, frozenset, set)):
        return all(is_primitive(item) for item in value)
    if isinstance(value, dict):
        return all(is_primitive(k) and is_primitive(v) for k, v in value.items())
    return False


def truth(value: object) -> bool | _Unknown:
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, Opaque):
        return UNKNOWN if value.truthy is None else value.truthy
    if isinstance(value, BasesValue):
        return value.count > 0
    if isinstance(value, (ClassValue, NamespaceValue, FunctionValue, OwnerValue)):
        return True
    if isinstance(value, ContainerValue):
        return UNKNOWN
    if is_primitive(value):
        return bool(value)
    return UNKNOWN


Env = dict[str, object]


class Evaluator:
    """Evaluates expressions to Python values where that needs no execution of user code."""

    def __init__(self, facts: ModuleFacts, classes: ClassIndex) -> None:
        self.facts = facts
        self.classes = classes
        self.refused_duplicates = False  # set when a hook tests `key in REGISTRY`
        # Runs a call to a module-level helper (or a classmethod of the class being
        # created) while a HookInterpreter is running; None otherwise (calls are unknown).
        self.inliner: Inliner | None = None
        self._constants: dict[str, cst.BaseExpression] | None = None
        self._containers: set[str] | None = None
        self._evaluating: set[str] = set()

    # -- module-level names ------------------------------------------------------------
    def _module_bindings(self) -> None:
        counts: dict[str, int] = {}
        values: dict[str, cst.BaseExpression] = {}
        for stmt in self.facts.statements:
            # Only module-level statements (not inside functions or classes) bind globals.
            # (Exact types: the parser makes no subclasses, and isinstance against libcst's
            # abstract classes is slow.)
            if type(stmt) is cst.FunctionDef or type(stmt) is cst.ClassDef:
                counts[stmt.name.value] = counts.get(stmt.name.value, 0) + 2
        for stmt in self.facts.module.body:
            if type(stmt) in (cst.FunctionDef, cst.ClassDef):
                continue  # counted above; their bodies bind nothing at module level
            if not isinstance(stmt, cst.SimpleStatementLine):
                # Compound statements at module level may rebind anything they assign.
                for node in iter_subtree_no_scopes(stmt):
                    if (
                        type(node) is cst.AssignTarget
                        or type(node) is cst.AnnAssign
                        or type(node) is cst.AugAssign
                    ):
                        target = node.target
                        if isinstance(target, cst.Name):
                            counts[target.value] = counts.get(target.value, 0) + 2
                continue
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if isinstance(target, cst.Name):
                        counts[target.value] = counts.get(target.value, 0) + 1
                        values[target.value] = small.value
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    if small.value is not None:
                        counts[small.target.value] = counts.get(small.target.value, 0) + 1
                        values[small.target.value] = small.value
                elif isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
                    counts[small.target.value] = counts.get(small.target.value, 0) + 2
                elif isinstance(small, cst.Assign):
                    for assign_target in small.targets:
                        for bound in _target_names(assign_target.target) or []:
                            counts[bound.value] = counts.get(bound.value, 0) + 2
        self._constants = {name: v for name, v in values.items() if counts.get(name) == 1}
        self._containers = set()
        for name, value in values.items():
            if counts.get(name, 0) > 2:
                continue
            if isinstance(value, (cst.Dict, cst.List, cst.Set)) or (
                isinstance(value, cst.Call)
                and self.facts.qualified_name(value.func) in _CONTAINER_FACTORIES
            ):
                self._containers.add(name)

    @property
    def constants(self) -> Mapping[str, cst.BaseExpression]:
        if self._constants is None:
            self._module_bindings()
        assert self._constants is not None
        return self._constants

    @property
    def containers(self) -> set[str]:
        if self._containers is None:
            self._module_bindings()
        assert self._containers is not None
        return self._containers

    def constant(self, name: str) -> object:
        """The value of a module-level name bound once to an evaluable expression."""
        node = self.constants.get(name)
        if node is None or name in self._evaluating:
            return UNKNOWN
        self._evaluating.add(name)
        try:
            return self.value(node, {}, depth=1)
        finally:
            self._evaluating.discard(name)

    # -- expressions -------------------------------------------------------------------
    def value(self, node: cst.BaseExpression, env: Mapping[str, object], depth: int = 0) -> object:
        """The expression's value, UNKNOWN, or Raised for an exception Python would raise."""
        if depth > MAX_DEPTH:
            return UNKNOWN
        d = depth + 1
        if isinstance(node, cst.SimpleString):
            return node.evaluated_value
        if isinstance(node, cst.ConcatenatedString):
            return node.evaluated_value
        if isinstance(node, cst.Integer):
            return node.evaluated_value
        if isinstance(node, cst.Float):
            return node.evaluated_value
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, env, d)
        if isinstance(node, cst.Name):
            return self._name(node.value, env)
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            items: list[object] = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    inner = self.value(element.value, env, d)
                    if not isinstance(inner, (tuple, list)):
                        return UNKNOWN
                    items.extend(inner)
                    continue
                item = self.value(element.value, env, d)
                if item is UNKNOWN:
                    return UNKNOWN
                items.append(item)
            if isinstance(node, cst.Tuple):
                return tuple(items)
            if isinstance(node, cst.List):
                return items
            try:
                return set(items)
            except TypeError:
                return UNKNOWN
        if isinstance(node, cst.Dict):
            result: dict[object, object] = {}
            for entry in node.elements:
                if not isinstance(entry, cst.DictElement):
                    return UNKNOWN
                key = self.value(entry.key, env, d)
                item = self.value(entry.value, env, d)
                if key is UNKNOWN or item is UNKNOWN or not is_primitive(key):
                    return UNKNOWN
                result[key] = item
            return result
        if isinstance(node, cst.UnaryOperation):
            operand = self.value(node.expression, env, d)
            if isinstance(node.operator, cst.Not):
                t = truth(operand)
                return UNKNOWN if t is UNKNOWN else not t
            if isinstance(node.operator, cst.Minus) and isinstance(operand, (int, float)):
                return -operand
            return UNKNOWN
        if isinstance(node, cst.BooleanOperation):
            left = self.value(node.left, env, d)
            t = truth(left)
            is_and = isinstance(node.operator, cst.And)
            if t is UNKNOWN:
                right = self.value(node.right, env, d)
                rt = truth(right)
                # `unknown and False` is falsy, `unknown or True` is truthy, whatever the left.
                if is_and and rt is False:
                    return False
                if not is_and and rt is True:
                    return True
                return UNKNOWN
            if is_and:
                return self.value(node.right, env, d) if t else left
            return left if t else self.value(node.right, env, d)
        if isinstance(node, cst.Comparison):
            return self._comparison(node, env, d)
        if isinstance(node, cst.IfExp):
            t = truth(self.value(node.test, env, d))
            if t is UNKNOWN:
                return UNKNOWN
            return self.value(node.body if t else node.orelse, env, d)
        if isinstance(node, cst.Attribute):
            return self._attribute(self.value(node.value, env, d), node.attr.value, node)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, env, d)
        if isinstance(node, cst.Call):
            return self._call(node, env, d)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, env, d)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self._comprehension(node, env, d)
        return UNKNOWN

    def _name(self, name: str, env: Mapping[str, object]) -> object:
        if name in env:
            return env[name]
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        if name in self.containers:
            # A non-empty literal (`REQUIRED = ["name", "run"]`) is read as a constant; an
            # empty one (`TOOLS = {}`) is a registry that hooks fill.
            value = self.constant(name)
            if value is not UNKNOWN and value:
                return value
            return ContainerValue(f"local:{name}")
        if name in self.constants:
            return self.constant(name)
        info = self.classes.top_level.get(name)
        if info is not None and name not in self.facts.imports:
            # `Skill.registry[...] = cls`: a registry kept on a class of this module.
            return ClassValue(info)
        return UNKNOWN

    def container(self, node: cst.BaseExpression, env: Mapping[str, object]) -> object:
        """What a store writes into: a module-level container by name, else the value."""
        if isinstance(node, cst.Name) and node.value not in env and node.value in self.containers:
            return ContainerValue(f"local:{node.value}")
        return self.value(node, env)

    def _fstring(self, node: cst.FormattedString, env: Mapping[str, object], depth: int) -> object:
        parts: list[str] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value.replace("{{", "{").replace("}}", "}"))
                continue
            assert isinstance(part, cst.FormattedStringExpression)
            if part.format_spec:
                return UNKNOWN
            value = self.value(part.expression, env, depth)
            if value is UNKNOWN or not is_primitive(value):
                return UNKNOWN
            conversion = part.conversion
            if conversion == "r":
                text = repr(value)
            elif conversion == "a":
                text = ascii(value)
            else:
                text = str(value)
            if part.equal is not None:
                expr_text = cst.Module([]).code_for_node(part.expression)
                text = f"{expr_text}={text if conversion else repr(value)}"
            parts.append(text)
        # Escapes in f-string text are rare in messages; only plain prefixes are evaluated.
        if "\\" in "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText)):
            return UNKNOWN
        return "".join(parts)

    def _comparison(self, node: cst.Comparison, env: Mapping[str, object], depth: int) -> object:
        left = self.value(node.left, env, depth)
        result: object = True
        for target in node.comparisons:
            right = self.value(target.comparator, env, depth)
            outcome = self._compare(left, target.operator, right)
            if outcome is False:
                return False
            if outcome is UNKNOWN:
                result = UNKNOWN
            left = right
        return result

    def _compare(self, left: object, op: cst.BaseCompOp, right: object) -> object:
        if isinstance(op, (cst.In, cst.NotIn)):
            found = self._contains(right, left)
            if found is UNKNOWN:
                return UNKNOWN
            return found if isinstance(op, cst.In) else not found
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if isinstance(op, (cst.Is, cst.IsNot)):
            singletons = (type(None), bool)
            if isinstance(left, singletons) or isinstance(right, singletons):
                # Static values other than None/True/False are never those singletons.
                same = left is right
            else:
                return UNKNOWN
            return same if isinstance(op, cst.Is) else not same
        if not (is_primitive(left) and is_primitive(right)):
            if isinstance(op, (cst.Equal, cst.NotEqual)) and (
                (left is None and isinstance(right, (Opaque, ClassValue, FunctionValue)))
                or (right is None and isinstance(left, (Opaque, ClassValue, FunctionValue)))
            ):
                return isinstance(op, cst.NotEqual)
            return UNKNOWN
        try:
            if isinstance(op, cst.Equal):
                return left == right
            if isinstance(op, cst.NotEqual):
                return left != right
            if isinstance(op, cst.LessThan):
                return left < right  # type: ignore[operator]
            if isinstance(op, cst.LessThanEqual):
                return left <= right  # type: ignore[operator]
            if isinstance(op, cst.GreaterThan):
                return left > right  # type: ignore[operator]
            if isinstance(op, cst.GreaterThanEqual):
                return left >= right  # type: ignore[operator]
        except TypeError:
            return UNKNOWN
        return UNKNOWN

    def _contains(self, container: object, item: object) -> object:
        if isinstance(container, ContainerValue):
            # A registry guard against duplicates: this registration is taken to be the first.
            self.refused_duplicates = True
            return False
        if item is UNKNOWN:
            return UNKNOWN
        if isinstance(container, NamespaceValue):
            if not isinstance(item, str):
                return UNKNOWN
            home = container.home or self
            found = home.namespace_get(container.info, item, container.created)
            return UNKNOWN if found is UNKNOWN else found is not MISSING
        if isinstance(container, (str, tuple, list, set, frozenset, dict)) and is_primitive(
            container
        ):
            try:
                return item in container
            except TypeError:
                return UNKNOWN
        if isinstance(container, KwargsValue):
            if not isinstance(item, str) or container.unknown:
                return UNKNOWN
            return item in container.values
        return UNKNOWN

    def _attribute(self, base: object, attr: str, node: cst.CSTNode) -> object:
        if base is UNKNOWN:
            return UNKNOWN
        if isinstance(base, ClassValue):
            return (base.home or self).class_attribute(base.info, attr, node)
        if isinstance(base, FunctionValue):
            if attr in ("__name__", "__qualname__"):
                return base.node.name.value
            if attr == "__doc__":
                return base.docstring
            return UNKNOWN
        if isinstance(base, SpecValue):
            return base.name if attr == "name" else UNKNOWN
        if isinstance(base, EnumMember):
            if attr in ("value", "_value_"):
                return base.value
            if attr in ("name", "_name_"):
                return base.name
            return UNKNOWN
        if isinstance(base, OwnerValue):
            if base.info is not None:
                # `mcs.REQUIRED`: the metaclass's own attribute (an empty dict/list is a registry).
                found = self.classes.lookup(base.info, attr)
                if isinstance(found, tuple):
                    return self.attr_value(*found)
            return ContainerValue(f"local:{base.label}.{attr}")
        if isinstance(base, ContainerValue):
            return _BoundMethod(base, attr)
        if isinstance(base, (NamespaceValue, KwargsValue)) or (
            isinstance(base, (str, dict, list, tuple)) and callable(getattr(type(base), attr, None))
        ):
            # Only a method of the value is a bound method; `"x".value` is not one.
            return _BoundMethod(base, attr)
        return UNKNOWN

    def class_attribute(self, info: ClassInfo, attr: str, node: cst.CSTNode) -> object:
        """`cls.attr` for a class of this module: its static value, or Raised if missing."""
        if attr in ("__name__", "__qualname__"):
            return info.name
        if attr == "__doc__":
            return info.docstring
        if attr == "__dict__":
            return NamespaceValue(info, created=True, home=self)
        if attr == "__abstractmethods__":
            # Set by ABCMeta.__new__: what is still abstract (an empty set when none is).
            if self.classes.uses_abc_meta(info) is not True:
                return UNKNOWN
            return self.classes.abstract_methods(info)
        found = self.classes.lookup(info, attr)
        if found is MISSING:
            has = self.classes.has_attribute(info, attr)
            if has is False:
                raise Raised(
                    "AttributeError", f"type object {info.name!r} has no attribute {attr!r}", node
                )
            return UNKNOWN
        if not isinstance(found, tuple):
            return UNKNOWN  # defined by an external base, or we cannot tell
        owner, definition = found
        if definition.kind == "value" and self.classes.is_enum(owner) is True:
            return self._enum_member(owner, definition)
        return self.attr_value(owner, definition)

    def _enum_member(self, owner: ClassInfo, definition: AttrDef) -> object:
        """`Color.RED` in an Enum class body: a member (not its value), or UNKNOWN."""
        name = definition.name
        if _is_dunder(name) or (name.startswith("_") and name.endswith("_")):
            return UNKNOWN  # `_ignore_`, `_order_` ... are settings, not members
        if isinstance(definition.value, cst.Call) or definition.value is None:
            return UNKNOWN  # `auto()`, `nonmember(...)`, `property(...)`: not followed
        value = self.attr_value(owner, definition)
        return EnumMember(owner.name, name, value if is_primitive(value) else UNKNOWN)

    def attr_value(self, owner: ClassInfo, definition: AttrDef) -> object:
        """A class attribute's static value (Opaque for methods and other non-literals)."""
        if definition.kind == "value" and definition.value is not None:
            value = self.value(definition.value, {}, depth=1)
            if value is UNKNOWN:
                # A dict/list attribute is a registry when a hook stores into it.
                if isinstance(definition.value, (cst.Dict, cst.List, cst.Set)):
                    return ContainerValue(f"local:{owner.name}.{definition.name}")
                return UNKNOWN
            if isinstance(definition.value, (cst.Dict, cst.List, cst.Set)) and not value:
                return ContainerValue(f"local:{owner.name}.{definition.name}")
            return value
        if definition.kind in ("function", "abstract", "class"):
            return Opaque(truthy=True, is_callable=True)
        return UNKNOWN

    def _subscript(self, node: cst.Subscript, env: Mapping[str, object], depth: int) -> object:
        base = self.value(node.value, env, depth)
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return UNKNOWN
        key = self.value(node.slice[0].slice.value, env, depth)
        if base is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        if isinstance(base, NamespaceValue) and isinstance(key, str):
            found = (base.home or self).namespace_get(base.info, key, base.created)
            if found is MISSING:
                raise Raised("KeyError", repr(key), node)
            return found
        if isinstance(base, KwargsValue) and isinstance(key, str):
            if key in base.values:
                return base.values[key]
            if base.unknown:
                return UNKNOWN
            raise Raised("KeyError", repr(key), node)
        if is_primitive(base) and is_primitive(key):
            try:
                return base[key]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                return UNKNOWN
        return UNKNOWN

    def namespace_get(self, info: ClassInfo, key: str, created: bool = False) -> object:
        """`namespace[key]` for the class body's own namespace: value, MISSING or UNKNOWN.

        The namespace a metaclass receives holds what the body binds plus the dunders
        Python adds (see `_added_dunder`); `created` is `cls.__dict__` after creation,
        where `type.__new__` adds and removes more: its dunders stay unknown.
        """
        definition = info.attrs.get(key)
        if definition is None:
            if not info.complete:
                return UNKNOWN
            if _is_dunder(key):
                return UNKNOWN if created else self._added_dunder(info, key)
            return MISSING
        return self.attr_value(info, definition)

    def _added_dunder(self, info: ClassInfo, key: str) -> object:
        """A dunder the class body does not bind itself, as Python's class statement adds it."""
        if key == "__module__":
            return Opaque(truthy=True)  # the module's `__name__`: a non-empty str
        if key == "__qualname__":
            return info.name if self.classes.top_level.get(info.name) is info else UNKNOWN
        if key == "__doc__":
            return MISSING if info.docstring is None else info.docstring
        if key == "__annotations__":
            if not info.annotated:
                return MISSING
            return Opaque(truthy=True) if sys.version_info < (3, 14) else UNKNOWN
        if key == "__annotate__":
            return UNKNOWN if info.annotated else MISSING
        if key in ("__firstlineno__", "__static_attributes__"):
            return Opaque(truthy=None) if sys.version_info >= (3, 13) else MISSING
        if key == "__classcell__":
            return UNKNOWN if info.may_have_class_cell else MISSING
        if key == "__orig_bases__":
            return UNKNOWN if any(isinstance(b, cst.Subscript) for b in info.bases) else MISSING
        if key == "__type_params__":
            return UNKNOWN if info.node.type_parameters is not None else MISSING
        return MISSING

    def _binary(self, node: cst.BinaryOperation, env: Mapping[str, object], depth: int) -> object:
        left = self.value(node.left, env, depth)
        right = self.value(node.right, env, depth)
        if not (is_primitive(left) and is_primitive(right)):
            return UNKNOWN
        try:
            if isinstance(node.operator, cst.Add):
                return left + right  # type: ignore[operator]
            if isinstance(node.operator, cst.Modulo) and isinstance(left, str):
                return left % right
            if (
                isinstance(node.operator, cst.Multiply)
                and isinstance(left, (str, tuple, list))
                and isinstance(right, int)
                and not isinstance(right, bool)
                and len(left) * right <= MAX_SEQUENCE
            ):
                return left * right
        except (TypeError, ValueError):
            return UNKNOWN
        return UNKNOWN

    def _comprehension(
        self,
        node: cst.ListComp | cst.SetComp | cst.GeneratorExp,
        env: Mapping[str, object],
        depth: int,
    ) -> object:
        clause = node.for_in
        if clause.inner_for_in is not None or clause.asynchronous is not None:
            return UNKNOWN
        if not isinstance(clause.target, cst.Name):
            return UNKNOWN
        iterable = self.value(clause.iter, env, depth)
        if not isinstance(iterable, (tuple, list, set, frozenset, str)):
            return UNKNOWN
        out: list[object] = []
        for item in list(iterable)[:100]:
            scope = dict(env)
            scope[clause.target.value] = item
            keep = True
            for condition in clause.ifs:
                t = truth(self.value(condition.test, scope, depth))
                if t is UNKNOWN:
                    return UNKNOWN
                keep = keep and bool(t)
            if keep:
                value = self.value(node.elt, scope, depth)
                if value is UNKNOWN:
                    return UNKNOWN
                out.append(value)
        if isinstance(node, cst.SetComp):
            try:
                return set(out)
            except TypeError:
                return UNKNOWN
        return out

    def _call(self, node: cst.Call, env: Mapping[str, object], depth: int) -> object:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "__new__":
            # super().__new__(mcls, ...) / type.__new__(...) creates the class being analysed.
            return env.get("__class_being_created__", UNKNOWN)
        if any(arg.star for arg in node.args):
            return UNKNOWN
        positional = [arg.value for arg in node.args if arg.keyword is None]
        keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
        if isinstance(func, cst.Name) and func.value not in env:
            name = func.value
            helper = self.helper(name)
            if helper is not None and self.inliner is not None:
                return self.inliner(helper, None, node, env)
            qualified = self.facts.qualified_name(func)
            if qualified != name and name not in ("super",):
                return self._qualified_call(qualified, positional, env, depth)
            return self._builtin_call(name, positional, keywords, env, depth, node)
        if isinstance(func, cst.Attribute):
            qualified = self.facts.qualified_name(func)
            head = (dotted_name(func) or "").split(".")[0]
            if qualified is not None and head not in env and head in self.facts.imports:
                return self._qualified_call(qualified, positional, env, depth)
            owner = self.value(func.value, env, depth)
            if isinstance(owner, ClassValue) and owner.home is None and self.inliner is not None:
                method = self._class_method(owner.info, func.attr.value)
                if method is not None:
                    return self.inliner(method[0], owner if method[1] else None, node, env)
            receiver = self.value(func, env, depth)
            if isinstance(receiver, _BoundMethod):
                args = [self.value(a, env, depth) for a in positional]
                kwargs = {k: self.value(v, env, depth) for k, v in keywords.items()}
                return receiver.call(self, args, kwargs, node)
        return UNKNOWN

    def helper(self, name: str) -> cst.FunctionDef | None:
        """A module-level function bound once by `def` (not an import, not reassigned)."""
        function = self.facts.top_level_functions.get(name)
        if function is None or name in self.facts.imports or name in self.constants:
            return None
        if function.decorators or function.asynchronous is not None:
            return None  # a decorator may replace it; a coroutine body does not run here
        return function

    def _class_method(self, info: ClassInfo, name: str) -> tuple[cst.FunctionDef, bool] | None:
        """A classmethod / staticmethod of a class of this module, and whether it takes cls."""
        found = self.classes.lookup(info, name)
        if not isinstance(found, tuple) or found[1].function is None:
            return None
        function = found[1].function
        kinds = [
            self.facts.qualified_name(d.decorator) if isinstance(d.decorator, cst.Name) else None
            for d in function.decorators
        ]
        if kinds == ["classmethod"]:
            return function, True
        if kinds == ["staticmethod"]:
            return function, False
        return None

    def _qualified_call(
        self,
        qualified: str | None,
        positional: list[cst.BaseExpression],
        env: Mapping[str, object],
        depth: int,
    ) -> object:
        if qualified == BUILD_SPEC and positional:
            # The runtime's spec builder: its checks are the contract's (reported from
            # `spec_problems`); what the registry reads of the result is the name.
            return SpecValue(self.value(positional[0], env, depth))
        if qualified == CONTRACT_PROBLEM and len(positional) == 2:
            field_value, message = (self.value(p, env, depth) for p in positional)
            if isinstance(field_value, str) and isinstance(message, str):
                return ProblemValue(field_value, message)
            return UNKNOWN
        if qualified == "inspect.isabstract" and len(positional) == 1:
            subject = self.value(positional[0], env, depth)
            if isinstance(subject, ClassValue):
                classes = (subject.home or self).classes
                uses_abc = classes.uses_abc_meta(subject.info)
                if uses_abc is UNKNOWN:
                    return UNKNOWN
                if not uses_abc:
                    return False
                abstract = classes.abstract_methods(subject.info)
                return UNKNOWN if abstract is UNKNOWN else bool(abstract)
        if qualified in ("inspect.isclass",) and len(positional) == 1:
            subject = self.value(positional[0], env, depth)
            if isinstance(subject, ClassValue):
                return True
            if isinstance(subject, FunctionValue):
                return False
        if qualified in ("inspect.isfunction", "inspect.isroutine") and len(positional) == 1:
            subject = self.value(positional[0], env, depth)
            if isinstance(subject, FunctionValue):
                return True
            if isinstance(subject, ClassValue):
                return False
        return UNKNOWN

    def _builtin_call(
        self,
        name: str,
        positional: list[cst.BaseExpression],
        keywords: Mapping[str, cst.BaseExpression],
        env: Mapping[str, object],
        depth: int,
        node: cst.Call,
    ) -> object:
        args = [self.value(a, env, depth) for a in positional]
        if keywords:
            return UNKNOWN
        if name == "hasattr" and len(args) == 2:
            subject, attr = args
            if isinstance(subject, ClassValue) and isinstance(attr, str):
                if attr in ("__name__", "__qualname__", "__doc__", "__dict__", "__module__"):
                    return True
                return (subject.home or self).classes.has_attribute(subject.info, attr)
            if isinstance(subject, FunctionValue) and attr in (
                "__name__",
                "__qualname__",
                "__doc__",
                "__module__",
            ):
                return True
            return UNKNOWN
        if name == "getattr" and len(args) in (2, 3):
            subject, attr = args[0], args[1]
            if not isinstance(attr, str):
                return UNKNOWN
            if isinstance(subject, ClassValue):
                try:
                    return self._attribute(subject, attr, node)
                except Raised:
                    if len(args) == 3:
                        return args[2]
                    raise
            if isinstance(subject, FunctionValue):
                return self._attribute(subject, attr, node)
            return UNKNOWN
        if name == "isinstance" and len(args) == 2:
            subject = args[0]
            kinds = positional[1]
            names = [e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
            type_names = [n.value if isinstance(n, cst.Name) else "" for n in names]
            if subject is UNKNOWN or isinstance(subject, (Opaque, KwargsValue)):
                return UNKNOWN
            if isinstance(subject, ClassValue):
                return "type" in type_names or UNKNOWN
            if not is_primitive(subject) or not all(t in _TYPE_NAMES for t in type_names):
                return UNKNOWN
            allowed = tuple(k for t in type_names for k in _TYPE_NAMES[t])
            return isinstance(subject, allowed)
        if name == "callable" and len(args) == 1:
            subject = args[0]
            if isinstance(subject, (ClassValue, FunctionValue)):
                return True
            if isinstance(subject, Opaque) and subject.is_callable is not None:
                return subject.is_callable
            if is_primitive(subject) and subject is not UNKNOWN:
                return False
            return UNKNOWN
        if name == "issubclass" and len(args) == 2:
            subject = args[0]
            if isinstance(subject, ClassValue) and subject.home is None:
                base = self.classes.resolve(positional[1])
                if base is None:
                    return UNKNOWN
                return self.classes.is_subclass(subject.info, base)
            return UNKNOWN
        if any(a is UNKNOWN for a in args) or not all(is_primitive(a) for a in args):
            return UNKNOWN
        simple: Mapping[str, Callable[..., object]] = {
            "len": len,
            "str": str,
            "repr": repr,
            "bool": bool,
            "sorted": sorted,
            "list": list,
            "tuple": tuple,
            "set": set,
            "frozenset": frozenset,
            "any": any,
            "all": all,
        }
        function = simple.get(name)
        if function is None or len(args) > 1:
            return UNKNOWN
        try:
            return function(*args)
        except (TypeError, ValueError):
            return UNKNOWN


Inliner = Callable[[cst.FunctionDef, object | None, cst.Call, Mapping[str, object]], object]


@dataclass(frozen=True, slots=True, eq=False)
class KwargsValue:
    """The class keywords a hook receives as `**kwargs`."""

    values: Mapping[str, object]
    unknown: bool = False  # `class C(Base, **opts)`: more keywords may be present


@dataclass(frozen=True, slots=True, eq=False)
class _BoundMethod:
    receiver: object
    name: str

    def call(
        self,
        evaluator: Evaluator,
        args: list[object],
        kwargs: Mapping[str, object],
        node: cst.Call,
    ) -> object:
        receiver, name = self.receiver, self.name
        if any(a is UNKNOWN for a in args) or any(v is UNKNOWN for v in kwargs.values()):
            return UNKNOWN
        if isinstance(receiver, NamespaceValue) and name == "get" and args and not kwargs:
            key = args[0]
            if not isinstance(key, str):
                return UNKNOWN
            home = receiver.home or evaluator
            found = home.namespace_get(receiver.info, key, receiver.created)
            if found is MISSING:
                return args[1] if len(args) > 1 else None
            return found
        if isinstance(receiver, KwargsValue) and name in ("get", "pop") and args and not kwargs:
            key = args[0]
            if not isinstance(key, str):
                return UNKNOWN
            if key in receiver.values:
                return receiver.values[key]
            if receiver.unknown:
                return UNKNOWN
            if len(args) > 1:
                return args[1]
            if name == "pop":
                raise Raised("KeyError", repr(key), node)
            return None
        if isinstance(receiver, ContainerValue) and name == "get" and args:
            evaluator.refused_duplicates = True
            return args[1] if len(args) > 1 else None
        if isinstance(receiver, str) and name in _SAFE_STR_METHODS:
            if not all(is_primitive(a) for a in args) or not all(
                is_primitive(v) for v in kwargs.values()
            ):
                return UNKNOWN
            try:
                result: object = getattr(receiver, name)(*args, **kwargs)
            except (TypeError, ValueError, IndexError, KeyError):
                return UNKNOWN
            return result
        if isinstance(receiver, dict) and name == "get" and args and not kwargs:
            if not is_primitive(args[0]):
                return UNKNOWN
            return receiver.get(args[0], args[1] if len(args) > 1 else None)
        return UNKNOWN


# -- registry hooks --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Store:
    """A registration: the subject stored into a registry container under a key."""

    container: str
    key: object  # UNKNOWN when not static; None for appends (no key)
    node: cst.CSTNode


@dataclass(frozen=True, slots=True)
class HookRun:
    """What running a registry hook (metaclass `__new__`, `__init_subclass__`, decorator) does."""

    status: Literal["returned", "raised", "unknown"]
    stores: tuple[Store, ...] = ()
    exception: str | None = None
    message: str | None = None  # the exception's message when it is static
    raise_node: cst.CSTNode | None = None
    refuses_duplicates: bool = False
    return_node: cst.Return | None = None  # the `return` that ended it (None: fell off the end)
    problems: tuple[str, ...] = ()  # a ContractError's problem messages


@dataclass
class _Control:
    kind: Literal["normal", "return", "break", "continue"] = "normal"
    value: object = None  # what a `return` gives


class _Abort(Exception):
    """The hook reaches something we cannot evaluate: its outcome is unknown."""


MAX_STEPS = 2000
# Paths through one hook (each unknown condition doubles them): past this, unknown.
MAX_PATHS = 64
# How deep calls to module-level helpers are inlined.
MAX_INLINE_DEPTH = 4


def merge_runs(runs: Sequence[HookRun]) -> HookRun:
    """One verdict for all paths: what every path agrees on, else "unknown".

    All paths raise: "raised" (the message kept only when every path gives the same one).
    All paths return: "returned" when they make the same stores into the same containers
    (a key that differs between paths becomes UNKNOWN). Anything else is unknown: some
    paths register and others do not, or some raise and others do not.
    """
    first = runs[0]
    if len(runs) == 1:
        return first
    if any(run.status != first.status for run in runs) or first.status == "unknown":
        return HookRun("unknown")
    refuses = all(run.refuses_duplicates for run in runs)
    if first.status == "raised":
        same_type = all(run.exception == first.exception for run in runs)
        same = same_type and all(run.message == first.message for run in runs)
        return HookRun(
            "raised",
            (),
            first.exception if same_type else "an exception",
            first.message if same else None,
            first.raise_node,
            refuses,
            problems=first.problems
            if same and all(r.problems == first.problems for r in runs)
            else (),
        )
    shapes = {tuple(store.container for store in run.stores) for run in runs}
    if len(shapes) != 1:
        return HookRun("unknown")
    stores: list[Store] = []
    for index, store in enumerate(first.stores):
        keys = [run.stores[index].key for run in runs]
        same_key = all(_same_key(key, keys[0]) for key in keys)
        stores.append(Store(store.container, keys[0] if same_key else UNKNOWN, store.node))
    return_nodes = {id(run.return_node) for run in runs}
    return HookRun(
        "returned",
        tuple(stores),
        refuses_duplicates=refuses,
        return_node=first.return_node if len(return_nodes) == 1 else None,
    )


def _same_key(a: object, b: object) -> bool:
    if a is b:
        return True
    return is_primitive(a) and is_primitive(b) and type(a) is type(b) and a == b


@dataclass
class HookInterpreter:
    """Runs a hook's body on static values: which guards trip, which stores happen."""

    evaluator: Evaluator
    subject: object
    stores: list[Store] = field(default_factory=list)
    steps: int = 0
    return_node: cst.Return | None = None

    # Unknown conditions met so far on this path, and the choices forced by the driver.
    _choices: list[bool] = field(default_factory=list)
    _forced: Sequence[bool] = ()
    _inline_depth: int = 0

    def run(self, function: cst.FunctionDef, env: Env) -> HookRun:
        """Every path through the hook, merged (see `merge_runs`); at most MAX_PATHS."""
        runs: list[HookRun] = []
        pending: list[list[bool]] = [[]]
        while pending:
            forced = pending.pop()
            if len(runs) >= MAX_PATHS:
                return HookRun("unknown")
            run, choices = self._run_path(function, dict(env), forced)
            runs.append(run)
            if run.status == "unknown":
                return run
            # Each unknown condition first met on this path (taken as true) also has its
            # false side, under the same earlier choices.
            for index in range(len(forced), len(choices)):
                pending.append([*choices[:index], False])
        return merge_runs(runs)

    def _run_path(
        self, function: cst.FunctionDef, env: Env, forced: Sequence[bool]
    ) -> tuple[HookRun, list[bool]]:
        self.stores = []
        self.steps = 0
        self.return_node = None
        self._choices = []
        self._forced = forced
        self.evaluator.refused_duplicates = False
        previous_inliner = self.evaluator.inliner
        self.evaluator.inliner = self._inline
        try:
            self._block(_body_statements(function.body), env)
        except Raised as raised:
            return HookRun(
                "raised",
                tuple(self.stores),
                raised.exception,
                raised.message,
                raised.node,
                self.evaluator.refused_duplicates,
                problems=raised.problems,
            ), self._choices
        except (_Abort, RecursionError):
            return HookRun("unknown", tuple(self.stores)), self._choices
        finally:
            self.evaluator.inliner = previous_inliner
        return HookRun(
            "returned",
            tuple(self.stores),
            refuses_duplicates=self.evaluator.refused_duplicates,
            return_node=self.return_node,
        ), self._choices

    def _decide(self, value: object) -> bool:
        """A condition's truth; an unknown one takes the side this path was given."""
        t = truth(value)
        if t is not UNKNOWN:
            return bool(t)
        index = len(self._choices)
        choice = self._forced[index] if index < len(self._forced) else True
        self._choices.append(choice)
        return choice

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Abort

    def _value(self, node: cst.BaseExpression, env: Env) -> object:
        return self.evaluator.value(node, env)

    def _block(self, statements: Sequence[cst.CSTNode], env: Env) -> _Control:
        for stmt in statements:
            control = self._statement(stmt, env)
            if control.kind != "normal":
                return control
        return _Control()

    def _statement(self, stmt: cst.CSTNode, env: Env) -> _Control:
        self._tick()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                control = self._small(small, env)
                self._forget_passed_containers(small, env)
                if control.kind != "normal":
                    return control
            return _Control()
        if isinstance(stmt, cst.Try):
            return self._try(stmt, env)
        if isinstance(stmt, cst.If):
            if self._decide(self._value(stmt.test, env)):
                return self._block(_body_statements(stmt.body), env)
            if stmt.orelse is None:
                return _Control()
            if isinstance(stmt.orelse, cst.If):
                return self._statement(stmt.orelse, env)
            return self._block(_body_statements(stmt.orelse.body), env)
        if isinstance(stmt, cst.For):
            return self._for(stmt, env)
        if isinstance(stmt, cst.With):
            return self._block(_body_statements(stmt.body), env)
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            env[stmt.name.value] = UNKNOWN
            return _Control()
        return self._skip_if_inert(stmt, env)

    def _forget_passed_containers(self, small: cst.CSTNode, env: Env) -> None:
        """A local list/dict/set passed to a call may be changed by it: now unknown."""
        for node in iter_subtree_no_scopes(small):
            if not isinstance(node, cst.Call):
                continue
            if isinstance(node.func, cst.Name) and node.func.value in _PURE_BUILTINS:
                continue
            for arg in node.args:
                value = arg.value
                if isinstance(value, cst.Name) and isinstance(env.get(value.value), _MUTABLE):
                    env[value.value] = UNKNOWN

    def _inline(
        self,
        function: cst.FunctionDef,
        first: object | None,
        call: cst.Call,
        env: Mapping[str, object],
    ) -> object:
        """Run a helper's body as the call would: its guards raise, its stores count."""
        if self._inline_depth >= MAX_INLINE_DEPTH or any(a.star for a in call.args):
            return UNKNOWN
        params = function.params
        positional_params = [*params.posonly_params, *params.params]
        args: list[object] = [] if first is None else [first]
        args += [self._value(a.value, dict(env)) for a in call.args if a.keyword is None]
        keywords = {
            a.keyword.value: self._value(a.value, dict(env))
            for a in call.args
            if a.keyword is not None
        }
        scope: Env = {}
        if len(args) > len(positional_params):
            if params.star_arg is None or not isinstance(params.star_arg, cst.Param):
                return UNKNOWN
            scope[params.star_arg.name.value] = UNKNOWN
        elif isinstance(params.star_arg, cst.Param):
            scope[params.star_arg.name.value] = ()
        for index, param in enumerate([*positional_params, *params.kwonly_params]):
            name = param.name.value
            if index < len(positional_params) and index < len(args):
                scope[name] = args[index]
            elif name in keywords and param not in params.posonly_params:
                scope[name] = keywords.pop(name)
            elif param.default is not None:
                scope[name] = self.evaluator.value(param.default, {})
            else:
                return UNKNOWN  # Python raises TypeError: not what a registry guard says
        if keywords:
            if not isinstance(params.star_kwarg, cst.Param):
                return UNKNOWN
            scope[params.star_kwarg.name.value] = KwargsValue(keywords)
        elif isinstance(params.star_kwarg, cst.Param):
            scope[params.star_kwarg.name.value] = KwargsValue({})
        scope["__class_being_created__"] = env.get("__class_being_created__", UNKNOWN)
        self._inline_depth += 1
        try:
            control = self._block(_body_statements(function.body), scope)
        finally:
            self._inline_depth -= 1
        return control.value if control.kind == "return" else None

    def _try(self, stmt: cst.Try, env: Env) -> _Control:
        """try/except/else/finally: a Raised matched by a handler runs that handler."""
        control = _Control()
        try:
            try:
                control = self._block(_body_statements(stmt.body), env)
            except Raised as raised:
                handler = self._handler_for(stmt, raised)
                if handler is None:
                    raise
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    env[handler.name.name.value] = UNKNOWN
                control = self._block(_body_statements(handler.body), env)
            else:
                if stmt.orelse is not None and control.kind == "normal":
                    control = self._block(_body_statements(stmt.orelse.body), env)
        finally:
            if stmt.finalbody is not None:
                final = self._block(_body_statements(stmt.finalbody.body), env)
                if final.kind != "normal":
                    return final  # noqa: B012 - as Python does: finally's return wins
        return control

    def _handler_for(self, stmt: cst.Try, raised: Raised) -> cst.ExceptHandler | None:
        """The handler that catches the exception; _Abort when that depends on the unknown."""
        for handler in stmt.handlers:
            if handler.type is None:
                return handler
            types = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
            exprs = [e.value for e in types] if types is not None else [handler.type]
            for expr in exprs:
                caught = _catches(dotted_name(expr), raised.exception)
                if caught is UNKNOWN:
                    raise _Abort
                if caught:
                    return handler
        return None

    def _skip_if_inert(self, stmt: cst.CSTNode, env: Env) -> _Control:
        """A statement we cannot follow is harmless if it cannot raise, return or store."""
        for node in iter_subtree_no_scopes(stmt):
            if node is not stmt and isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(node, (cst.Raise, cst.Return, cst.Assert, cst.Break, cst.Continue)):
                raise _Abort
            if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Subscript):
                raise _Abort
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in STORE_METHODS
            ):
                raise _Abort
        for node in iter_subtree_no_scopes(stmt):
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For)):
                target = node.target
                for name in _target_names(target) or []:
                    env[name.value] = UNKNOWN
            elif isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name):
                env[node.target.value] = UNKNOWN
            elif (
                isinstance(node, cst.ExceptHandler)
                and node.name is not None
                and isinstance(node.name.name, cst.Name)
            ):
                env[node.name.name.value] = UNKNOWN
        return _Control()

    def _for(self, stmt: cst.For, env: Env) -> _Control:
        iterable = self._value(stmt.iter, env)
        names = _target_names(stmt.target)
        if (
            not isinstance(iterable, (tuple, list, set, frozenset, str))
            or names is None
            or stmt.asynchronous is not None
        ):
            return self._skip_if_inert(stmt, env)
        items = list(iterable)
        if isinstance(iterable, (set, frozenset)) and len(items) > 1:
            return self._skip_if_inert(stmt, env)  # set order is not static
        if len(items) > 200:
            raise _Abort
        for item in items:
            if isinstance(stmt.target, cst.Name):
                env[stmt.target.value] = item
            elif isinstance(item, (tuple, list)) and len(item) == len(names):
                for name, part in zip(names, item, strict=True):
                    env[name.value] = part
            else:
                raise _Abort
            control = self._block(_body_statements(stmt.body), env)
            if control.kind == "return":
                return control
            if control.kind == "break":
                return _Control()
        if stmt.orelse is not None:
            return self._block(_body_statements(stmt.orelse.body), env)
        return _Control()

    def _small(self, small: cst.BaseSmallStatement, env: Env) -> _Control:
        if isinstance(small, cst.Return):
            value = None if small.value is None else self._value(small.value, env)
            if self._inline_depth == 0:
                self.return_node = small
            return _Control("return", value)
        if isinstance(small, cst.Break):
            return _Control("break")
        if isinstance(small, cst.Continue):
            return _Control("continue")
        if isinstance(small, cst.Raise):
            self._raise(small, env)
        if isinstance(small, cst.Assert):
            if not self._decide(self._value(small.test, env)):
                message = None
                if small.msg is not None:
                    value = self._value(small.msg, env)
                    message = value if isinstance(value, str) else None
                raise Raised("AssertionError", message, small)
            return _Control()
        if isinstance(small, cst.Assign):
            value = self._value(small.value, env)
            for target in small.targets:
                self._assign(target.target, value, small.value, env)
            return _Control()
        if isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._assign(small.target, self._value(small.value, env), small.value, env)
            return _Control()
        if isinstance(small, cst.AugAssign):
            for name in _target_names(small.target) or []:
                env[name.value] = UNKNOWN
            if isinstance(small.target, cst.Subscript):
                raise _Abort
            return _Control()
        if isinstance(small, cst.Expr):
            if isinstance(small.value, cst.Call):
                self._call_statement(small.value, env)
            else:
                self._value(small.value, env)
            return _Control()
        if isinstance(small, (cst.Pass, cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
            return _Control()
        return self._skip_if_inert(small, env)

    def _raise(self, small: cst.Raise, env: Env) -> NoReturn:
        exc = small.exc
        if exc is None:
            raise _Abort  # a bare re-raise depends on what is being handled
        message: str | None = None
        func = exc.func if isinstance(exc, cst.Call) else exc
        name = dotted_name(func) if isinstance(func, cst.BaseExpression) else None
        if name is None:
            raise _Abort
        if isinstance(exc, cst.Call):
            if len(exc.args) == 1 and exc.args[0].keyword is None and not exc.args[0].star:
                value = self._value(exc.args[0].value, env)
                message = value if isinstance(value, str) else None
                if (
                    isinstance(value, (list, tuple))
                    and value
                    and all(isinstance(p, ProblemValue) for p in value)
                ):
                    problems = tuple(p.message for p in value if isinstance(p, ProblemValue))
                    raise Raised(name.rsplit(".", 1)[-1], "; ".join(problems), small, problems)
            elif not exc.args:
                message = ""
        else:
            message = ""
        raise Raised(name.rsplit(".", 1)[-1], message, small)

    def _assign(
        self, target: cst.BaseExpression, value: object, value_node: cst.BaseExpression, env: Env
    ) -> None:
        if isinstance(target, cst.Name):
            env[target.value] = value
            return
        if isinstance(target, cst.Subscript):
            container = self.evaluator.container(target.value, env)
            if self._is_subject(value, value_node, env):
                if not isinstance(container, ContainerValue):
                    raise _Abort
                key: object = UNKNOWN
                if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                    key = self._value(target.slice[0].slice.value, env)
                self.stores.append(Store(container.identity, key, target))
            return
        names = _target_names(target)
        if names is not None:
            if isinstance(value, (tuple, list)) and len(value) == len(names):
                for name, part in zip(names, value, strict=True):
                    env[name.value] = part
            else:
                for name in names:
                    env[name.value] = UNKNOWN
        # `cls.attr = ...` and other attribute targets change nothing we track.

    def _is_subject(self, value: object, node: cst.BaseExpression, env: Env) -> bool:
        """The stored value is the subject, or wraps it: `Tool(fn, ...)`, `{"fn": fn, ...}`."""
        if self.subject is UNKNOWN:
            return False
        if value is self.subject:
            return True
        parts: list[cst.BaseExpression] = []
        if isinstance(node, cst.Call):
            parts = [arg.value for arg in node.args]
        elif isinstance(node, cst.Dict):
            parts = [e.value for e in node.elements if isinstance(e, cst.DictElement)]
        elif isinstance(node, (cst.Tuple, cst.List)):
            parts = [e.value for e in node.elements]
        return any(isinstance(p, cst.Name) and env.get(p.value) is self.subject for p in parts)

    def _call_statement(self, call: cst.Call, env: Env) -> None:
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            local = env.get(func.value.value)
            if isinstance(local, (list, set, dict)):
                self._mutate_local(func.value.value, local, func.attr.value, call, env)
                return
        if isinstance(func, cst.Attribute) and func.attr.value in STORE_METHODS:
            container = self.evaluator.container(func.value, env)
            args = [a.value for a in call.args if a.keyword is None and not a.star]
            values = [self._value(a, env) for a in args]
            method = func.attr.value
            stored = any(
                self._is_subject(v, a, env) for v, a in zip(values, args, strict=True)
            ) or any(
                isinstance(a, cst.Dict)
                and any(
                    isinstance(e, cst.DictElement)
                    and self._is_subject(self._value(e.value, env), e.value, env)
                    for e in a.elements
                )
                for a in args
            )
            if stored:
                if not isinstance(container, ContainerValue):
                    raise _Abort
                key: object = None
                if method in ("setdefault", "__setitem__") and values:
                    key = values[0]
                elif method == "update":
                    key = self._update_key(args, env)
                self.stores.append(Store(container.identity, key, call))
                return
        # super().__init_subclass__(**kwargs) and other calls: evaluated for their exceptions.
        with contextlib.suppress(_Abort):
            self._value(call, env)

    def _mutate_local(
        self,
        name: str,
        local: list[object] | set[object] | dict[object, object],
        method: str,
        call: cst.Call,
        env: Env,
    ) -> None:
        """`missing.append(attr)` on a local list: follow it, so `if missing:` stays static."""
        args = [self._value(a.value, env) for a in call.args]
        if any(a.keyword is not None or a.star for a in call.args) or not all(
            is_primitive(a) for a in args
        ):
            env[name] = UNKNOWN
            return
        copy: list[object] | set[object] | dict[object, object]
        copy = local.copy()
        try:
            allowed = {
                list: ("append", "extend", "insert", "remove"),
                set: ("add", "update", "discard"),
                dict: ("update", "setdefault"),
            }[type(copy)]
            if method in allowed:
                getattr(copy, method)(*args)
            else:
                env[name] = UNKNOWN
                return
        except (TypeError, ValueError, KeyError):
            env[name] = UNKNOWN
            return
        env[name] = copy

    def _update_key(self, args: list[cst.BaseExpression], env: Env) -> object:
        for arg in args:
            if isinstance(arg, cst.Dict):
                for element in arg.elements:
                    if (
                        isinstance(element, cst.DictElement)
                        and self._value(element.value, env) is self.subject
                    ):
                        return self._value(element.key, env)
        return UNKNOWN


_PURE_BUILTINS = frozenset(
    {
        "len",
        "str",
        "repr",
        "bool",
        "sorted",
        "list",
        "tuple",
        "set",
        "frozenset",
        "any",
        "all",
        "isinstance",
        "hasattr",
        "getattr",
        "callable",
        "issubclass",
        "print",
        "min",
        "max",
    }
)
_MUTABLE = (list, dict, set)


def _catches(handler: str | None, exception: str) -> bool | _Unknown:
    """Whether `except <handler>` catches an exception of the named class."""
    if handler is None:
        return UNKNOWN
    handler = handler.removeprefix("builtins.").rsplit(".", 1)[-1]
    if handler == exception or handler in ("Exception", "BaseException"):
        return True
    builtin_handler = getattr(builtins, handler, None)
    builtin_raised = getattr(builtins, exception, None)
    if isinstance(builtin_handler, type) and isinstance(builtin_raised, type):
        return issubclass(builtin_raised, builtin_handler)
    return UNKNOWN


def _body_statements(body: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    if isinstance(body, cst.IndentedBlock):
        return body.body
    assert isinstance(body, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body.body)]


def has_store(function: cst.FunctionDef) -> bool:
    """Whether a function body could put something into a container (a registry candidate)."""
    return any(
        (isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Subscript))
        or (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in STORE_METHODS
        )
        for node in iter_subtree_no_scopes(function)
    )


def has_raise(function: cst.FunctionDef) -> bool:
    return any(isinstance(node, cst.Raise) for node in iter_subtree_no_scopes(function))
