"""The base class every rule derives from, with its embedded examples and fix plans."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst
from pydantic import BaseModel, ConfigDict

from agentsense.analyzers.model import Applicability, Severity

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext

DOCS_URL = "https://agentsense.dev/rules/{code}"


@dataclass(frozen=True, slots=True)
class Flagged:
    """Source a rule must flag: one finding (or `count`) whose range starts at `line`/`column`.

    `fixed` is the source after applying the finding's fix (safe or unsafe); it is required
    when the rule offers a fix for this example.
    """

    code: str
    line: int
    column: int | None = None
    message: str | None = None  # a substring the message must contain
    fixed: str | None = None
    count: int = 1
    path: str = "example.py"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")

    @property
    def fixed_source(self) -> str | None:
        return None if self.fixed is None else textwrap.dedent(self.fixed).lstrip("\n")


@dataclass(frozen=True, slots=True)
class Clean:
    """Source a rule must not flag (near-misses included)."""

    code: str
    path: str = "example.py"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True, slots=True)
class Replace:
    """Replace one node of the tree with another."""

    old: cst.CSTNode
    new: cst.CSTNode


@dataclass(frozen=True, slots=True)
class InsertStatements:
    """Insert module-level statements after the imports (after the docstring when none)."""

    code: str


@dataclass(frozen=True, slots=True)
class AddImport:
    """Ensure `import module` (or `from module import name`) exists at module level."""

    module: str
    name: str | None = None


Change = Replace | InsertStatements | AddImport


@dataclass(frozen=True, slots=True)
class FixPlan:
    """What a rule wants changed; the engine turns it into text edits."""

    title: str
    changes: tuple[Change, ...]
    applicability: Applicability = Applicability.SAFE


class RuleOptions(BaseModel):
    """Base for per-rule options (`[tool.agentsense.rule-options.AGTxxx]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NoOptions(RuleOptions):
    """The options of a rule that has none."""


class Rule:
    """One lint rule. Subclasses define `visit_<Node>` / `leave_<Node>` methods.

    A fresh instance is made for every file, so instances may keep per-file state.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    rationale: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    fix_description: ClassVar[str | None] = None
    options_model: ClassVar[type[RuleOptions]] = NoOptions
    flagged: ClassVar[Sequence[Flagged]] = ()
    clean: ClassVar[Sequence[Clean]] = ()
    # The rules enabled when this rule's examples run as tests (default: only this one).
    example_select: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, context: FileContext, options: RuleOptions) -> None:
        self.context = context
        self.options = options

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        fix: FixPlan | None = None,
        secrets: Sequence[str] = (),
        end_node: cst.CSTNode | None = None,
        related: Sequence[tuple[cst.CSTNode, str]] = (),
    ) -> None:
        """Report a finding on `node` (through `end_node` when given).

        `related`: other nodes of this file that explain it, each with a short message.
        """
        self.context.report(
            self, node, message, fix=fix, secrets=secrets, end_node=end_node, related=related
        )

    @classmethod
    def url(cls) -> str:
        return DOCS_URL.format(code=cls.code)

    @classmethod
    def handlers(cls) -> dict[str, list[str]]:
        """Map 'visit'/'leave' to the node class names this rule handles."""
        found: dict[str, list[str]] = {"visit": [], "leave": []}
        for attr in dir(cls):
            for kind in ("visit", "leave"):
                prefix = kind + "_"
                if attr.startswith(prefix) and callable(getattr(cls, attr)):
                    found[kind].append(attr[len(prefix) :])
        return found


Handler = Callable[[cst.CSTNode], None]
